package org.fssd.model.graph;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.jspecify.annotations.Nullable;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Runtime side of {@link BilinearResizeVertex}. Not thread-safe (one per graph instance). */
final class BilinearResizeImpl extends ParameterlessVertexImpl {
  private static final long serialVersionUID = 1L;

  private final int outHeight;
  private final int outWidth;

  /** Cached [h*w, H*W] transpose of the 2-D interpolation matrix for the last input size. */
  private transient @Nullable INDArray matrixT;

  private transient long cachedH = -1;
  private transient long cachedW = -1;

  BilinearResizeImpl(
      ComputationGraph graph,
      String name,
      int idx,
      int outHeight,
      int outWidth,
      DataType dataType) {
    super(graph, name, idx, dataType);
    this.outHeight = outHeight;
    this.outWidth = outWidth;
  }

  private INDArray matrixT(long h, long w, DataType type) {
    if (matrixT == null || cachedH != h || cachedW != w || matrixT.dataType() != type) {
      double[][] rows = BilinearResizeVertex.interpolationMatrix((int) h, outHeight);
      double[][] cols = BilinearResizeVertex.interpolationMatrix((int) w, outWidth);
      int in = (int) (h * w);
      int out = outHeight * outWidth;
      double[] data = new double[in * out];
      // Kronecker product: M[(oy*W+ox), (iy*w+ix)] = rows[oy][iy] * cols[ox][ix]; stored
      // transposed.
      for (int oy = 0; oy < outHeight; oy++) {
        for (int iy = 0; iy < h; iy++) {
          double ry = rows[oy][iy];
          if (ry == 0) {
            continue;
          }
          for (int ox = 0; ox < outWidth; ox++) {
            for (int ix = 0; ix < w; ix++) {
              double v = ry * cols[ox][ix];
              if (v != 0) {
                data[(int) ((iy * w + ix) * out + oy * outWidth + ox)] = v;
              }
            }
          }
        }
      }
      try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        matrixT = Nd4j.create(data, new long[] {in, out}, 'c').castTo(type);
      }
      cachedH = h;
      cachedW = w;
    }
    return matrixT;
  }

  @Override
  public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
    INDArray in = nchwInput();
    long n = in.size(0);
    long c = in.size(1);
    INDArray mt = matrixT(in.size(2), in.size(3), in.dataType());
    INDArray flat = in.dup('c').reshape('c', n * c, in.size(2) * in.size(3));
    INDArray out =
        workspaceMgr.createUninitialized(
            ArrayType.ACTIVATIONS,
            in.dataType(),
            new long[] {n * c, (long) outHeight * outWidth},
            'c');
    flat.mmuli(mt, out);
    return out.reshape('c', n, c, outHeight, outWidth);
  }

  @Override
  public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
    checkBackward();
    INDArray in = inputs[0];
    long n = in.size(0);
    long c = in.size(1);
    long h = in.size(2);
    long w = in.size(3);
    INDArray mt = matrixT(h, w, epsilon.dataType());
    INDArray eps = epsilon.dup('c').reshape('c', n * c, (long) outHeight * outWidth);
    INDArray grad =
        workspaceMgr.createUninitialized(
            ArrayType.ACTIVATION_GRAD, epsilon.dataType(), new long[] {n * c, h * w}, 'c');
    eps.mmuli(mt.transpose(), grad);
    return new Pair<>(null, new INDArray[] {grad.reshape('c', n, c, h, w)});
  }

  @Override
  public @Nullable Pair<INDArray, MaskState> feedForwardMaskArrays(
      INDArray[] maskArrays, MaskState currentMaskState, int minibatchSize) {
    return maskArrays == null || maskArrays.length == 0
        ? null
        : new Pair<>(maskArrays[0], currentMaskState);
  }

  @Override
  public String toString() {
    return "BilinearResizeVertex(name=" + vertexName + ", out=" + outHeight + "x" + outWidth + ")";
  }
}
