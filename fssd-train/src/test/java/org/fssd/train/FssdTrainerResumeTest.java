package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fssd.train.TrainTestFixtures.shapes;
import static org.fssd.train.TrainTestFixtures.tinyShapesConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fssd.data.ShapesDataset;
import org.fssd.model.FssdConfig;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run stopped at an iteration and resumed keeps writing checkpoints at its interval, and a
 * resumed builder refuses settings its checkpoint fixes.
 */
// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class FssdTrainerResumeTest {
  @TempDir Path dir;

  private static FssdTrainer.Builder run(ShapesDataset data) {
    return TrainTestFixtures.scheduledRun(data, 3, 1);
  }

  /** Records the iterations at which checkpoints were written. */
  private static final class Checkpointed implements TrainingListener {
    final List<Long> at = new ArrayList<>();

    @Override
    public void onCheckpoint(Path file, long iteration) {
      at.add(iteration);
    }
  }

  @Test
  void aResumedRunKeepsTheIntervalAndKeepCountOfItsCheckpoints() {
    ShapesDataset data = shapes(4); // 2 batches per epoch, 6 iterations in 3 epochs
    Path ck = dir.resolve("run");
    Checkpointed first = new Checkpointed();
    run(data)
        .checkpointDir(ck)
        .checkpointEvery(2)
        .keepCheckpoints(3)
        .maxIterations(3)
        .notes(Map.of("--augment", "light"))
        .listener(first)
        .build()
        .train();
    assertThat(first.at).containsExactly(2L, 3L); // the interval, then the stop
    RunSettings stored =
        Checkpoints.readSettings(ck.resolve(Checkpoints.fileName(3))).orElseThrow();
    assertThat(stored).isEqualTo(new RunSettings(2, 3, Map.of("--augment", "light")));

    Checkpointed second = new Checkpointed();
    FssdTrainer.Builder b = FssdTrainer.resume(ck, data).workers(1).listener(second);
    assertThat(b.resumedSettings()).contains(stored);
    assertThat(b.resumedState().orElseThrow().iteration()).isEqualTo(3);
    FssdTrainer t = b.build();
    t.train();
    assertThat(t.state().iteration()).isEqualTo(6);
    // nothing set on the resume builder: every 2 iterations as before (6 is also the end)
    assertThat(second.at).containsExactly(4L, 6L);
    assertThat(Checkpoints.list(ck))
        .extracting(p -> p.getFileName().toString())
        .containsExactly(Checkpoints.fileName(6), Checkpoints.fileName(4), Checkpoints.fileName(3));
    assertThat(Checkpoints.readSettings(ck.resolve(Checkpoints.fileName(6))).orElseThrow())
        .isEqualTo(stored);
  }

  @Test
  void settingsGivenOnResumeApplyAndAreStoredForTheNextResume() {
    ShapesDataset data = shapes(4); // 2 batches per epoch
    Path ck = dir.resolve("run");
    run(data).epochs(2).checkpointDir(ck).checkpointEvery(2).maxIterations(1).build().train();
    Checkpointed second = new Checkpointed();
    FssdTrainer t =
        FssdTrainer.resume(ck, data)
            .workers(1)
            .checkpointEvery(3)
            .epochs(4)
            .maxIterations(4)
            .listener(second)
            .build();
    t.train();
    assertThat(t.state().epochs()).isEqualTo(4);
    assertThat(second.at).containsExactly(3L, 4L);
    assertThat(
            Checkpoints.readSettings(ck.resolve(Checkpoints.fileName(4)))
                .orElseThrow()
                .checkpointEvery())
        .isEqualTo(3);
    // a second resume: the new interval and the new planned epochs (8 iterations) stay
    Checkpointed third = new Checkpointed();
    FssdTrainer t3 = FssdTrainer.resume(ck, data).workers(1).listener(third).build();
    t3.train();
    assertThat(t3.state().iteration()).isEqualTo(8);
    assertThat(third.at).containsExactly(6L, 8L);
  }

  @Test
  void aResumedBuilderRefusesSettingsItsCheckpointFixes() {
    ShapesDataset data = shapes(2);
    Path ck = dir.resolve("run");
    run(data).checkpointDir(ck).maxIterations(1).build().train();
    // the checkpoint's own values are accepted
    FssdTrainer.resume(ck, data)
        .batchSize(2)
        .seed(11)
        .learningRate(1e-2)
        .decayEpochs(2)
        .config(tinyShapesConfig())
        .sparsity(0)
        .build();
    assertThatThrownBy(() -> FssdTrainer.resume(ck, data).batchSize(4).seed(12).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("batchSize 4 (the checkpoint's is 2)")
        .hasMessageContaining("seed 12 (the checkpoint's is 11)");
    assertThatThrownBy(
            () -> FssdTrainer.resume(ck, data).learningRate(1e-3).warmup(Warmup.NONE).build())
        .hasMessageContaining("learningRate 0.001 (the checkpoint's is 0.01)")
        .hasMessageContaining("warmup NONE (the checkpoint's is LINEAR)");
    assertThatThrownBy(() -> FssdTrainer.resume(ck, data).sparsity(1e-4).build())
        .hasMessageContaining("sparsity 1.0E-4 (the checkpoint's is 0.0)");
    FssdConfig other = tinyShapesConfig().toBuilder().batchNorm(true).build();
    assertThatThrownBy(() -> FssdTrainer.resume(ck, data).config(other).build())
        .hasMessageContaining("config ");
    assertThatThrownBy(
            () ->
                FssdTrainer.resume(ck, data)
                    .initialModel(
                        org.fssd.model.FssdModel.create(tinyShapesConfig(), data.labels(), 1))
                    .build())
        .hasMessageContaining("initialModel");
  }
}
