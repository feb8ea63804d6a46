package org.fssd.train.optim;

import java.util.List;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.learning.regularization.L1Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * DL4J's {@link BatchNormalization} whose gamma and beta take the layer's regularisation (DL4J's
 * own never regularises BN parameters; PyTorch's {@code weight_decay} decays them like every other
 * parameter, SPEC §7). The running mean and variance are never regularised and keep DL4J's no-op
 * updater (they are running averages, not trained). Behaves otherwise exactly like its parent and
 * has the same parameters, so parameters copy one-to-one between a training graph and the inference
 * graph. Configuration only; serialisable to DL4J's JSON.
 *
 * <p>Network slimming (SPEC §7, §11): with {@link #setGammaL1(double) gammaL1} = s > 0, gamma's
 * gradient also gets {@code s * sign(gamma)} (DL4J's {@link L1Regularization}, applied before the
 * updater like the weight decay). The value is part of the layer's JSON, so a resumed run keeps it.
 */
public class DecayedBatchNormalization extends BatchNormalization {
  private static final long serialVersionUID = 1L;

  /**
   * Defaults of {@link BatchNormalization}; fields are then set by DL4J's JSON reader or a copy.
   */
  public DecayedBatchNormalization() {
    super();
  }

  /** The slimming L1 strength s on gamma (0 = none). */
  private double gammaL1;

  public double getGammaL1() {
    return gammaL1;
  }

  /** Sets the slimming L1 strength s on gamma (finite, >= 0). */
  public void setGammaL1(double gammaL1) {
    if (!(gammaL1 >= 0) || Double.isInfinite(gammaL1)) {
      throw new IllegalArgumentException("gammaL1 must be finite and >= 0, got " + gammaL1);
    }
    this.gammaL1 = gammaL1;
  }

  @Override
  public List<Regularization> getRegularizationByParam(String paramName) {
    switch (paramName) {
      case BatchNormalizationParamInitializer.GAMMA:
        if (gammaL1 > 0) {
          List<Regularization> withL1 = new java.util.ArrayList<>();
          if (getRegularization() != null) {
            withL1.addAll(getRegularization());
          }
          withL1.add(new L1Regularization(gammaL1));
          return withL1;
        }
        return getRegularization();
      case BatchNormalizationParamInitializer.BETA:
        return getRegularization();
      default:
        return null;
    }
  }

  /**
   * DL4J's layer with a {@link FastBatchNormHelper} installed (4-D NCHW float batches run on
   * libnd4j's batchnorm ops; every other case on DL4J's own code).
   */
  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      org.deeplearning4j.nn.conf.NeuralNetConfiguration conf,
      java.util.Collection<org.deeplearning4j.optimize.api.TrainingListener> listeners,
      int layerIndex,
      org.nd4j.linalg.api.ndarray.INDArray layerParamsView,
      boolean initializeParams,
      org.nd4j.linalg.api.buffer.DataType networkDataType) {
    org.deeplearning4j.nn.api.Layer layer =
        super.instantiate(
            conf, listeners, layerIndex, layerParamsView, initializeParams, networkDataType);
    if (fastHelper) {
      FastBatchNormHelper.install(
          (org.deeplearning4j.nn.layers.normalization.BatchNormalization) layer);
    }
    return layer;
  }

  /** Whether layers are instantiated with {@link FastBatchNormHelper} (default true). */
  private boolean fastHelper = true;

  public boolean isFastHelper() {
    return fastHelper;
  }

  /** Chooses libnd4j's batchnorm ops (true, default) or DL4J's generic code (false). */
  public void setFastHelper(boolean fastHelper) {
    this.fastHelper = fastHelper;
  }

  @Override
  public DecayedBatchNormalization clone() {
    return (DecayedBatchNormalization) super.clone();
  }
}
