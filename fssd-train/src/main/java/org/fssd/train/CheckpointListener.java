package org.fssd.train;

import java.nio.file.Path;

/**
 * Writes a checkpoint every {@code every} iterations (0 = none during the run) and when the loop
 * stops, unless the newest checkpoint already holds everything recorded: a resumed run that had
 * nothing left to do leaves its directory as it was.
 */
final class CheckpointListener implements TrainingListener {
  private final Path dir;
  private final int every;
  private final RunSettings settings;
  private FssdTrainer trainer;

  /** {@link FssdTrainer#historySize()} when the newest checkpoint was written or resumed. */
  private int saved;

  CheckpointListener(Path dir, int every, RunSettings settings) {
    this.dir = dir;
    this.every = every;
    this.settings = settings;
  }

  @Override
  public void onTrainingStart(FssdTrainer trainer) {
    this.trainer = trainer;
    this.saved = trainer.historySize();
  }

  @Override
  public void onIteration(TrainingProgress progress) {
    if (every > 0 && progress.iteration() % every == 0) {
      write();
    }
  }

  @Override
  public void onTrainingEnd(FssdTrainer trainer) {
    Path last = trainer.lastCheckpoint();
    Path current = dir.resolve(Checkpoints.fileName(trainer.state().iteration())).toAbsolutePath();
    if (trainer.historySize() != saved || last == null || !last.equals(current)) {
      write();
    }
  }

  private void write() {
    trainer.checkpoint(dir, settings);
    saved = trainer.historySize();
  }
}
