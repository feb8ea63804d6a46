package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.fssd.data.ShapesDataset;
import org.fssd.data.augment.MixupOptions;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class FssdTrainerMixupTest {
  private static FssdModel run(MixupOptions mixup, List<Double> losses) {
    ShapesDataset data = TrainTestFixtures.shapes(4);
    FssdTrainer.Builder b =
        TrainTestFixtures.tinyRun(data, TrainTestFixtures.tinyShapesConfig())
            .epochs(1)
            .decayEpochs(1)
            .workers(2)
            .listener(
                new TrainingListener() {
                  @Override
                  public void onIteration(TrainingProgress p) {
                    losses.add(p.loss());
                  }
                });
    if (mixup != null) {
      b.mixup(mixup);
    }
    return b.build().train();
  }

  @Test
  void mixupTrainsAndIsRecorded() {
    // (reproducibility from the seed is checked on the batches, in fssd-data's MixupTest)
    MixupOptions m = MixupOptions.builder().probability(1).build();
    List<Double> mixed = new ArrayList<>();
    List<Double> plain = new ArrayList<>();
    FssdModel a = run(m, mixed);
    FssdModel b = run(null, plain);
    assertThat(mixed).hasSize(2).allMatch(Double::isFinite);
    // every sample is mixed, so the losses differ from the plain run's
    assertThat(mixed.get(0)).isNotEqualTo(plain.get(0));
    assertThat(a.provenance().get("train.mixup")).isEqualTo(m.toString());
    assertThat(b.provenance().asMap()).doesNotContainKey("train.mixup");
  }
}
