package org.fssd.data.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.fssd.FssdException;
import org.fssd.box.PriorConfig;
import org.fssd.data.Annotation;
import org.fssd.data.DetectionDataset;
import org.fssd.data.ShapesDataset;
import org.fssd.image.BgrImage;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/** What the worker threads do when a sample fails and when the iterator is closed mid-epoch. */
class FssdDataSetIteratorThreadsTest {
  private static final ShapesDataset SHAPES =
      ShapesDataset.builder().count(9).imageSize(96, 80).seed(11).build();

  /** {@link #SHAPES} with a hook that runs on the worker thread before each image is loaded. */
  private record Hooked(IntConsumer beforeLoad) implements DetectionDataset {
    @Override
    public String name() {
      return "hooked-shapes";
    }

    @Override
    public Labels labels() {
      return SHAPES.labels();
    }

    @Override
    public int size() {
      return SHAPES.size();
    }

    @Override
    public Annotation annotation(int index) {
      return SHAPES.annotation(index);
    }

    @Override
    public BgrImage loadImage(int index) {
      beforeLoad.accept(index);
      return SHAPES.loadImage(index);
    }
  }

  private static FssdDataSetIterator iterator(DetectionDataset data) {
    // in index order: batch k holds images 3k, 3k + 1, 3k + 2
    return FssdDataSetIterator.builder(data, PriorConfig.voc300())
        .batchSize(3)
        .shuffle(false)
        .workers(2)
        .prefetch(2)
        .seed(1)
        .build();
  }

  @Test
  void aWorkerThatThrowsFailsTheBatchNamingTheImage() {
    List<Thread> workers = new CopyOnWriteArrayList<>();
    FssdDataSetIterator it =
        iterator(
            new Hooked(
                i -> {
                  workers.add(Thread.currentThread());
                  if (i == 4) {
                    throw new IllegalStateException("disk gone at " + i);
                  }
                }));
    try {
      MultiDataSet first = it.next(); // images 0-2 are fine
      assertThat(first.getFeatures(0).size(0)).isEqualTo(3);
      assertThatThrownBy(it::next)
          .isInstanceOf(FssdException.class)
          .hasMessageContaining("hooked-shapes")
          .hasMessageContaining("image 4")
          .hasMessageContaining("epoch 0")
          .hasMessageContaining("disk gone at 4")
          .hasCauseInstanceOf(IllegalStateException.class);
    } finally {
      it.close();
    }
    assertAllEnd(workers);
  }

  @Test
  void closeInTheMiddleOfAnEpochStopsTheWorkersAndRefusesMoreBatches() throws Exception {
    CountDownLatch blocked = new CountDownLatch(2);
    CountDownLatch never = new CountDownLatch(1);
    List<Thread> workers = new CopyOnWriteArrayList<>();
    List<Integer> interrupted = new CopyOnWriteArrayList<>();
    FssdDataSetIterator it =
        iterator(
            new Hooked(
                i -> {
                  workers.add(Thread.currentThread());
                  if (i >= 3) { // the batches after the first one never finish on their own
                    blocked.countDown();
                    try {
                      never.await();
                    } catch (InterruptedException e) {
                      interrupted.add(i);
                      Thread.currentThread().interrupt();
                      throw new IllegalStateException("interrupted", e);
                    }
                  }
                }));
    MultiDataSet first = it.next();
    assertThat(first.getFeatures(0).size(0)).isEqualTo(3);
    assertThat(it.hasNext()).isTrue();
    // both workers are now inside images of batch 1 (the latch only guards against a hang)
    assertThat(blocked.await(60, TimeUnit.SECONDS)).isTrue();
    it.close();
    assertAllEnd(workers);
    assertThat(interrupted).hasSize(2).allMatch(i -> i == 3 || i == 4 || i == 5);
    assertThatThrownBy(it::next)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    it.close(); // idempotent
  }

  /** Every worker thread terminates (the join timeout only guards against a hang). */
  private static void assertAllEnd(List<Thread> workers) {
    assertThat(workers).isNotEmpty();
    for (Thread t : workers) {
      try {
        t.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      assertThat(t.isAlive()).as("worker %s still alive after close()", t.getName()).isFalse();
    }
  }
}
