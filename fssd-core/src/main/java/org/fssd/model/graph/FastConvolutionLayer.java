package org.fssd.model.graph;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SPEC §2: a 2-D convolution computed by libnd4j's {@code conv2d} / {@code conv2d_bp} custom ops
 * (oneDNN where the ND4J build has it) instead of DL4J's im2col + GEMM; otherwise the stock {@link
 * ConvolutionLayer}.
 *
 * <p>Same configuration fields, same parameters ({@code W} [out, in, kH, kW], {@code b} [1, out]
 * when {@link #hasBias()}), same output shape and values (to float rounding) as the stock layer, so
 * importers, pruners and parameter copies treat both alike ({@code instanceof ConvolutionLayer}
 * holds). Supported: NCHW data, explicit padding ({@code Truncate} or {@code Strict} mode; {@code
 * Same} is refused at run time), any stride and dilation, and every activation function (ReLU and
 * identity take a fast path). Dilated convolutions run on libnd4j's generic code because ND4J's
 * oneDNN refuses them.
 *
 * <p>Serialisable by {@code ModelSerializer}: all state is the parent's (Jackson finds this class
 * by name). Build one from a configured stock builder: {@code new FastConvolutionLayer(new
 * ConvolutionLayer.Builder(3, 3).nIn(..).nOut(..)...)}.
 */
public class FastConvolutionLayer extends ConvolutionLayer {
  private static final long serialVersionUID = 1L;

  /** For JSON deserialisation. */
  public FastConvolutionLayer() {
    super();
  }

  /** The fast layer configured by {@code builder} (the same settings the stock layer would get). */
  public FastConvolutionLayer(ConvolutionLayer.Builder builder) {
    super(builder);
  }

  @Override
  public Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    LayerValidation.assertNInNOutSet(
        "FastConvolutionLayer", getLayerName(), layerIndex, getNIn(), getNOut());
    FastConvolutionImpl ret = new FastConvolutionImpl(conf, networkDataType);
    ret.setListeners(listeners);
    ret.setIndex(layerIndex);
    ret.setParamsViewArray(layerParamsView);
    Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
    ret.setParamTable(paramTable);
    ret.setConf(conf);
    return ret;
  }

  @Override
  public FastConvolutionLayer clone() {
    return (FastConvolutionLayer) super.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o != null && o.getClass() == getClass() && super.equals(o);
  }

  @Override
  public int hashCode() {
    return 31 * super.hashCode() + 7;
  }
}
