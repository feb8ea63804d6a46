package org.fssd.model.graph;

import static com.google.common.base.Preconditions.checkArgument;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * SPEC §2.3: bilinear resize of an NCHW activation to a fixed size with PyTorch's {@code
 * align_corners=False} semantics (half-pixel centres, source index clamped at 0, no anti-aliasing),
 * as a trainable-graph vertex with an exact backward pass.
 *
 * <p>The resize is linear, so it is a matrix: the vertex multiplies each channel, flattened, by the
 * Kronecker product of the row and column interpolation matrices (built once per input size); the
 * backward pass multiplies by its transpose. Serialisable by {@code ModelSerializer}: the output
 * size is its only state.
 */
public final class BilinearResizeVertex extends SingleInputVertex {
  private static final long serialVersionUID = 1L;

  private final int outHeight;
  private final int outWidth;

  /**
   * @param outHeight output height in pixels (>= 1)
   * @param outWidth output width in pixels (>= 1)
   */
  public BilinearResizeVertex(
      @JsonProperty("outHeight") int outHeight, @JsonProperty("outWidth") int outWidth) {
    checkArgument(
        outHeight >= 1 && outWidth >= 1,
        "output size must be positive, got %sx%s",
        outHeight,
        outWidth);
    this.outHeight = outHeight;
    this.outWidth = outWidth;
  }

  public int getOutHeight() {
    return outHeight;
  }

  public int getOutWidth() {
    return outWidth;
  }

  @Override
  public BilinearResizeVertex clone() {
    return new BilinearResizeVertex(outHeight, outWidth);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BilinearResizeVertex
        && ((BilinearResizeVertex) o).outHeight == outHeight
        && ((BilinearResizeVertex) o).outWidth == outWidth;
  }

  @Override
  public int hashCode() {
    return 31 * outHeight + outWidth;
  }

  @Override
  ParameterlessVertexImpl instantiate(
      ComputationGraph graph, String name, int idx, DataType networkDatatype) {
    return new BilinearResizeImpl(graph, name, idx, outHeight, outWidth, networkDatatype);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType... vertexInputs)
      throws InvalidInputTypeException {
    InputType.InputTypeConvolutional in = convolutionalInput(vertexInputs);
    return InputType.convolutional(outHeight, outWidth, in.getChannels(), in.getFormat());
  }

  /**
   * The 1-D interpolation matrix [out][in] of PyTorch {@code align_corners=False}: for output o,
   * src = max(0, (o + 0.5) * in / out - 0.5), i0 = floor(src), i1 = min(i0 + 1, in - 1), weight of
   * i1 = src - i0.
   */
  public static double[][] interpolationMatrix(int in, int out) {
    checkArgument(in >= 1 && out >= 1, "sizes must be positive, got in=%s out=%s", in, out);
    double[][] m = new double[out][in];
    double scale = (double) in / out;
    for (int o = 0; o < out; o++) {
      double src = Math.max(0.0, (o + 0.5) * scale - 0.5);
      int i0 = Math.min((int) Math.floor(src), in - 1);
      int i1 = Math.min(i0 + 1, in - 1);
      double w1 = src - i0;
      m[o][i0] += 1.0 - w1;
      m[o][i1] += w1;
    }
    return m;
  }
}
