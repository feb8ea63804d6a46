package org.fssd.model.training;

import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.OneDnnTrainingPlan;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.FssdConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Makes {@link TrainingPass}es. Stateless. */
public final class TrainingPasses {
  private TrainingPasses() {}

  /**
   * Checks, before any work, that {@link #onednn(FssdConfig, ComputationGraph, int, PlanOptions)}
   * can train with {@code options} on this CPU.
   *
   * @throws IllegalArgumentException for {@code INT8} (a training precision is FP32 or BF16)
   * @throws UnsupportedOperationException for {@code BF16} on a CPU without AVX512_BF16
   */
  public static void checkSupported(PlanOptions options) {
    if (options.precision() == PlanOptions.Precision.INT8) {
      throw new IllegalArgumentException(
          "the training plan computes in FP32 or BF16, not INT8 (quantise a trained model instead)");
    }
    if (options.precision() == PlanOptions.Precision.BF16) {
      OneDnnPlan.requireBf16("BF16 training");
    }
  }

  /**
   * The oneDNN training plan of {@code graph} (its parameters read in place at every forward) for
   * {@code config} and {@code batchSize}; {@code algorithm} chooses the convolution kernels ({@code
   * AUTO}: Winograd on large 3x3 maps; {@code DIRECT}: the closest to DL4J's arithmetic). See
   * {@link OneDnnTrainingPlan}.
   */
  public static TrainingPass onednn(
      FssdConfig config, ComputationGraph graph, int batchSize, PlanOptions.Algorithm algorithm) {
    return onednn(config, graph, batchSize, PlanOptions.builder().algorithm(algorithm).build());
  }

  /**
   * As {@link #onednn(FssdConfig, ComputationGraph, int, PlanOptions.Algorithm)} with the precision
   * chosen too: {@code FP32}, or {@code BF16} mixed precision (bfloat16 activations and weight
   * copies, the graph's fp32 parameters stay the master weights; needs AVX512_BF16).
   *
   * @throws IllegalArgumentException for {@code INT8}
   * @throws UnsupportedOperationException for {@code BF16} on a CPU without AVX512_BF16
   */
  public static TrainingPass onednn(
      FssdConfig config, ComputationGraph graph, int batchSize, PlanOptions options) {
    OneDnnTrainingPlan plan = OneDnnTrainingPlan.build(config, graph, batchSize, options);
    return new TrainingPass() {
      @Override
      public INDArray forward(INDArray images) {
        return plan.forward(images);
      }

      @Override
      public void backward(INDArray outputGradient, Map<String, INDArray> gradients) {
        plan.backward(outputGradient, gradients);
      }

      @Override
      public void close() {
        plan.close();
      }

      @Override
      public String toString() {
        return plan.toString();
      }
    };
  }
}
