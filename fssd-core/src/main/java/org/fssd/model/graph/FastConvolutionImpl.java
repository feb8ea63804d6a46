package org.fssd.model.graph;

import java.util.Arrays;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.jspecify.annotations.Nullable;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.ThresholdReluBp;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runtime side of {@link FastConvolutionLayer}: forward by libnd4j's {@code conv2d} op, backward by
 * {@code conv2d_bp} (both NCHW, weights [oC, iC, kH, kW]). Not thread-safe (one per graph
 * instance).
 *
 * <p>For ReLU and identity activations the backward pass needs no second forward convolution: the
 * ReLU mask is taken from this layer's last training-mode output (a ReLU output is positive exactly
 * where its pre-activation is), which stays valid while the graph's activation workspace is open;
 * when that output is gone (closed workspace, other input) the forward convolution is recomputed,
 * as for every other activation.
 */
class FastConvolutionImpl extends ConvolutionLayer {
  private static final long serialVersionUID = 1L;
  private static final String FORWARD_OP = "conv2d";
  private static final String BACKWARD_OP = "conv2d_bp";

  /** libnd4j's weight-format code for [oC, iC, kH, kW]. */
  private static final int WEIGHTS_OIHW = 1;

  private static final int FORMAT_NCHW = 0;

  /** The output of the last training-mode forward pass and the input it was computed from. */
  private transient @Nullable INDArray lastOutput;

  private transient @Nullable INDArray lastOutputInput;

  FastConvolutionImpl(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(false);
    applyDropOutIfNecessary(training, workspaceMgr);
    INDArray z = preOutput(training, false, workspaceMgr).getFirst();
    INDArray out = layerConf().getActivationFn().getActivation(z, training);
    if (training && fastActivation()) {
      lastOutput = out;
      lastOutputInput = input;
    } else {
      lastOutput = null;
      lastOutputInput = null;
    }
    return out;
  }

  @Override
  protected Pair<INDArray, INDArray> preOutput(
      boolean training, boolean forBackprop, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(false);
    checkSupported();
    INDArray in = contiguous(input.castTo(dataType), ArrayType.FF_WORKING_MEM, workspaceMgr);
    INDArray weights =
        getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, training, workspaceMgr);
    INDArray bias =
        layerConf().hasBias()
            ? getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, training, workspaceMgr)
            : null;
    validateInput(in, weights);
    long[] outShape = {in.size(0), weights.size(0), outSize(in.size(2), 0), outSize(in.size(3), 1)};
    if (outShape[2] < 1 || outShape[3] < 1) {
      throw new DL4JInvalidInputException(
          "input "
              + Arrays.toString(in.shape())
              + " is too small for the convolution "
              + describe()
              + " "
              + layerId());
    }
    INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, outShape, 'c');
    DynamicCustomOp.DynamicCustomOpsBuilder op =
        DynamicCustomOp.builder(FORWARD_OP)
            .addInputs(
                bias == null ? new INDArray[] {in, weights} : new INDArray[] {in, weights, bias})
            .addOutputs(z)
            .addIntegerArguments(intArgs());
    exec(op.build());
    return new Pair<>(z, null);
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(true);
    checkSupported();
    INDArray in = contiguous(input.castTo(dataType), ArrayType.BP_WORKING_MEM, workspaceMgr);
    INDArray eps = contiguous(epsilon.castTo(dataType), ArrayType.BP_WORKING_MEM, workspaceMgr);
    INDArray weights =
        getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, true, workspaceMgr);
    IActivation afn = layerConf().getActivationFn();

    INDArray delta;
    if (afn instanceof ActivationIdentity) {
      delta = eps;
    } else if (fastActivation() && cachedOutputValid(eps)) {
      delta =
          workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, eps.shape(), 'c');
      Nd4j.exec(new ThresholdReluBp(lastOutput, eps, delta, 0.0));
    } else {
      INDArray z = preOutput(true, true, workspaceMgr).getFirst();
      delta =
          contiguous(afn.backprop(z, eps.dup()).getFirst(), ArrayType.BP_WORKING_MEM, workspaceMgr);
    }
    lastOutput = null;
    lastOutputInput = null;

    INDArray weightGrad = gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY);
    INDArray biasGrad =
        layerConf().hasBias() ? gradientViews.get(ConvolutionParamInitializer.BIAS_KEY) : null;
    INDArray epsNext =
        workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, in.shape(), 'c');
    INDArray[] inputs =
        biasGrad == null
            ? new INDArray[] {in, weights, delta}
            : new INDArray[] {
              in,
              weights,
              getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, true, workspaceMgr),
              delta
            };
    INDArray[] outputs =
        biasGrad == null
            ? new INDArray[] {epsNext, weightGrad}
            : new INDArray[] {epsNext, weightGrad, biasGrad};
    exec(
        DynamicCustomOp.builder(BACKWARD_OP)
            .addInputs(inputs)
            .addOutputs(outputs)
            .addIntegerArguments(intArgs())
            .build());

    Gradient g = new DefaultGradient();
    if (biasGrad != null) {
      g.setGradientFor(ConvolutionParamInitializer.BIAS_KEY, biasGrad);
    }
    g.setGradientFor(ConvolutionParamInitializer.WEIGHT_KEY, weightGrad, 'c');
    weightNoiseParams.clear();
    return new Pair<>(g, backpropDropOutIfPresent(epsNext));
  }

  @Override
  public void clear() {
    super.clear();
    lastOutput = null;
    lastOutputInput = null;
  }

  /** True when the activation's derivative can be read from its output (plain ReLU). */
  private boolean fastActivation() {
    return layerConf().getActivationFn().equals(new ActivationReLU());
  }

  private boolean cachedOutputValid(INDArray eps) {
    return lastOutput != null
        && lastOutputInput == input
        && !lastOutput.wasClosed()
        && Arrays.equals(lastOutput.shape(), eps.shape());
  }

  /** Runs {@code op}; dilated convolutions on libnd4j's generic code (oneDNN refuses them). */
  private void exec(DynamicCustomOp op) {
    int[] d = layerConf().getDilation();
    if (d[0] == 1 && d[1] == 1) {
      Nd4j.exec(op);
      return;
    }
    Environment env = Nd4j.getEnvironment();
    boolean helpers = env.helpersAllowed();
    env.allowHelpers(false);
    try {
      Nd4j.exec(op);
    } finally {
      env.allowHelpers(helpers);
    }
  }

  private int[] intArgs() {
    int[] k = layerConf().getKernelSize();
    int[] s = layerConf().getStride();
    int[] p = layerConf().getPadding();
    int[] d = layerConf().getDilation();
    return new int[] {k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], 0, FORMAT_NCHW, WEIGHTS_OIHW};
  }

  private long outSize(long in, int dim) {
    int k = layerConf().getKernelSize()[dim];
    int s = layerConf().getStride()[dim];
    int p = layerConf().getPadding()[dim];
    int d = layerConf().getDilation()[dim];
    long effective = (long) (k - 1) * d + 1;
    return (in + 2L * p - effective) / s + 1;
  }

  private void checkSupported() {
    ConvolutionMode mode = layerConf().getConvolutionMode();
    if (mode != ConvolutionMode.Truncate && mode != ConvolutionMode.Strict) {
      throw new UnsupportedOperationException(
          "FastConvolutionLayer supports Truncate and Strict "
              + "convolution modes only, got "
              + mode
              + " "
              + layerId());
    }
    if (layerConf().getCnn2dDataFormat() != CNN2DFormat.NCHW) {
      throw new UnsupportedOperationException(
          "FastConvolutionLayer supports NCHW only, got "
              + layerConf().getCnn2dDataFormat()
              + " "
              + layerId());
    }
  }

  private void validateInput(INDArray in, INDArray weights) {
    if (in.rank() != 4 || in.size(1) != weights.size(1)) {
      throw new DL4JInvalidInputException(
          "FastConvolutionLayer expects NCHW input with "
              + weights.size(1)
              + " channels, got shape "
              + Arrays.toString(in.shape())
              + " "
              + layerId());
    }
  }

  private String describe() {
    return "k"
        + Arrays.toString(layerConf().getKernelSize())
        + " s"
        + Arrays.toString(layerConf().getStride())
        + " p"
        + Arrays.toString(layerConf().getPadding())
        + " d"
        + Arrays.toString(layerConf().getDilation());
  }

  private static INDArray contiguous(INDArray a, ArrayType type, LayerWorkspaceMgr ws) {
    if (a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a)) {
      return a;
    }
    return ws.dup(type, a, 'c');
  }
}
