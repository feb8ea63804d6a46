package org.fssd.train.optim;

import java.util.List;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * DL4J's {@link BatchNormalization} whose gamma and beta take the layer's regularisation (DL4J's
 * own never regularises BN parameters; PyTorch's {@code weight_decay} decays them like every other
 * parameter, SPEC §7). The running mean and variance are never regularised and keep DL4J's no-op
 * updater (they are running averages, not trained). Behaves otherwise exactly like its parent and
 * has the same parameters, so parameters copy one-to-one between a training graph and the
 * inference graph. Configuration only; serialisable to DL4J's JSON.
 */
public class DecayedBatchNormalization extends BatchNormalization {
  private static final long serialVersionUID = 1L;

  /** Defaults of {@link BatchNormalization}; fields are then set by DL4J's JSON reader or a copy. */
  public DecayedBatchNormalization() {
    super();
  }

  @Override
  public List<Regularization> getRegularizationByParam(String paramName) {
    switch (paramName) {
      case BatchNormalizationParamInitializer.GAMMA:
      case BatchNormalizationParamInitializer.BETA:
        return getRegularization();
      default:
        return null;
    }
  }

  @Override
  public DecayedBatchNormalization clone() {
    return (DecayedBatchNormalization) super.clone();
  }
}
