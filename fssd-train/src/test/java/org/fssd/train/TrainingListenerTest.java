package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.data.ShapesDataset;
import org.fssd.train.eval.EvalResult;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A listener of the application's own sees the loop's events in order, next to the built-ins. */
// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class TrainingListenerTest {
  private static final ShapesDataset TRAIN = TrainTestFixtures.shapes(4);
  private static final ShapesDataset HELD_OUT = TrainTestFixtures.heldOutShapes(2);

  /** Writes down every call as one line. */
  private static final class Recorder implements TrainingListener {
    final List<String> events = new ArrayList<>();
    FssdTrainer started;

    @Override
    public void onTrainingStart(FssdTrainer trainer) {
      started = trainer;
      events.add("start " + trainer.state().iteration());
    }

    @Override
    public void onUpdate(TrainingProgress p, double score) {
      // not counted yet: the trainer's state is still at the previous iteration
      events.add("update " + p.iteration() + " state " + started.state().iteration());
    }

    @Override
    public void onIteration(TrainingProgress p) {
      events.add("iteration " + p.iteration() + " state " + started.state().iteration());
    }

    @Override
    public void onEpochEnd(int epoch, long iteration) {
      events.add("epochEnd " + epoch + " " + iteration);
    }

    @Override
    public void onEvaluation(long iteration, int epoch, EvalResult result) {
      events.add("evaluation " + iteration);
    }

    @Override
    public void onCheckpoint(Path file, long iteration) {
      events.add("checkpoint " + iteration + " " + file.getFileName());
    }

    @Override
    public void onTrainingEnd(FssdTrainer trainer) {
      events.add("end " + trainer.state().iteration());
    }
  }

  private static FssdTrainer.Builder run() {
    // 2 batches per epoch, 2 epochs: 4 iterations
    return TrainTestFixtures.scheduledRun(TRAIN, 2, 1);
  }

  @Test
  void aUserListenerSeesEveryEventInOrderAndTheBuiltInsStillWork(@TempDir Path dir) {
    Recorder r = new Recorder();
    FssdTrainer trainer =
        run().evaluateEvery(3, HELD_OUT).checkpointDir(dir).checkpointEvery(2).listener(r).build();
    trainer.train();
    assertThat(r.started).isSameAs(trainer);
    assertThat(r.events)
        .containsExactly(
            "start 0",
            "update 1 state 0",
            "iteration 1 state 1",
            "update 2 state 1",
            "iteration 2 state 2",
            "checkpoint 2 checkpoint-0000000002.zip",
            "epochEnd 0 2",
            "update 3 state 2",
            "iteration 3 state 3",
            "evaluation 3",
            "update 4 state 3",
            "iteration 4 state 4",
            "checkpoint 4 checkpoint-0000000004.zip",
            "epochEnd 1 4",
            "end 4",
            // the planned end: the built-ins evaluate the final parameters and store them
            "evaluation 4",
            "checkpoint 4 checkpoint-0000000004.zip");
    assertThat(trainer.history().evaluations())
        .extracting(TrainingHistory.Evaluation::iteration)
        .containsExactly(3L, 4L);
    assertThat(Checkpoints.readHistory(Checkpoints.latest(dir).orElseThrow()).evaluations())
        .extracting(TrainingHistory.Evaluation::iteration)
        .containsExactly(3L, 4L);
  }

  @Test
  void aListenerThatThrowsStopsTrainingBeforeTheUpdateIsCounted() {
    List<Long> iterations = new ArrayList<>();
    FssdTrainer trainer =
        run()
            .listener(
                new TrainingListener() {
                  @Override
                  public void onUpdate(TrainingProgress p, double score) {
                    if (p.iteration() == 3) {
                      throw new IllegalStateException("enough at " + p.iteration());
                    }
                  }

                  @Override
                  public void onIteration(TrainingProgress p) {
                    iterations.add(p.iteration());
                  }
                })
            .build();
    assertThatThrownBy(trainer::train)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("enough at 3");
    assertThat(iterations).containsExactly(1L, 2L);
    assertThat(trainer.state().iteration()).isEqualTo(2);
    assertThat(trainer.history().steps()).hasSize(2);
  }
}
