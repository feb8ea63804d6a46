package org.fssd.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One update of a training graph ({@link TrainingGraph}) by a {@link TrainingEngine}: what {@link
 * FssdTrainer} does per batch, for benchmarks and tools that step a graph themselves. Not
 * thread-safe; {@link #close()} frees what the engine holds (the PLAN engine's native plans).
 */
public interface TrainingStep extends AutoCloseable {
  /**
   * Updates the graph's parameters on one batch: {@code features} [B,3,H,W] and the graph's labels
   * ({@link TrainingGraph#labels}); returns the score, which {@code graph.score()} then also gives.
   */
  double fit(INDArray features, INDArray labels);

  /** Frees the engine's resources; the graph stays usable. */
  @Override
  void close();
}
