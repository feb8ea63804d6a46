package org.fssd.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.fssd.data.DetectionDataset;
import org.fssd.data.augment.SampleTransform;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.model.FssdModel;
import org.fssd.train.optim.FastBatchNormHelper;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-estimates the running mean and variance of every batch-norm layer of a graph from training
 * batches ("precise BN"): the exact population statistics of what each BN layer sees in training
 * mode, instead of the exponential running averages accumulated during training.
 *
 * <p>Why: with PyTorch's momentum 0.01 (SPEC §2.7) the running averages remember the last few
 * hundred iterations; when the weights still move quickly (large learning rate, weight decay, the
 * slimming L1 term) they lag behind the final weights, and inference-mode outputs drift away from
 * the training-mode ones. On the demo run (divisor-8 BN FSSD300, iteration 1375 of 2000) the
 * running variances of deeper layers were 1.5-2x the batch variances and the held-out loss in
 * inference mode was 8.9 against 2.7 in training mode. Averaging over a few dozen batches after
 * training fixes that at the cost of forward passes only.
 *
 * <p>Per layer and channel, over batches b of equal size: mean = avg_b(mean_b), var = avg_b(var_b)
 * + avg_b(mean_b^2) - mean^2 (the biased variance of all samples pooled, the quantity a batch
 * normalises with). All layers are measured in the same training-mode passes (earlier layers
 * normalise with batch statistics, as in training). Parameters other than the running statistics
 * are not touched.
 */
public final class PreciseBatchNorm {
  private static final Logger LOG = LoggerFactory.getLogger(PreciseBatchNorm.class);

  private PreciseBatchNorm() {}

  /**
   * Replaces the running statistics of every BN layer of {@code graph} (NCHW, 4-D inputs) by
   * population statistics over {@code batches} (each a features array [N, C, H, W] of the graph's
   * single input). Returns the number of layers updated.
   */
  public static int recalibrate(ComputationGraph graph, Iterable<INDArray> batches) {
    checkNotNull(graph, "graph");
    checkNotNull(batches, "batches");
    Map<String, String> bnInputs = new LinkedHashMap<>();
    for (GraphVertex v : graph.getVertices()) {
      if (v.hasLayer() && v.getLayer().conf().getLayer() instanceof BatchNormalization) {
        List<String> in = graph.getConfiguration().getVertexInputs().get(v.getVertexName());
        checkArgument(
            in != null && in.size() == 1,
            "BN vertex %s must have one input, has %s",
            v.getVertexName(),
            in);
        bnInputs.put(v.getVertexName(), in.get(0));
      }
    }
    if (bnInputs.isEmpty()) {
      return 0;
    }
    Map<String, double[]> sumMean = new LinkedHashMap<>();
    Map<String, double[]> sumVar = new LinkedHashMap<>();
    Map<String, double[]> sumMeanSq = new LinkedHashMap<>();
    int n = 0;
    for (INDArray features : batches) {
      Map<String, INDArray> acts = graph.feedForward(new INDArray[] {features}, true, false);
      for (Map.Entry<String, String> e : bnInputs.entrySet()) {
        INDArray x = acts.get(e.getValue());
        checkArgument(
            x != null && x.rank() == 4,
            "input %s of BN layer %s is not a 4-D activation",
            e.getValue(),
            e.getKey());
        double[][] mv = channelMeanVar(x);
        accumulate(sumMean, e.getKey(), mv[0], false);
        accumulate(sumVar, e.getKey(), mv[1], false);
        accumulate(sumMeanSq, e.getKey(), mv[0], true);
      }
      n++;
    }
    checkArgument(n > 0, "no batches to recalibrate with");
    for (String layer : bnInputs.keySet()) {
      double[] m = sumMean.get(layer);
      double[] v = sumVar.get(layer);
      double[] m2 = sumMeanSq.get(layer);
      float[] mean = new float[m.length];
      float[] var = new float[m.length];
      for (int c = 0; c < m.length; c++) {
        double mu = m[c] / n;
        mean[c] = (float) mu;
        var[c] = (float) Math.max(0, v[c] / n + m2[c] / n - mu * mu);
      }
      INDArray meanParam =
          graph.getParam(layer + "_" + BatchNormalizationParamInitializer.GLOBAL_MEAN);
      INDArray varParam =
          graph.getParam(layer + "_" + BatchNormalizationParamInitializer.GLOBAL_VAR);
      checkArgument(varParam != null, "BN layer %s keeps log10(std), not the variance", layer);
      meanParam.assign(Nd4j.createFromArray(mean).reshape(meanParam.shape()));
      varParam.assign(Nd4j.createFromArray(var).reshape(varParam.shape()));
    }
    return bnInputs.size();
  }

  /**
   * A copy of {@code model} whose BN running statistics are recalibrated on {@code batches}. The
   * passes run on a training graph (FAST convolutions, libnd4j batch norm), which is many times
   * faster than the model's inference graph in training mode. {@code model} is not changed.
   */
  public static org.fssd.model.FssdModel recalibrate(
      org.fssd.model.FssdModel model, Iterable<INDArray> batches, String provenanceNote) {
    checkNotNull(model, "model");
    ComputationGraph training =
        TrainingGraph.create(
            model.config(), model.graph(), new org.nd4j.linalg.learning.config.NoOp(), 0);
    recalibrate(training, batches);
    return org.fssd.model.FssdModel.of(
        model.config(),
        TrainingGraph.toInference(model.config(), training),
        model.labels(),
        model.provenance().with("bn.recalibrated", provenanceNote));
  }

  /**
   * Per-channel mean and biased variance of an NCHW array, in double (the statistics of {@link
   * FastBatchNormHelper#channelMeanVar}, the one implementation).
   */
  static double[][] channelMeanVar(INDArray x) {
    INDArray[] mv = FastBatchNormHelper.channelMeanVar(x, DataType.DOUBLE);
    return new double[][] {mv[0].toDoubleVector(), mv[1].toDoubleVector()};
  }

  private static void accumulate(
      Map<String, double[]> sums, String key, double[] v, boolean square) {
    double[] s = sums.computeIfAbsent(key, k -> new double[v.length]);
    for (int i = 0; i < v.length; i++) {
      s[i] += square ? v[i] * v[i] : v[i];
    }
  }

  /**
   * The features of up to {@code max} batches of {@code it}, read lazily (one batch in memory at a
   * time); iterable once.
   */
  public static Iterable<INDArray> features(
      org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator it, int max) {
    checkArgument(max >= 1, "max must be >= 1, got %s", max);
    checkNotNull(it, "it");
    return () ->
        new java.util.Iterator<INDArray>() {
          private int taken;

          @Override
          public boolean hasNext() {
            return taken < max && it.hasNext();
          }

          @Override
          public INDArray next() {
            if (!hasNext()) {
              throw new java.util.NoSuchElementException();
            }
            taken++;
            return it.next().getFeatures(0);
          }
        };
  }

  /**
   * Precise BN on the final model of a run, as {@code fssd recalibrate-bn} does: the first {@code
   * preciseBnBatches} batches (at most one epoch) of epoch 0 of the run's data (the seed and batch
   * size of {@code state}, the run's sample transform, without Mixup) through a copy of the model
   * in training mode. The training graph (and so the checkpoints) keeps its running averages.
   */
  static FssdModel atEndOfTraining(
      FssdModel trained,
      DetectionDataset dataset,
      TrainingState state,
      int workers,
      SampleTransform transform,
      int preciseBnBatches) {
    if (!trained.config().batchNorm()) {
      LOG.info("precise BN: the network has no BN layers, nothing to recalibrate");
      return trained;
    }
    long t0 = System.nanoTime();
    FssdDataSetIterator.Builder db =
        FssdDataSetIterator.builder(dataset, state.config().priors())
            .batchSize(state.batchSize())
            .seed(state.seed())
            .workers(workers);
    if (transform != null) {
      db.transform(transform);
    }
    FssdModel out;
    int batches;
    try (FssdDataSetIterator it = db.build()) {
      batches = Math.min(preciseBnBatches, it.batchesPerEpoch());
      if (batches < preciseBnBatches) {
        LOG.warn(
            "precise BN: {} batches asked for, one epoch has {}; using {}",
            preciseBnBatches,
            it.batchesPerEpoch(),
            batches);
      }
      String note =
          batches
              + " batches of "
              + state.batchSize()
              + " from "
              + dataset.name()
              + " (the run's training augmentation, seed "
              + state.seed()
              + ", epoch 0), at the end"
              + " of training";
      out = PreciseBatchNorm.recalibrate(trained, PreciseBatchNorm.features(it, batches), note);
    }
    LOG.info(
        "precise BN: BN statistics recalibrated over {} batches ({} s)",
        batches,
        String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
    return out.withProvenance(out.provenance().with("train.preciseBn", Integer.toString(batches)));
  }
}
