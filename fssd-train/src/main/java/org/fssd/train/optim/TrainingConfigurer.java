package org.fssd.train.optim;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.fssd.FssdException;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * SPEC §7: installs the reference's optimisation on a DL4J graph configuration — one updater (e.g.
 * {@link PyTorchSgd}) for every trainable parameter, and PyTorch-style weight decay ({@code g += wd
 * * w} before the updater, DL4J's {@link L2Regularization}) on every weight, bias and BN
 * gamma/beta. BN layers become {@link DecayedBatchNormalization} (same parameters) so that gamma
 * and beta are decayed; BN running mean/variance keep DL4J's no-op updater and no regularisation.
 *
 * <p>Stateless utility; returns modified copies.
 */
public final class TrainingConfigurer {
  private TrainingConfigurer() {}

  /**
   * A copy of {@code conf} whose layers use {@code updater} and weight decay {@code weightDecay} (0
   * = none) on all of weights, biases and BN gamma/beta.
   */
  public static ComputationGraphConfiguration configure(
      ComputationGraphConfiguration conf, IUpdater updater, double weightDecay) {
    return configure(conf, updater, weightDecay, 0);
  }

  /**
   * As {@link #configure(ComputationGraphConfiguration, IUpdater, double)}, plus the network
   * slimming term {@code gammaL1 * sign(gamma)} on every BN gamma gradient (SPEC §7; 0 = none).
   */
  public static ComputationGraphConfiguration configure(
      ComputationGraphConfiguration conf, IUpdater updater, double weightDecay, double gammaL1) {
    Objects.requireNonNull(conf, "conf");
    checkArgument(
        gammaL1 >= 0 && Double.isFinite(gammaL1),
        "gammaL1 (sparsity) must be finite and >= 0, got %s",
        gammaL1);
    Objects.requireNonNull(updater, "updater");
    checkArgument(
        weightDecay >= 0 && Double.isFinite(weightDecay),
        "weightDecay must be finite and >= 0, got %s",
        weightDecay);
    ComputationGraphConfiguration copy = conf.clone();
    for (Map.Entry<String, GraphVertex> e : copy.getVertices().entrySet()) {
      if (!(e.getValue() instanceof LayerVertex lv)) {
        continue;
      }
      NeuralNetConfiguration nnc = lv.getLayerConf();
      Layer layer = nnc.getLayer();
      if (layer instanceof BatchNormalization bn && !(layer instanceof DecayedBatchNormalization)) {
        layer = decayed(bn);
        nnc.setLayer(layer);
      }
      if (layer instanceof DecayedBatchNormalization dbn) {
        dbn.setGammaL1(gammaL1);
      }
      if (layer instanceof BaseLayer bl) {
        bl.setIUpdater(updater.clone());
        bl.setBiasUpdater(null);
        bl.setRegularization(decay(weightDecay));
        bl.setRegularizationBias(decay(weightDecay));
      }
    }
    return copy;
  }

  private static List<Regularization> decay(double weightDecay) {
    List<Regularization> l = new ArrayList<>(1);
    if (weightDecay > 0) {
      l.add(new L2Regularization(weightDecay));
    }
    return l;
  }

  /** A {@link DecayedBatchNormalization} with every setting of {@code bn} (copied through JSON). */
  static DecayedBatchNormalization decayed(BatchNormalization bn) {
    ObjectMapper mapper = NeuralNetConfiguration.mapper();
    try {
      ObjectNode tree = mapper.valueToTree(bn);
      tree.put("@class", DecayedBatchNormalization.class.getName());
      Layer copy = mapper.treeToValue(tree, Layer.class);
      return (DecayedBatchNormalization) copy;
    } catch (Exception e) {
      throw new FssdException("cannot convert batch-norm layer " + bn.getLayerName() + ": " + e, e);
    }
  }
}
