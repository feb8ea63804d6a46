package org.fssd.train;

import org.fssd.engine.onednn.OneDnnTrainingPlan;

/**
 * How {@link FssdTrainer} computes one update: both give the same update (the same loss, gradients,
 * regularisation, updater and learning-rate schedule), they differ in the arithmetic of the
 * network's forward and backward passes.
 */
public enum TrainingEngine {
  /**
   * DL4J's own {@code ComputationGraph.fit} on the training graph: the reference, and the path for
   * an ND4J backend other than the CPU one (CUDA).
   */
  GRAPH,

  /**
   * The forward and backward passes of a {@link OneDnnTrainingPlan} (oneDNN CPU primitives compiled
   * once per batch size), the {@code MultiBoxLoss} and the DL4J updater of the training graph
   * applied as {@code fit} applies them: several times faster on the CPU. With the direct
   * convolution algorithm its gradients match {@link #GRAPH}'s to fp32 rounding; with Winograd
   * ({@code AUTO}, the default) the weight gradients of the large-map 3x3 convolutions carry more
   * fp32 rounding (up to ~1e-2 relative on some parameters).
   */
  PLAN;

  /** The default for the ND4J backend in use: {@link #PLAN} on the CPU, {@link #GRAPH} else. */
  public static TrainingEngine defaultEngine() {
    String backend = org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getName();
    return backend.toLowerCase(java.util.Locale.ROOT).contains("cpu") ? PLAN : GRAPH;
  }
}
