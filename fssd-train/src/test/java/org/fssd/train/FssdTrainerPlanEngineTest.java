package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.data.ShapesDataset;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.engine.onednn.PlanOptions.Algorithm;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.testing.FloatArrays;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link FssdTrainer} with {@link TrainingEngine#PLAN}: the loss curve of {@link
 * TrainingEngine#GRAPH} over 30 updates on the same batches, and a checkpointed, resumed plan run
 * equal to a straight one. (One update against DL4J's {@code fit}, every parameter: {@link
 * PlanStepTest}.)
 *
 * <p><b>Tolerance of the curves.</b> With direct convolutions one update agrees with {@code fit}'s
 * to fp32 rounding (~1e-6 L2 relative, {@link PlanStepTest}); over 30 updates the differences feed
 * back through the parameters, so the losses are held to 1e-3 relative (measured: 3.6e-6).
 *
 * <p>Winograd ({@code AUTO}) rounds the weight gradients of large-map 3x3 convolutions differently
 * (up to ~1e-2 relative on some parameters, {@code OneDnnTrainingPlanTest}). Its curve follows
 * GRAPH's to 2e-4 for 11 updates; at update 12 GRAPH (and DIRECT with it) has a loss spike (82
 * against ~10.4) that AUTO does not: a discrete event (a ReLU or a mined hard negative that flips
 * on a small difference) that the larger rounding triggers differently, after which the curves
 * agree again to ~1%. So no point-wise bound holds for AUTO; the test holds the level it reaches,
 * the mean loss of the last 10 updates, to 2e-2 of GRAPH's.
 */
// trains a network 4 times: tens of seconds on 2 loaded cores
@Tag("slow")
class FssdTrainerPlanEngineTest {
  private static final int STEPS = 30;
  private static final double BF16_LEVEL = 5e-2;

  @TempDir Path dir;

  private static FssdTrainer.Builder tinyRun(ShapesDataset data) {
    return FssdTrainer.builder(data)
        .config(FssdTestModels.tiny300(ShapesDataset.SHAPES.size() + 1))
        .batchSize(2)
        .epochs(20)
        .seed(11)
        .learningRate(1e-2)
        .warmup(Warmup.LINEAR)
        .decayEpochs(5)
        .workers(1);
  }

  private static org.fssd.model.FssdConfig tiny(boolean batchNorm) {
    return FssdTestModels.tiny300(ShapesDataset.SHAPES.size() + 1).toBuilder()
        .batchNorm(batchNorm)
        .build();
  }

  private static List<Double> losses(FssdTrainer.Builder b) {
    List<Double> losses = new ArrayList<>();
    b.listener(
            new TrainingListener() {
              @Override
              public void onIteration(TrainingProgress p) {
                losses.add(p.loss());
              }
            })
        .build()
        .train();
    return losses;
  }

  @Test
  void planLossCurveFollowsGraphOverThirtyUpdates() {
    // 5 images in batches of 2: each epoch ends with a batch of 1 (a second plan)
    ShapesDataset data = PlanStepTest.shapes(5);
    List<Double> graph = losses(tinyRun(data).engine(TrainingEngine.GRAPH).maxIterations(STEPS));
    List<Double> direct =
        losses(
            tinyRun(data)
                .engine(TrainingEngine.PLAN)
                .planAlgorithm(Algorithm.DIRECT)
                .maxIterations(STEPS));
    List<Double> auto =
        losses(
            tinyRun(data)
                .engine(TrainingEngine.PLAN)
                .planAlgorithm(Algorithm.AUTO)
                .maxIterations(STEPS));
    assertThat(graph).hasSize(STEPS).allMatch(Double::isFinite);
    assertThat(graph.get(STEPS - 1)).as("the run learns").isLessThan(graph.get(0));
    double worstDirect = 0;
    double worstAuto = 0;
    for (int i = 0; i < STEPS; i++) {
      worstDirect = Math.max(worstDirect, Math.abs(direct.get(i) / graph.get(i) - 1));
      worstAuto = Math.max(worstAuto, Math.abs(auto.get(i) / graph.get(i) - 1));
    }
    System.err.printf(
        "FssdTrainerPlanEngineTest: %d losses, worst relative difference to GRAPH: DIRECT %.3g,"
            + " AUTO %.3g%n",
        STEPS, worstDirect, worstAuto);
    for (int i = 0; i < STEPS; i++) {
      FloatArrays.assertClose(direct.get(i), graph.get(i), 1e-3, 0, "DIRECT loss " + (i + 1));
    }
    assertThat(auto).hasSize(STEPS).allMatch(Double::isFinite);
    FloatArrays.assertClose(
        mean(auto.subList(STEPS - 10, STEPS)),
        mean(graph.subList(STEPS - 10, STEPS)),
        2e-2,
        0,
        "AUTO: mean loss of the last 10 updates");
  }

  /**
   * BF16 mixed precision learns as FP32 does: the plain and the BN tiny network, 30 updates on the
   * same batches, the mean loss of the last 10 updates against the FP32 plan's (both AUTO). bf16
   * rounds activations and their gradients to 8 significant bits, so the curves part within a few
   * updates as the AUTO curve does from GRAPH's (see the class comment); the level reached is held
   * to {@value #BF16_LEVEL} relative (measured: 2.8e-2 plain, 4e-3 BN), the first loss, one forward
   * from the same weights, to 1e-2 (measured 1.1e-3, 5e-3). Runs only where the CPU has AVX512_BF16
   * (elsewhere {@code build()} refuses BF16, checked too).
   */
  @Test
  void bf16PlanLearnsAsFp32() {
    ShapesDataset data = PlanStepTest.shapes(5);
    if (!org.fssd.engine.onednn.OneDnnPlan.cpuHasBf16()) {
      assertThatThrownBy(
              () ->
                  tinyRun(data)
                      .engine(TrainingEngine.PLAN)
                      .planPrecision(PlanOptions.Precision.BF16)
                      .build())
          .isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("AVX512_BF16");
      return;
    }
    for (boolean bn : new boolean[] {false, true}) {
      List<Double> fp32 =
          losses(tinyRun(data).config(tiny(bn)).engine(TrainingEngine.PLAN).maxIterations(STEPS));
      List<Double> bf16 =
          losses(
              tinyRun(data)
                  .config(tiny(bn))
                  .engine(TrainingEngine.PLAN)
                  .planPrecision(PlanOptions.Precision.BF16)
                  .maxIterations(STEPS));
      assertThat(bf16).hasSize(STEPS).allMatch(Double::isFinite);
      assertThat(mean(bf16.subList(STEPS - 10, STEPS)))
          .as("bf16 learns (bn %s)", bn)
          .isLessThan(mean(bf16.subList(0, 10)));
      System.err.printf(
          "FssdTrainerPlanEngineTest: bn %s, mean loss of the last 10 updates: FP32 %.4f, BF16"
              + " %.4f; first loss %.4f / %.4f%n",
          bn,
          mean(fp32.subList(STEPS - 10, STEPS)),
          mean(bf16.subList(STEPS - 10, STEPS)),
          fp32.get(0),
          bf16.get(0));
      FloatArrays.assertClose(
          bf16.get(0), fp32.get(0), 1e-2, 0, "BF16: first loss (bn " + bn + ")");
      FloatArrays.assertClose(
          mean(bf16.subList(STEPS - 10, STEPS)),
          mean(fp32.subList(STEPS - 10, STEPS)),
          BF16_LEVEL,
          0,
          "BF16: mean loss of the last 10 updates (bn " + bn + ")");
    }
  }

  @Test
  void bf16NeedsThePlanEngine() {
    assertThatThrownBy(
            () ->
                tinyRun(PlanStepTest.shapes(2))
                    .engine(TrainingEngine.GRAPH)
                    .planPrecision(PlanOptions.Precision.BF16)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("BF16")
        .hasMessageContaining("PLAN");
  }

  private static double mean(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  @Test
  void aResumedPlanRunEqualsAStraightOne() {
    ShapesDataset data = PlanStepTest.shapes(4); // 2 batches per epoch
    FssdModel straight = tinyRun(data).epochs(3).engine(TrainingEngine.PLAN).build().train();

    Path ck = dir.resolve("run");
    FssdModel half =
        tinyRun(data)
            .epochs(3)
            .engine(TrainingEngine.PLAN)
            .checkpointDir(ck)
            .maxIterations(3)
            .build()
            .train();
    FssdTrainer resumed = FssdTrainer.resume(ck, data).workers(1).build();
    assertThat(resumed.engine()).isEqualTo(TrainingEngine.PLAN);
    FssdModel end = resumed.train();
    assertThat(resumed.state().iteration()).isEqualTo(6);

    INDArray a = straight.graph().params().castTo(DataType.DOUBLE);
    INDArray b = end.graph().params().castTo(DataType.DOUBLE);
    assertThat(a.sub(half.graph().params().castTo(DataType.DOUBLE)).amaxNumber().doubleValue())
        .as("the half run differs")
        .isGreaterThan(1e-6);
    // the same plan arithmetic on the same data and optimiser state: the same parameters (to
    // rounding, as FssdTrainerTest holds GRAPH resumes)
    FloatArrays.assertClose(b, a, 1e-5, 1e-5, "parameters, resumed vs straight");
  }
}
