package org.fssd.train;

import java.nio.file.Path;
import org.fssd.train.eval.EvalResult;

/**
 * Takes part in the {@link FssdTrainer} loop, on the training thread (keep it quick). The trainer's
 * own jobs are listeners too: the divergence check, evaluation on a held-out set and checkpointing;
 * a listener added with {@link FssdTrainer.Builder#listener} runs after the divergence check and
 * before evaluation and checkpointing of the same iteration. All methods have empty defaults.
 *
 * <p>Order of the calls in one run: {@link #onTrainingStart}; per parameter update {@link
 * #onUpdate} then {@link #onIteration} (with {@link #onEvaluation} and {@link #onCheckpoint} when
 * an evaluation or a checkpoint follows it); {@link #onEpochEnd} after an epoch's last batch;
 * {@link #onTrainingEnd} once the loop stops (planned end or {@link
 * FssdTrainer.Builder#maxIterations}), before the final evaluation and checkpoint are reported. An
 * exception thrown by a listener stops training and leaves {@link FssdTrainer#train()}.
 */
public interface TrainingListener {

  /** Before the first update of this {@link FssdTrainer#train()} call. */
  default void onTrainingStart(FssdTrainer trainer) {}

  /**
   * After the parameter update of a batch, before the trainer counts it: {@code progress} is what
   * {@link #onIteration} will get, {@code score} the graph's score of the batch. Throwing here
   * stops training with the state of the previous iteration (nothing of this update is recorded).
   */
  default void onUpdate(TrainingProgress progress, double score) {}

  /** After every parameter update, once the trainer's state and history include it. */
  default void onIteration(TrainingProgress progress) {}

  /** After the last batch of {@code epoch} (0-based). */
  default void onEpochEnd(int epoch, long iteration) {}

  /** After a checkpoint was written (atomically) to {@code file}. */
  default void onCheckpoint(Path file, long iteration) {}

  /**
   * After an evaluation on the held-out set ({@link FssdTrainer.Builder#evaluateEvery}) made after
   * {@code iteration} updates, the last of them in {@code epoch} (0-based). It is already recorded
   * in {@link FssdTrainer#history()} and goes into the next checkpoint.
   */
  default void onEvaluation(long iteration, int epoch, EvalResult result) {}

  /** When the loop has stopped normally, before precise BN and before the data iterator closes. */
  default void onTrainingEnd(FssdTrainer trainer) {}
}
