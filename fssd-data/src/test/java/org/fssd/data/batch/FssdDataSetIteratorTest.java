package org.fssd.data.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.fssd.box.PriorConfig;
import org.fssd.data.ShapesDataset;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.api.MultiDataSet;

class FssdDataSetIteratorTest {
  private static final ShapesDataset SHAPES =
      ShapesDataset.builder().count(7).imageSize(160, 120).seed(11).build();

  /** All arrays of 2 epochs, flattened. */
  private static List<float[]> twoEpochs(int workers, long seed) {
    List<float[]> out = new ArrayList<>();
    try (FssdDataSetIterator it =
        FssdDataSetIterator.builder(SHAPES, PriorConfig.voc300())
            .batchSize(3)
            .seed(seed)
            .workers(workers)
            .prefetch(2)
            .build()) {
      it.reset(); // before any batch: stays at epoch 0
      assertThat(it.epoch()).isZero();
      for (int e = 0; e < 2; e++) {
        int batches = 0;
        while (it.hasNext()) {
          MultiDataSet m = it.next();
          long n = m.getFeatures(0).size(0);
          assertThat(m.getFeatures(0).shape()).containsExactly(n, 3, 300, 300);
          assertThat(m.getLabels(0).shape()).containsExactly(n, 11620L * 4);
          assertThat(m.getLabels(1).shape()).containsExactly(n, 11620);
          out.add(m.getFeatures(0).data().asFloat());
          out.add(m.getLabels(0).data().asFloat());
          out.add(m.getLabels(1).data().asFloat());
          batches++;
        }
        assertThat(batches).isEqualTo(3); // 3 + 3 + 1
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
        it.reset();
        assertThat(it.epoch()).isEqualTo(e + 1);
      }
    }
    return out;
  }

  @Test
  void sameSeedSameBatchesWhateverTheWorkers() {
    List<float[]> one = twoEpochs(1, 5);
    List<float[]> two = twoEpochs(2, 5);
    assertThat(two).hasSameSizeAs(one);
    for (int i = 0; i < one.size(); i++) {
      assertThat(two.get(i)).as("array %s", i).isEqualTo(one.get(i));
    }
    // epochs differ (new order and augmentation)
    assertThat(one.get(9)).isNotEqualTo(one.get(0));
    // class targets are integers 0..6 with some positives in every batch
    for (int i = 2; i < one.size(); i += 3) {
      float[] conf = one.get(i);
      int pos = 0;
      for (float c : conf) {
        assertThat(c).isBetween(0f, 6f).isEqualTo((float) Math.round(c));
        pos += c > 0 ? 1 : 0;
      }
      assertThat(pos).isGreaterThan(0);
    }
    List<float[]> other = twoEpochs(2, 6);
    assertThat(other.get(0)).isNotEqualTo(one.get(0));
  }
}
