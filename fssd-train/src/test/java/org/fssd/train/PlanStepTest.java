package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.data.ShapesDataset;
import org.fssd.data.augment.MixupOptions;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.engine.onednn.PlanOptions.Algorithm;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.testing.FloatArrays;
import org.fssd.train.loss.MultiBoxLoss;
import org.fssd.train.optim.PyTorchSgd;
import org.fssd.train.optim.WarmupStepSchedule;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * One {@link PlanStep} update (direct convolutions) against one DL4J {@code fit} from the same
 * parameters and batch, and both against {@code fit} in fp64.
 *
 * <p><b>Tolerances.</b> The plan's direct gradients equal DL4J's to fp32 summation-order rounding
 * (~1e-5 relative, {@code OneDnnTrainingPlanTest}); loss, regularisation and updater are DL4J's own
 * objects on both paths. So without BN every parameter after the update agrees with {@code fit}'s
 * to {@link FloatArrays#OUTPUT_REL} = 1e-4 of the array's scale. With BN on batches of 2 (maps down
 * to 1x1: a channel's statistics from 2 values) the backward pass through BN amplifies rounding,
 * and DL4J's own fp32 update is off the fp64 update by up to ~1e-2 of a weight's scale on this
 * network (also between them; a channel that ReLU leaves constant over the batch is normalised by
 * sqrt(eps) ~ 3e-3, which turns fp32 rounding into 300x larger noise). There each weight, bias,
 * gamma and beta is held to the fp64 update as a whole: the L2 relative error of the plan's update
 * within twice DL4J fp32's (measured: 1.8e-3 both), or 1e-4; the BN running means and variances are
 * part of that update (their batch statistics come after the noisy layers too: 1.6e-4 apart seen).
 * Both paths are also held to that L2 criterion without BN (measured there: ~5e-7 both).
 */
class PlanStepTest {
  private static final int BATCH = 2;

  /** The small shapes set of the trainer tests: {@code count} images of 96x80, seed 5. */
  static ShapesDataset shapes(int count) {
    return ShapesDataset.builder()
        .count(count)
        .imageSize(96, 80)
        .seed(5)
        .shapesPerImage(1, 3)
        .shapeSize(0.2, 0.6)
        .build();
  }

  private static FssdConfig tiny(boolean batchNorm) {
    return FssdTestModels.tiny300(ShapesDataset.SHAPES.size() + 1).toBuilder()
        .batchNorm(batchNorm)
        .build();
  }

  private static ComputationGraph trainingGraph(
      FssdConfig config, ShapesDataset data, double sparsity) {
    WarmupStepSchedule schedule =
        new WarmupStepSchedule(1e-2, 1, Warmup.NONE, new int[] {100}, 0.1);
    return TrainingGraph.create(
        config,
        FssdModel.create(config, data.labels(), 11).graph(),
        new PyTorchSgd(0, schedule, PyTorchSgd.DEFAULT_MOMENTUM),
        5e-4,
        sparsity);
  }

  /** The first batch a trainer with seed 11 would fit: images and the training graph's labels. */
  private static MultiDataSet firstBatch(ShapesDataset data, FssdConfig config, MixupOptions m) {
    FssdDataSetIterator.Builder b =
        FssdDataSetIterator.builder(data, config.priors()).batchSize(BATCH).seed(11).workers(1);
    if (m != null) {
      b.mixup(m, 100);
    }
    try (FssdDataSetIterator it = b.build()) {
      MultiDataSet batch = it.next();
      return new MultiDataSet(
          new INDArray[] {batch.getFeatures(0)}, new INDArray[] {TrainingGraph.labels(batch)});
    }
  }

  private static void assertOneStepMatches(boolean batchNorm, double sparsity, MixupOptions m) {
    ShapesDataset data = shapes(BATCH);
    FssdConfig config = tiny(batchNorm);
    MultiDataSet batch = firstBatch(data, config, m);
    ComputationGraph initial = trainingGraph(config, data, sparsity);
    ComputationGraph graph = trainingGraph(config, data, sparsity);
    ComputationGraph plan = trainingGraph(config, data, sparsity);
    ComputationGraph exact = trainingGraph(config, data, sparsity).convertDataType(DataType.DOUBLE);

    graph.fit(batch);
    double planScore;
    try (PlanStep step =
        new PlanStep(config, plan, PlanOptions.builder().algorithm(Algorithm.DIRECT).build())) {
      planScore = step.fit(batch.getFeatures(0), batch.getLabels(0));
    }
    exact.fit(
        new MultiDataSet(
            batch.getFeatures(0).castTo(DataType.DOUBLE),
            batch.getLabels(0).castTo(DataType.DOUBLE)));

    assertThat(plan.score()).isEqualTo(planScore);
    FloatArrays.assertClose(planScore, graph.score(), FloatArrays.OUTPUT_REL, 0, "score");
    MultiBoxLoss.Result want = TrainingGraph.loss(graph).lastResult();
    MultiBoxLoss.Result got = TrainingGraph.loss(plan).lastResult();
    assertThat(got.numPositives()).isEqualTo(want.numPositives()).isPositive();
    FloatArrays.assertClose(got.total(), want.total(), FloatArrays.OUTPUT_REL, 0, "loss");
    assertThat(plan.getConfiguration().getIterationCount()).isEqualTo(1);

    Map<String, INDArray> expected = graph.paramTable();
    double moved = 0;
    for (Map.Entry<String, INDArray> e : expected.entrySet()) {
      String key = e.getKey();
      INDArray fit = e.getValue().castTo(DataType.DOUBLE);
      INDArray planned = plan.getParam(key).castTo(DataType.DOUBLE);
      double scale = Math.max(FloatArrays.maxAbs(fit), 1e-6);
      moved =
          Math.max(
              moved,
              FloatArrays.maxAbs(fit.sub(initial.getParam(key).castTo(DataType.DOUBLE))) / scale);
      if (!batchNorm) {
        FloatArrays.assertClose(
            planned, fit, FloatArrays.OUTPUT_REL, FloatArrays.OUTPUT_REL * scale, key);
      }
    }
    // the update is well above the tolerance: the comparison sees it
    assertThat(moved).as("largest update relative to its parameter").isGreaterThan(1e-2);
    INDArray start = initial.params().castTo(DataType.DOUBLE);
    INDArray exactUpdate = exact.params().sub(start);
    double planError = relativeL2(plan.params().castTo(DataType.DOUBLE).sub(start), exactUpdate);
    double fitError = relativeL2(graph.params().castTo(DataType.DOUBLE).sub(start), exactUpdate);
    System.err.printf(
        "PlanStepTest BN %s: update's L2 relative error against fp64: plan %.3g, DL4J fp32 %.3g%n",
        batchNorm, planError, fitError);
    assertThat(planError)
        .as("plan's update against fp64 (DL4J fp32's error: %s)", fitError)
        .isLessThanOrEqualTo(Math.max(FloatArrays.OUTPUT_REL, 2 * fitError));
    if (batchNorm) {
      assertThat(expected.keySet())
          .anyMatch(k -> k.endsWith("_mean"))
          .anyMatch(k -> k.endsWith("_var"));
    }
  }

  private static double relativeL2(INDArray actual, INDArray expected) {
    return actual.sub(expected).norm2Number().doubleValue() / expected.norm2Number().doubleValue();
  }

  @Test
  void oneDirectPlanStepIsOneFitStep() {
    assertOneStepMatches(false, 0, null);
  }

  @Test
  void oneDirectPlanStepIsOneFitStepWithMixupWeights() {
    assertOneStepMatches(false, 0, MixupOptions.builder().probability(1).build());
  }

  @Test
  void oneDirectPlanStepWithBatchNormAndSlimmingIsAsCloseToFp64AsFit() {
    assertOneStepMatches(true, 1e-3, MixupOptions.builder().probability(1).build());
  }
}
