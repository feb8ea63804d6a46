package org.fssd.train;

/**
 * Stops training when the loss of a batch is NaN or infinite: the parameters are no longer usable.
 * Checkpoints are only written after good iterations, so the one it names is intact.
 */
final class DivergenceCheck implements TrainingListener {
  private FssdTrainer trainer;

  @Override
  public void onTrainingStart(FssdTrainer trainer) {
    this.trainer = trainer;
  }

  @Override
  public void onUpdate(TrainingProgress p, double score) {
    if (!Double.isFinite(p.loss()) || !Double.isFinite(score)) {
      java.nio.file.Path last = trainer.lastCheckpoint();
      throw new TrainingDivergedException(
          String.format(
              "training diverged at iteration %d (epoch %d, batch %d): loss is %s (loc %s, conf %s);"
                  + " the parameters are no longer usable. Last good checkpoint: %s",
              p.iteration(),
              p.epoch(),
              p.batchInEpoch(),
              p.loss(),
              p.locLoss(),
              p.confLoss(),
              last == null ? "none" : last));
    }
  }
}
