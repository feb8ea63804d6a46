package org.fssd.bench;

import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.ConvImpl;
import org.fssd.model.FssdModel;
import org.fssd.model.graph.FastConvolutionLayer;
import org.fssd.train.TrainingGraph;
import org.fssd.train.optim.FastBatchNormHelper;
import org.fssd.train.optim.PyTorchSgd;

/**
 * The training graph the training-step benchmarks time: {@link TrainingGraph} of a model with
 * PyTorch-semantics SGD (learning rate {@value #LEARNING_RATE}, momentum {@value #MOMENTUM}, weight
 * decay {@value #WEIGHT_DECAY} on every parameter, SPEC §7), the model's parameters copied in.
 * {@code tools/reference/train_step_timing.py} uses the same optimiser settings. Stateless.
 */
final class TrainGraphs {
  /** SGD learning rate (small, so that repeated steps on one batch stay finite). */
  static final double LEARNING_RATE = 1e-4;

  /** SGD momentum. */
  static final double MOMENTUM = 0.9;

  /** L2 weight decay, PyTorch style. */
  static final double WEIGHT_DECAY = 5e-4;

  private TrainGraphs() {}

  /**
   * A training graph of {@code model}'s configuration with {@code impl} convolutions and its
   * parameters.
   */
  static ComputationGraph create(FssdModel model, ConvImpl impl) {
    Objects.requireNonNull(model, "model");
    ComputationGraph g =
        new ComputationGraph(
            TrainingGraph.configuration(
                model.config(), PyTorchSgd.of(LEARNING_RATE, MOMENTUM), WEIGHT_DECAY, impl));
    g.init();
    TrainingGraph.copyParams(model.graph(), g);
    return g;
  }

  /**
   * Checks that the graph computes what the benchmark claims: every convolution is a {@link
   * FastConvolutionLayer} when {@code impl} is FAST (none when STOCK), and every batch-norm layer
   * runs {@link FastBatchNormHelper} (libnd4j's batchnorm ops). Returns a one-line summary.
   *
   * @throws IllegalStateException naming the first layer that does not
   */
  static String check(ComputationGraph g, ConvImpl impl) {
    int convs = 0;
    int bns = 0;
    for (Layer l : g.getLayers()) {
      org.deeplearning4j.nn.conf.layers.Layer conf = l.conf().getLayer();
      if (conf instanceof org.deeplearning4j.nn.conf.layers.ConvolutionLayer) {
        boolean fast = conf instanceof FastConvolutionLayer;
        if (fast != (impl == ConvImpl.FAST)) {
          throw new IllegalStateException(
              "layer "
                  + conf.getLayerName()
                  + " is "
                  + conf.getClass().getSimpleName()
                  + ", expected "
                  + (impl == ConvImpl.FAST ? "FastConvolutionLayer" : "DL4J's ConvolutionLayer"));
        }
        convs++;
      }
      if (l instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization bn) {
        if (!(bn.getHelper() instanceof FastBatchNormHelper)) {
          throw new IllegalStateException(
              "batch-norm layer "
                  + conf.getLayerName()
                  + " runs "
                  + (bn.getHelper() == null
                      ? "DL4J's generic code"
                      : bn.getHelper().getClass().getName())
                  + ", not FastBatchNormHelper");
        }
        bns++;
      }
    }
    return convs
        + " "
        + impl
        + " convolutions, "
        + bns
        + " batch-norm layers on FastBatchNormHelper";
  }
}
