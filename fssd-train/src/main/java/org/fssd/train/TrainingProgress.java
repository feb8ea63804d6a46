package org.fssd.train;

/**
 * One training iteration as reported to a {@link TrainingListener}.
 *
 * @param iteration parameter updates done so far, this one included (1-based)
 * @param epoch the epoch of this iteration (0-based)
 * @param batchInEpoch batches of this epoch done so far, this one included
 * @param batchesPerEpoch batches per epoch
 * @param locLoss SPEC §6 localisation term of this batch (before the update)
 * @param confLoss SPEC §6 confidence term of this batch
 * @param positives matched priors in the batch (the divisor of both terms, at least 1 used)
 * @param learningRate the learning rate this update used
 * @param imagesPerSecond batch size / wall time of the iteration (data wait included)
 * @param batchSize images in this batch
 */
public record TrainingProgress(
    long iteration,
    int epoch,
    int batchInEpoch,
    int batchesPerEpoch,
    double locLoss,
    double confLoss,
    int positives,
    double learningRate,
    double imagesPerSecond,
    int batchSize) {

  /** loc + conf. */
  public double loss() {
    return locLoss + confLoss;
  }
}
