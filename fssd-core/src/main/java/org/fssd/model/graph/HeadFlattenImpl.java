package org.fssd.model.graph;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.jspecify.annotations.Nullable;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Runtime side of {@link HeadFlattenVertex}. */
final class HeadFlattenImpl extends ParameterlessVertexImpl {
  private static final long serialVersionUID = 1L;

  HeadFlattenImpl(ComputationGraph graph, String name, int idx, DataType dataType) {
    super(graph, name, idx, dataType);
  }

  @Override
  public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
    INDArray in = nchwInput();
    INDArray nhwc = workspaceMgr.dup(ArrayType.ACTIVATIONS, in.permute(0, 2, 3, 1), 'c');
    return nhwc.reshape('c', in.size(0), in.size(1) * in.size(2) * in.size(3));
  }

  @Override
  public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
    checkBackward();
    INDArray in = inputs[0];
    INDArray eps = epsilon.dup('c').reshape('c', in.size(0), in.size(2), in.size(3), in.size(1));
    INDArray grad = workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, eps.permute(0, 3, 1, 2), 'c');
    return new Pair<>(null, new INDArray[] {grad});
  }

  @Override
  public @Nullable Pair<INDArray, MaskState> feedForwardMaskArrays(
      INDArray[] maskArrays, MaskState currentMaskState, int minibatchSize) {
    return null;
  }

  @Override
  public String toString() {
    return "HeadFlattenVertex(name=" + vertexName + ")";
  }
}
