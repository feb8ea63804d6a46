package org.fssd.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.FssdConfig;
import org.fssd.model.training.TrainingPass;
import org.fssd.model.training.TrainingPasses;
import org.fssd.train.loss.MultiBoxLoss;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One update of a training graph ({@link TrainingGraph}) by {@link TrainingEngine#PLAN}: the
 * forward and backward passes of a oneDNN {@link TrainingPass} ({@link TrainingPasses#onednn}),
 * everything else as DL4J's {@code ComputationGraph.fit} does it, on the graph's own objects.
 *
 * <p>What {@code fit} does (DL4J 1.0.0-M2.1: {@code StochasticGradientDescent.optimize}) and what
 * this class does in its place:
 *
 * <ol>
 *   <li>score and gradients ({@code computeGradientAndScore}): the plan's forward gives the loss
 *       layer's input; the graph's own {@link MultiBoxLoss} instance gives the score ({@code
 *       computeScore(..., average = false) / B} plus {@code calcRegularizationScore(true)}, as
 *       {@code LossLayer.computeScore}) and the gradient of that input ({@code computeGradient}, so
 *       Mixup's per-prior weights in the labels and {@link MultiBoxLoss#lastResult()} work); the
 *       plan's backward writes every parameter's gradient, BN running mean and variance included,
 *       straight into the graph's flattened gradient array (the per-parameter views DL4J's layers
 *       use);
 *   <li>the graph's {@code ComputationGraphUpdater} ({@code graph.getUpdater()}, the one {@code
 *       fit} uses and checkpoints store) with the graph's iteration and epoch counts and the batch
 *       size: division by the minibatch, regularisation (weight decay, slimming L1), the updater
 *       and its learning-rate schedule;
 *   <li>the step {@code params -= update} on the flattened parameters, the iteration count + 1
 *       (graph and layers, as {@code fit}'s {@code synchronizeIterEpochCounts}) and the graph's
 *       score for {@code graph.score()}.
 * </ol>
 *
 * <p>One plan per batch size met (a run has at most two: the batch size and a smaller last batch);
 * {@link #close()} frees them. Not thread-safe.
 */
final class PlanStep implements TrainingStep {
  private final FssdConfig config;
  private final ComputationGraph graph;
  private final PlanOptions options;
  private final MultiBoxLoss loss;
  private final IActivation lossActivation;
  private final Map<Integer, TrainingPass> plans = new HashMap<>();
  private final Map<String, INDArray> gradientViews;
  private final Gradient gradient;
  private boolean closed;

  PlanStep(FssdConfig config, ComputationGraph graph, PlanOptions options) {
    this.config = config;
    this.graph = graph;
    this.options = options;
    this.loss = TrainingGraph.loss(graph);
    this.lossActivation =
        ((LossLayer) graph.getLayer(TrainingGraph.LOSS).conf().getLayer()).getActivationFn();
    if (graph.getFlattenedGradients() == null) {
      graph.initGradientsView();
    }
    this.gradientViews = gradientViews(graph);
    DefaultGradient g = new DefaultGradient(graph.getFlattenedGradients());
    gradientViews.forEach(g::setGradientFor);
    this.gradient = g;
  }

  /**
   * The views of the graph's flattened gradient array, one per {@code paramTable()} key ("layer_
   * param"), as each layer's parameter initialiser cuts its part of the array.
   */
  private static Map<String, INDArray> gradientViews(ComputationGraph graph) {
    Map<String, INDArray> views = new LinkedHashMap<>();
    for (Layer l : graph.getLayers()) {
      INDArray layerView = l.getGradientsViewArray();
      if (l.numParams() == 0 || layerView == null) {
        continue;
      }
      Map<String, INDArray> parts =
          l.conf().getLayer().initializer().getGradientsFromFlattened(l.conf(), layerView);
      String name = l.conf().getLayer().getLayerName();
      parts.forEach((k, v) -> views.put(name + "_" + k, v));
    }
    Map<String, INDArray> params = graph.paramTable();
    checkState(
        views.keySet().equals(params.keySet()),
        "gradient views %s do not match the parameters %s",
        views.keySet(),
        params.keySet());
    views.forEach(
        (k, v) ->
            checkState(
                Arrays.equals(v.shape(), params.get(k).shape()),
                "gradient view %s has shape %s, the parameter %s",
                k,
                Arrays.toString(v.shape()),
                Arrays.toString(params.get(k).shape())));
    return views;
  }

  @Override
  public double fit(INDArray features, INDArray labels) {
    checkState(!closed, "fit() on a closed PlanStep");
    int batch = (int) features.size(0);
    checkArgument(
        labels.size(0) == batch, "labels have %s rows, features %s", labels.size(0), batch);
    TrainingPass plan =
        plans.computeIfAbsent(batch, b -> TrainingPasses.onednn(config, graph, b, options));
    INDArray out = plan.forward(features);
    // before the update, as DL4J scores the parameters the gradients are taken at
    double score =
        loss.computeScore(labels, out, lossActivation, null, false) / batch
            + graph.calcRegularizationScore(true);
    INDArray dOut = loss.computeGradient(labels, out, lossActivation, null);
    plan.backward(dOut, gradientViews);
    int iteration = graph.getConfiguration().getIterationCount();
    int epoch = graph.getConfiguration().getEpochCount();
    graph.getUpdater().update(gradient, iteration, epoch, batch, LayerWorkspaceMgr.noWorkspaces());
    // as StochasticGradientDescent: the update reshaped to the parameters' [numParams] (a view)
    INDArray params = graph.params();
    params.subi(graph.getFlattenedGradients().reshape(params.shape()));
    graph.getConfiguration().setIterationCount(iteration + 1);
    for (Layer l : graph.getLayers()) {
      l.setIterationCount(iteration + 1);
      l.setEpochCount(epoch);
    }
    graph.setScore(score);
    return score;
  }

  /** Frees the plans; further calls of {@link #fit} are refused. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      plans.values().forEach(TrainingPass::close);
      plans.clear();
    }
  }
}
