package org.fssd.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.ConvImpl;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.train.loss.MultiBoxLoss;
import org.fssd.train.optim.TrainingConfigurer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * SPEC §6-7: the training graph of an FSSD network — the inference graph of {@link FssdGraph} (same
 * vertex and parameter names) plus a {@link MergeVertex} {@value #LOSS_INPUT} of {@code loc} and
 * {@code conf} ([B, P*4 + P*C]) feeding a {@code LossLayer} {@value #LOSS} with {@link
 * MultiBoxLoss}; every layer carries the given updater and weight decay ({@link
 * TrainingConfigurer}). Its single label array is {@link #labels(MultiDataSet) [B, P*4 + P]}. Its
 * convolutions are {@link ConvImpl#FAST} unless asked otherwise (same parameters and values as the
 * stock layers, several times faster to train).
 *
 * <p>Parameters copy one-to-one between the two graphs ({@link #copyParams}). Stateless utility.
 */
public final class TrainingGraph {
  /** Name of the merge vertex feeding the loss. */
  public static final String LOSS_INPUT = "multibox.in";

  /** Name of the loss layer (the training graph's only output). */
  public static final String LOSS = "multibox";

  private TrainingGraph() {}

  /**
   * The training configuration of {@code config} (no parameters), {@link ConvImpl#FAST}
   * convolutions.
   */
  public static ComputationGraphConfiguration configuration(
      FssdConfig config, IUpdater updater, double weightDecay) {
    return configuration(config, updater, weightDecay, ConvImpl.FAST);
  }

  /**
   * The training configuration of {@code config} (no parameters) with {@code impl} convolutions.
   */
  public static ComputationGraphConfiguration configuration(
      FssdConfig config, IUpdater updater, double weightDecay, ConvImpl impl) {
    Objects.requireNonNull(config, "config");
    ComputationGraphConfiguration inference = FssdGraph.configuration(config, impl);
    MultiBoxLoss loss = MultiBoxLoss.of(config.numPriors(), config.numClasses());
    ComputationGraphConfiguration withLoss =
        new ComputationGraphConfiguration.GraphBuilder(
                inference, new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT))
            .addVertex(LOSS_INPUT, new MergeVertex(), FssdGraph.LOC, FssdGraph.CONF)
            .addLayer(
                LOSS,
                new LossLayer.Builder(loss).activation(Activation.IDENTITY).build(),
                LOSS_INPUT)
            .setOutputs(LOSS)
            .build();
    return TrainingConfigurer.configure(withLoss, updater, weightDecay);
  }

  /**
   * A new training graph for {@code config} with the parameters of {@code source} (same config).
   */
  public static ComputationGraph create(
      FssdConfig config, ComputationGraph source, IUpdater updater, double weightDecay) {
    ComputationGraph g = new ComputationGraph(configuration(config, updater, weightDecay));
    g.init();
    copyParams(source, g);
    return g;
  }

  /** A new inference graph for {@code config} holding the parameters of {@code training}. */
  public static ComputationGraph toInference(FssdConfig config, ComputationGraph training) {
    ComputationGraph g = new ComputationGraph(FssdGraph.configuration(config));
    g.init();
    copyParams(training, g);
    return g;
  }

  /**
   * Copies every parameter of {@code to} from the parameter of the same name in {@code from}.
   *
   * @throws IllegalArgumentException when one is missing or has another shape
   */
  public static void copyParams(ComputationGraph from, ComputationGraph to) {
    Map<String, INDArray> src = from.paramTable();
    for (Map.Entry<String, INDArray> e : to.paramTable().entrySet()) {
      INDArray s = src.get(e.getKey());
      checkArgument(s != null, "source graph has no parameter %s", e.getKey());
      checkArgument(
          Arrays.equals(s.shape(), e.getValue().shape()),
          "parameter %s: shape %s cannot be copied into %s",
          e.getKey(),
          Arrays.toString(s.shape()),
          Arrays.toString(e.getValue().shape()));
      e.getValue().assign(s);
    }
  }

  /** The loss function instance of a training graph (for {@link MultiBoxLoss#lastResult()}). */
  public static MultiBoxLoss loss(ComputationGraph training) {
    org.deeplearning4j.nn.conf.layers.Layer l = training.getLayer(LOSS).conf().getLayer();
    checkArgument(
        l instanceof LossLayer ll && ll.getLossFn() instanceof MultiBoxLoss,
        "not an FSSD training graph: layer %s is %s",
        LOSS,
        l);
    return (MultiBoxLoss) ((LossLayer) l).getLossFn();
  }

  /**
   * The training graph's labels for a batch of {@code FssdDataSetIterator}: loc targets [B, P*4]
   * and class ids [B, P] side by side, [B, P*4 + P]; with Mixup's per-prior weights (a third array
   * [B, P]) also those, [B, P*4 + 2P] ({@link MultiBoxLoss} accepts both).
   */
  public static INDArray labels(MultiDataSet batch) {
    INDArray[] l = batch.getLabels();
    checkArgument(
        l != null && (l.length == 2 || l.length == 3),
        "expected 2 label arrays (loc, class) or 3 (loc, class, weight), got %s",
        l == null ? 0 : l.length);
    return l.length == 2 ? Nd4j.hstack(l[0], l[1]) : Nd4j.hstack(l[0], l[1], l[2]);
  }

  /**
   * {@link #create(FssdConfig, ComputationGraph, IUpdater, double)} with the network slimming term
   * {@code sparsity * sign(gamma)} on every BN gamma gradient (SPEC §7, §11; 0 = none).
   */
  public static ComputationGraph create(
      FssdConfig config,
      ComputationGraph source,
      IUpdater updater,
      double weightDecay,
      double sparsity) {
    ComputationGraphConfiguration conf =
        TrainingConfigurer.configure(
            configuration(config, updater, weightDecay), updater, weightDecay, sparsity);
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    copyParams(source, g);
    return g;
  }
}
