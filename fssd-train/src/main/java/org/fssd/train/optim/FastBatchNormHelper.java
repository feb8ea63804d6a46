package org.fssd.train.optim;

import static com.google.common.base.Preconditions.checkArgument;

import java.lang.reflect.Field;
import java.util.Collections;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Batch normalisation of 4-D NCHW float activations by libnd4j's {@code batchnorm} and {@code
 * batchnorm_bp} custom ops (one native call each way) instead of DL4J's generic layer code, which
 * spends most of a training step in broadcast ops and in a variance reduction over the
 * non-contiguous dimensions (0, 2, 3).
 *
 * <p>Why a helper of our own: DL4J M2.1 has one ({@code MKLDNNBatchNormHelper}) but never enables
 * it (its availability check looks for a class the native jar does not contain). This class plugs
 * into the same {@link BatchNormalizationHelper} slot of DL4J's layer, so the layer keeps doing
 * everything else exactly as before (parameters, running-average updates with its decay, inference
 * mode, serialisation).
 *
 * <p>Batch statistics: per (sample, channel) mean and biased variance over the contiguous H*W
 * block, combined per channel with the law of total variance, var = mean_n(var_nc + mean_nc^2) -
 * mean_c^2, which is the biased variance over (N, H, W) that DL4J and PyTorch normalise with.
 * Anything else (rank 2, NHWC, non-float, locked gamma/beta) returns {@code null}, which makes the
 * layer fall back to its own code for that call.
 *
 * <p>Not thread-safe: one instance per layer instance, like the layer itself.
 */
public final class FastBatchNormHelper implements BatchNormalizationHelper {
  private static final Field HELPER_FIELD = helperField();

  private INDArray meanCache;
  private INDArray varCache;

  /**
   * Installs a new helper into {@code layer} (replacing whatever DL4J put there, normally nothing).
   * Returns the layer.
   */
  public static BatchNormalization install(BatchNormalization layer) {
    try {
      HELPER_FIELD.set(layer, new FastBatchNormHelper());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot install the batch-norm helper into " + layer, e);
    }
    return layer;
  }

  private static Field helperField() {
    try {
      Field f = BatchNormalization.class.getDeclaredField("helper");
      f.setAccessible(true);
      return f;
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException(
          "DL4J's BatchNormalization layer has no 'helper' field; "
              + "this class is written against deeplearning4j-nn 1.0.0-M2.1",
          e);
    }
  }

  private static boolean supported(INDArray x, INDArray gamma, INDArray beta, CNN2DFormat format) {
    return x.rank() == 4
        && x.dataType() == DataType.FLOAT
        && format == CNN2DFormat.NCHW
        && gamma != null
        && beta != null;
  }

  @Override
  public boolean checkSupported(double eps, boolean fixedGammaBeta) {
    return !fixedGammaBeta;
  }

  @Override
  public boolean checkSupported() {
    return true;
  }

  @Override
  public INDArray preOutput(
      INDArray x,
      boolean training,
      long[] shape,
      INDArray gamma,
      INDArray beta,
      INDArray mean,
      INDArray var,
      double decay,
      double eps,
      CNN2DFormat format,
      LayerWorkspaceMgr workspaceMgr) {
    if (!supported(x, gamma, beta, format)) {
      return null;
    }
    INDArray m;
    INDArray v;
    if (training) {
      batchStatistics(x);
      m = meanCache;
      v = varCache;
    } else {
      m = mean.reshape(mean.length());
      v = var.reshape(var.length());
    }
    INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape());
    DynamicCustomOp op =
        DynamicCustomOp.builder("batchnorm")
            .addInputs(x, m, v, gamma.reshape(gamma.length()), beta.reshape(beta.length()))
            .addOutputs(out)
            .addIntegerArguments(1, 1, 1) // apply scale, apply offset, channel axis 1 (NCHW)
            .addFloatingPointArguments(eps)
            .build();
    Nd4j.exec(op);
    return out;
  }

  /** Fills the mean and variance caches with the batch's per-channel statistics. */
  private void batchStatistics(INDArray x) {
    INDArray[] mv = channelMeanVar(x, DataType.FLOAT);
    long c = x.size(1);
    try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
      if (meanCache == null || meanCache.length() != c) {
        meanCache = Nd4j.createUninitialized(DataType.FLOAT, c);
        varCache = Nd4j.createUninitialized(DataType.FLOAT, c);
      }
    }
    meanCache.assign(mv[0]);
    varCache.assign(mv[1]);
  }

  /**
   * The per-channel mean and biased variance over (N, H, W) of a 4-D NCHW array, computed in {@code
   * type} (the array is cast when it has another type): {@code {mean, var}}, each a vector of
   * length C. Per (sample, channel) mean and variance over the contiguous H*W block, combined with
   * the law of total variance (see the class comment); a negative variance from rounding is clamped
   * to 0. The one implementation of these statistics, shared with {@link
   * org.fssd.train.PreciseBatchNorm}. The results live in the current workspace, if any.
   */
  public static INDArray[] channelMeanVar(INDArray x, DataType type) {
    checkArgument(
        x.rank() == 4,
        "expected a 4-D NCHW array, got shape %s",
        java.util.Arrays.toString(x.shape()));
    checkArgument(type.isFPType(), "type must be floating point, got %s", type);
    long n = x.size(0);
    long c = x.size(1);
    INDArray rows =
        (Shape.hasDefaultStridesForShape(x) ? x : x.dup('c'))
            .reshape('c', n * c, x.size(2) * x.size(3));
    if (rows.dataType() != type) {
      rows = rows.castTo(type);
    }
    INDArray rowMean = rows.mean(1); // [n*c]
    INDArray rowVar = rows.var(false, 1); // [n*c], biased
    INDArray meanNc = rowMean.reshape('c', n, c);
    INDArray secondMoment = rowVar.reshape('c', n, c).addi(meanNc.mul(meanNc)).mean(0);
    INDArray mean = meanNc.mean(0);
    INDArray var = secondMoment.subi(mean.mul(mean));
    // Rounding can make E[x^2] - E[x]^2 slightly negative for a constant channel.
    Transforms.max(var, 0.0, false);
    return new INDArray[] {mean, var};
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray input,
      INDArray epsilon,
      long[] shape,
      INDArray gamma,
      INDArray beta,
      INDArray dGammaView,
      INDArray dBetaView,
      double eps,
      CNN2DFormat format,
      LayerWorkspaceMgr workspaceMgr) {
    if (!supported(input, gamma, beta, format)
        || meanCache == null
        || meanCache.length() != input.size(1)) {
      return null;
    }
    INDArray gradOut = Shape.hasDefaultStridesForShape(epsilon) ? epsilon : epsilon.dup('c');
    INDArray gradIn =
        workspaceMgr.createUninitialized(
            ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape());
    INDArray dMean = Nd4j.createUninitialized(DataType.FLOAT, meanCache.length());
    INDArray dVar = Nd4j.createUninitialized(DataType.FLOAT, meanCache.length());
    DynamicCustomOp op =
        DynamicCustomOp.builder("batchnorm_bp")
            .addInputs(
                input,
                meanCache,
                varCache,
                gamma.reshape(gamma.length()),
                beta.reshape(beta.length()),
                gradOut)
            .addOutputs(
                gradIn,
                dMean,
                dVar,
                dGammaView.reshape(dGammaView.length()),
                dBetaView.reshape(dBetaView.length()))
            .addIntegerArguments(1, 1, 1)
            .addFloatingPointArguments(eps)
            .build();
    Nd4j.exec(op);
    Gradient g = new DefaultGradient();
    g.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
    g.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
    return new Pair<>(g, gradIn);
  }

  @Override
  public INDArray getMeanCache(DataType dataType) {
    return meanCache;
  }

  @Override
  public INDArray getVarCache(DataType dataType) {
    return varCache;
  }

  @Override
  public Map<String, Long> helperMemoryUse() {
    return Collections.emptyMap();
  }
}
