package org.fssd.model.training;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One network's training-mode forward and backward pass for a fixed batch size, outside DL4J's own
 * {@code fit}: the caller computes the loss and its gradient on the forward's output and applies
 * the parameter gradients with its updater. Not thread-safe; {@link #close()} frees what it holds.
 */
public interface TrainingPass extends AutoCloseable {
  /**
   * Training-mode forward of {@code images} ({@code [B, 3, H, W]}, preprocessed); returns the loss
   * input {@code [B, P*4 + P*C]} (loc then conf). The array may be reused by the next call.
   */
  INDArray forward(INDArray images);

  /**
   * Backward of the last forward from {@code dLoss/dOutput} ({@code [B, P*4 + P*C]}); writes one
   * gradient for every parameter key of the network's graph into {@code gradients}, in DL4J's
   * convention (into the arrays already there when their shape fits).
   */
  void backward(INDArray outputGradient, Map<String, INDArray> gradients);

  /** Frees the native memory of the pass; closing twice is harmless. */
  @Override
  void close();
}
