package org.fssd.model.training;

import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.OneDnnTrainingPlan;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.FssdConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Makes {@link TrainingPass}es. Stateless. */
public final class TrainingPasses {
  private TrainingPasses() {}

  /**
   * The oneDNN training plan of {@code graph} (its parameters read in place at every forward) for
   * {@code config} and {@code batchSize}; {@code algorithm} chooses the convolution kernels ({@code
   * AUTO}: Winograd on large 3x3 maps; {@code DIRECT}: the closest to DL4J's arithmetic). See
   * {@link OneDnnTrainingPlan}.
   */
  public static TrainingPass onednn(
      FssdConfig config, ComputationGraph graph, int batchSize, PlanOptions.Algorithm algorithm) {
    OneDnnTrainingPlan plan = OneDnnTrainingPlan.build(config, graph, batchSize, algorithm);
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
