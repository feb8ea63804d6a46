package org.fssd.train;

import java.nio.file.Path;

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
}
