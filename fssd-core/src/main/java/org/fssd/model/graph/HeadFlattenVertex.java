package org.fssd.model.graph;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * SPEC §2.5: flattens a head's NCHW output in NHWC order, [N, C, H, W] -> [N, H*W*C], so that the
 * value for cell (i, j), box a, coordinate/class q lands at ((i*W + j)*A + a)*Q + q — the
 * reference's {@code permute(0, 2, 3, 1).view(N, -1)}. The backward pass is the inverse
 * permutation. No state; serialisable by {@code ModelSerializer}.
 */
public final class HeadFlattenVertex extends SingleInputVertex {
  private static final long serialVersionUID = 1L;

  public HeadFlattenVertex() {}

  @Override
  public HeadFlattenVertex clone() {
    return new HeadFlattenVertex();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HeadFlattenVertex;
  }

  @Override
  public int hashCode() {
    return HeadFlattenVertex.class.hashCode();
  }

  @Override
  ParameterlessVertexImpl instantiate(
      ComputationGraph graph, String name, int idx, DataType networkDatatype) {
    return new HeadFlattenImpl(graph, name, idx, networkDatatype);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType... vertexInputs)
      throws InvalidInputTypeException {
    InputType.InputTypeConvolutional in = convolutionalInput(vertexInputs);
    return InputType.feedForward(in.getHeight() * in.getWidth() * in.getChannels());
  }
}
