package org.fssd.train;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.FssdConfig;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;

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
   * The forward and backward passes of a oneDNN training plan ({@link
   * org.fssd.model.training.TrainingPasses#onednn}: CPU primitives compiled once per batch size),
   * the {@code MultiBoxLoss} and the DL4J updater of the training graph applied as {@code fit}
   * applies them: several times faster on the CPU. With the direct convolution algorithm its
   * gradients match {@link #GRAPH}'s to fp32 rounding; with Winograd ({@code AUTO}, the default)
   * the weight gradients of the large-map 3x3 convolutions carry more fp32 rounding (up to ~1e-2
   * relative on some parameters).
   */
  PLAN;

  /**
   * A stepper of this engine on {@code trainingGraph} (a {@link TrainingGraph} of {@code config});
   * {@code algorithm} is the PLAN engine's convolution algorithm (ignored by GRAPH).
   */
  public TrainingStep step(
      FssdConfig config, ComputationGraph trainingGraph, PlanOptions.Algorithm algorithm) {
    return step(config, trainingGraph, PlanOptions.builder().algorithm(algorithm).build());
  }

  /**
   * A stepper of this engine on {@code trainingGraph} (a {@link TrainingGraph} of {@code config});
   * {@code planOptions} are the PLAN engine's convolution algorithm and precision (FP32 or BF16).
   * GRAPH ignores the algorithm and computes in the graph's data type: it refuses BF16 rather than
   * silently training in FP32.
   *
   * @throws IllegalArgumentException for INT8, or BF16 with GRAPH
   * @throws UnsupportedOperationException for BF16 on a CPU without AVX512_BF16
   */
  public TrainingStep step(
      FssdConfig config, ComputationGraph trainingGraph, PlanOptions planOptions) {
    checkSupported(planOptions);
    if (this == PLAN) {
      return new PlanStep(config, trainingGraph, planOptions);
    }
    TrainingGraph.loss(trainingGraph); // checks it is a training graph
    return new TrainingStep() {
      @Override
      public double fit(INDArray features, INDArray labels) {
        trainingGraph.fit(new MultiDataSet(new INDArray[] {features}, new INDArray[] {labels}));
        return trainingGraph.score();
      }

      @Override
      public void close() {}
    };
  }

  /**
   * Checks, before any work, that this engine can train with {@code planOptions} here: PLAN in
   * FP32, or BF16 on a CPU with AVX512_BF16; GRAPH in FP32 only (it computes in the graph's data
   * type and refuses BF16 rather than silently training in FP32).
   *
   * @throws IllegalArgumentException for INT8, or BF16 with GRAPH
   * @throws UnsupportedOperationException for BF16 on a CPU without AVX512_BF16
   */
  public void checkSupported(PlanOptions planOptions) {
    if (this == PLAN) {
      org.fssd.model.training.TrainingPasses.checkSupported(planOptions);
    } else if (planOptions.precision() != PlanOptions.Precision.FP32) {
      throw new IllegalArgumentException(
          "training precision " + planOptions.precision() + " needs engine PLAN, not " + this);
    }
  }

  /** The default for the ND4J backend in use: {@link #PLAN} on the CPU, {@link #GRAPH} else. */
  public static TrainingEngine defaultEngine() {
    String backend = org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getName();
    return backend.toLowerCase(java.util.Locale.ROOT).contains("cpu") ? PLAN : GRAPH;
  }
}
