package org.fssd.train;

import java.nio.file.Path;
import org.fssd.train.eval.EvalResult;

/**
 * Receives {@link FssdTrainer} progress, on the training thread (keep it quick). All methods have
 * empty defaults.
 */
public interface ProgressListener {

  /** After every parameter update. */
  default void onIteration(TrainingProgress progress) {}

  /** After the last batch of {@code epoch} (0-based). */
  default void onEpochEnd(int epoch, long iteration) {}

  /** After a checkpoint was written (atomically) to {@code file}. */
  default void onCheckpoint(Path file, long iteration) {}

  /**
   * After an evaluation on the held-out set ({@link FssdTrainer.Builder#evaluateEvery}) made
   * after {@code iteration} updates, the last of them in {@code epoch} (0-based). It is already
   * recorded in {@link FssdTrainer#history()} and goes into the next checkpoint.
   */
  default void onEvaluation(long iteration, int epoch, EvalResult result) {}
}
