package org.fssd.model.graph;

import java.util.Arrays;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.BaseGraphVertex;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Runtime base of the project's single-input vertices without parameters. */
abstract class ParameterlessVertexImpl extends BaseGraphVertex {
  private static final long serialVersionUID = 1L;

  ParameterlessVertexImpl(ComputationGraph graph, String name, int idx, DataType dataType) {
    super(graph, name, idx, null, null, dataType);
  }

  @Override
  public boolean hasLayer() {
    return false;
  }

  @Override
  public @Nullable Layer getLayer() {
    return null;
  }

  @Override
  public void setBackpropGradientsViewArray(INDArray backpropGradientsViewArray) {
    if (backpropGradientsViewArray != null) {
      throw new IllegalStateException("vertex " + vertexName + " has no parameters");
    }
  }

  /** Throws when the forward pass is called before the input is set. */
  void checkForward() {
    if (!canDoForward()) {
      throw new IllegalStateException(
          "Cannot do forward pass: input not set (vertex " + vertexName + ")");
    }
  }

  /**
   * The input of a forward pass, once {@link #checkForward()} passed.
   *
   * @throws IllegalArgumentException if it is not rank 4 (NCHW)
   */
  INDArray nchwInput() {
    checkForward();
    INDArray in = inputs[0];
    if (in.rank() != 4) {
      throw new IllegalArgumentException(
          "vertex " + vertexName + " expects NCHW input, got shape " + Arrays.toString(in.shape()));
    }
    return in;
  }

  /** Throws when the backward pass is called before epsilon is set. */
  void checkBackward() {
    if (!canDoBackward()) {
      throw new IllegalStateException(
          "Cannot do backward pass: epsilon not set (vertex " + vertexName + ")");
    }
  }
}
