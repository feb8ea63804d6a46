package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fssd.data.ShapesDataset;
import org.fssd.testing.FloatArrays;
import org.fssd.train.eval.EvalResult;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class EvalDuringTrainingTest {
  private static final ShapesDataset TRAIN = TrainTestFixtures.shapes(6);
  private static final ShapesDataset HELD_OUT = TrainTestFixtures.heldOutShapes(3);

  private record Seen(long iteration, int epoch, EvalResult result) {}

  private static FssdTrainer.Builder run(List<Seen> seen) {
    return TrainTestFixtures.scheduledRun(TRAIN, 2, 1)
        .evaluateEvery(4, HELD_OUT)
        .listener(recordingInto(seen));
  }

  private static TrainingListener recordingInto(List<Seen> seen) {
    return new TrainingListener() {
      @Override
      public void onEvaluation(long iteration, int epoch, EvalResult result) {
        seen.add(new Seen(iteration, epoch, result));
      }
    };
  }

  @Test
  void evaluatesEveryKIterationsAndAtTheEndAndResumesTheSameHistory(@TempDir Path dir) {
    // 3 batches per epoch, 2 epochs: evaluations after iteration 4 (every 4) and 6 (the end)
    List<Seen> seen = new ArrayList<>();
    FssdTrainer straight = run(seen).build();
    straight.train();
    TrainingHistory h = straight.history();
    assertThat(seen).extracting(Seen::iteration).containsExactly(4L, 6L);
    assertThat(seen).extracting(Seen::epoch).containsExactly(1, 1);
    assertThat(h.evaluations())
        .extracting(TrainingHistory.Evaluation::iteration)
        .containsExactly(4L, 6L);
    for (int i = 0; i < seen.size(); i++) {
      EvalResult r = seen.get(i).result();
      TrainingHistory.Evaluation e = h.evaluations().get(i);
      assertThat(r.images()).isEqualTo(HELD_OUT.size());
      assertThat(e.map()).isEqualTo(Double.valueOf(r.map()));
      assertThat(e.method()).isEqualTo("VOC07_11_POINT");
      assertThat(e.classAp()).hasSize(r.classes().size());
      r.classes()
          .forEach(c -> assertThat(e.classAp().get(c.name())).isEqualTo(Double.valueOf(c.ap())));
    }
    assertThat(h.steps())
        .extracting(TrainingHistory.Step::iteration)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(h.steps()).extracting(TrainingHistory.Step::epoch).containsExactly(0, 0, 0, 1, 1, 1);

    // stop after 4 (evaluated there, an interval point), resume to the end
    Path ckpt = dir.resolve("run");
    List<Seen> seenHalf = new ArrayList<>();
    FssdTrainer half =
        run(seenHalf).checkpointDir(ckpt).checkpointEvery(3).maxIterations(4).build();
    half.train();
    assertThat(seenHalf).extracting(Seen::iteration).containsExactly(4L);
    Path last = Checkpoints.latest(ckpt).orElseThrow();
    assertThat(last.getFileName().toString()).isEqualTo("checkpoint-0000000004.zip");
    assertThat(Checkpoints.readHistory(last)).isEqualTo(half.history());
    assertThat(Checkpoints.readHistory(ckpt.resolve("checkpoint-0000000003.zip")).steps())
        .hasSize(3);

    List<Seen> seenResumed = new ArrayList<>();
    FssdTrainer resumed =
        FssdTrainer.resume(ckpt, TRAIN)
            .workers(1)
            .evaluateEvery(4, HELD_OUT)
            .listener(recordingInto(seenResumed))
            .build();
    assertThat(resumed.history()).isEqualTo(half.history());
    resumed.train();
    assertThat(seenResumed).extracting(Seen::iteration).containsExactly(6L);
    assertSameHistory(resumed.history(), h);
    assertThat(Checkpoints.readHistory(Checkpoints.latest(ckpt).orElseThrow()))
        .isEqualTo(resumed.history());
  }

  /**
   * Same iterations exactly; values as close as a resumed run's parameters (see FssdTrainerTest).
   */
  private static void assertSameHistory(TrainingHistory a, TrainingHistory b) {
    assertThat(a.steps()).hasSameSizeAs(b.steps());
    for (int i = 0; i < a.steps().size(); i++) {
      TrainingHistory.Step x = a.steps().get(i);
      TrainingHistory.Step y = b.steps().get(i);
      assertThat(x.iteration()).isEqualTo(y.iteration());
      assertThat(x.epoch()).isEqualTo(y.epoch());
      FloatArrays.assertClose(x.locLoss(), y.locLoss(), 1e-4, 1e-6, "loc loss at step " + i);
      FloatArrays.assertClose(x.confLoss(), y.confLoss(), 1e-4, 1e-6, "conf loss at step " + i);
      assertThat(x.learningRate()).isEqualTo(y.learningRate());
    }
    assertThat(a.evaluations())
        .extracting(TrainingHistory.Evaluation::iteration)
        .isEqualTo(b.evaluations().stream().map(TrainingHistory.Evaluation::iteration).toList());
    for (int i = 0; i < a.evaluations().size(); i++) {
      assertThat(a.evaluations().get(i).map())
          .isCloseTo(b.evaluations().get(i).map(), within(1e-4));
    }
  }

  @Test
  void historyJsonReadsBackIdentically() {
    TrainingHistory h =
        TrainingHistory.of(
            List.of(
                new TrainingHistory.Step(1, 0, 0.1 + 0.2, 1.0 / 3, Double.NaN),
                new TrainingHistory.Step(2, 0, 7.123456789012345e-8, 12.5, 1e-3)),
            List.of(
                new TrainingHistory.Evaluation(
                    2, 0, "VOC07_11_POINT", 0.7071067811865476, Map.of("circle", Double.NaN))));
    TrainingHistory back = TrainingHistory.fromJsonBytes(h.toJsonBytes());
    assertThat(back).isEqualTo(h);
    assertThat(back.steps().get(0).locLoss()).isEqualTo(0.1 + 0.2);
    assertThat(back.steps().get(0).learningRate()).isNaN();
    assertThat(back.upTo(1).steps()).hasSize(1);
    assertThat(back.upTo(1).evaluations()).isEmpty();
  }
}
