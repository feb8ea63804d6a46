package org.fssd.engine.onednn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.ActivationRanges;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Quantization;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The INT8 plan against the FP32 plan on narrow random networks, calibrated on a few inputs.
 *
 * <p>Error bound. Quantisation adds rounding noise at every stored tensor: uniform with an rms of
 * {@code step / sqrt(12)}, i.e. 0.11 % of a u8 tensor's range and 0.23 % of each channel's largest
 * weight. Relative to the signal that is larger: with min/max ranges (the coarsest method, used
 * here) a ReLU map's range is 5-8 times its rms and a weight row's maximum ~2-3 times its rms, so
 * each layer adds about 1 % of its output's rms. Through the ~24 convolutions on the longest path
 * these add up like a random walk: {@code sqrt(24) * 1 %} = 5 % rms. So the rms error of each
 * output must stay under {@value #RMS_BOUND} of the fp32 output's rms, and no single value may be
 * off by more than {@value #MAX_BOUND} of the largest fp32 output. A wrong scale, bias unit or
 * layout gives errors of the order of the outputs themselves (rms error ~1).
 */
class Int8PlanTest {
  static final double RMS_BOUND = 0.08;
  static final double MAX_BOUND = 0.12;

  @Test
  @Numerical
  void plainNetworkInt8StaysCloseToFp32() {
    assertInt8Close(FssdTestModels.narrow300(5, false), 11, 2);
  }

  @Test
  @Numerical
  void batchNormNetworkInt8StaysCloseToFp32() {
    assertInt8Close(FssdTestModels.narrow300(4, true), 12, 1);
  }

  @Test
  @Numerical
  void fusionBatchNormNetworkInt8StaysCloseToFp32() {
    FssdConfig config =
        FssdTestModels.narrow300(3, false).toBuilder().fusionBatchNorm(true).build();
    assertInt8Close(config, 13, 1);
  }

  @Test
  void int8PlansRunIntegerConvolutions() {
    FssdConfig config = FssdTestModels.narrow300(4, true);
    ComputationGraph graph = OneDnnPlanTest.randomGraph(config, 3);
    Quantization q = calibrate(config, graph, 3);
    try (OneDnnWeights w = OneDnnWeights.of(config, graph, int8(), q);
        OneDnnPlan plan = OneDnnPlan.compile(w, 1)) {
      long convs = plan.describe().stream().filter(l -> l.contains(": int8 ")).count();
      assertThat(convs).isEqualTo(config.convs().size());
      assertThat(plan.describe())
          .filteredOn(l -> l.contains(": int8 "))
          .noneMatch(l -> l.contains(": int8 ref"));
    }
  }

  @Test
  @Numerical
  void int8PlansOfSeveralBatchSizesShareWeightsAndAgree() {
    FssdConfig config = FssdTestModels.narrow300(4, true);
    ComputationGraph graph = OneDnnPlanTest.randomGraph(config, 21);
    Quantization q = calibrate(config, graph, 21);
    int s = config.inputSize();
    float[] one = input(3 * s * s, 22);
    float[] three = new float[3 * one.length];
    for (int i = 0; i < 3; i++) {
      System.arraycopy(one, 0, three, i * one.length, one.length);
    }
    try (OneDnnWeights w = OneDnnWeights.of(config, graph, int8(), q);
        OneDnnPlanSet set = OneDnnPlanSet.compile(w, 1, 3)) {
      // the batch-3 plan reuses the batch-1 plan's weight layouts (oneDNN may want another for a
      // layer or two, as in fp32): far fewer than a copy per plan
      int convs = config.convs().size();
      assertThat(w.copies()).as("int8 weight copies").isBetween(convs, convs + 2);
      float[] loc1 = new float[set.plan(1).locLength()];
      float[] conf1 = new float[set.plan(1).confLength()];
      set.plan(1).run(one, loc1, conf1);
      float[] loc3 = new float[set.plan(3).locLength()];
      float[] conf3 = new float[set.plan(3).confLength()];
      set.plan(3).run(three, loc3, conf3);
      for (int i = 0; i < 3; i++) {
        // integer sums are exact; only the fp32 rescaling of the heads may round differently
        float[] l = java.util.Arrays.copyOfRange(loc3, i * loc1.length, (i + 1) * loc1.length);
        float[] c = java.util.Arrays.copyOfRange(conf3, i * conf1.length, (i + 1) * conf1.length);
        double scale = Math.max(1, Math.max(FloatArrays.maxAbs(loc1), FloatArrays.maxAbs(conf1)));
        FloatArrays.assertClose(
            l, loc1, 0, OneDnnPlan.BATCH_TOLERANCE * scale, "loc, image " + i + " of 3 vs batch 1");
        FloatArrays.assertClose(
            c,
            conf1,
            0,
            OneDnnPlan.BATCH_TOLERANCE * scale,
            "conf, image " + i + " of 3 vs batch 1");
      }
    }
  }

  @Test
  void int8NeedsAQuantisationAndOnlyInt8UsesOne() {
    FssdConfig config = FssdTestModels.narrow300(4, false);
    ComputationGraph graph = OneDnnPlanTest.randomGraph(config, 4);
    assertThatThrownBy(() -> OneDnnWeights.of(config, graph, int8(), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quantised model");
    Quantization q = calibrate(config, graph, 4);
    assertThatThrownBy(() -> OneDnnWeights.of(config, graph, PlanOptions.defaults(), q))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("INT8");
  }

  private static PlanOptions int8() {
    return PlanOptions.builder().precision(PlanOptions.Precision.INT8).build();
  }

  /** Ranges (MINMAX) from four inputs of the test distribution, none of them the test input. */
  static Quantization calibrate(FssdConfig config, ComputationGraph graph, long seed) {
    int s = config.inputSize();
    ActivationRanges stats = new ActivationRanges(config, seed);
    float[] calib = input(4 * 3 * s * s, seed + 1000);
    stats.add(graph, Nd4j.create(calib, new long[] {4, 3, s, s}, 'c'));
    return stats.quantization(ActivationRanges.Method.MINMAX, "4 random images");
  }

  private static void assertInt8Close(FssdConfig config, long seed, int batch) {
    ComputationGraph graph = OneDnnPlanTest.randomGraph(config, seed);
    Quantization q = calibrate(config, graph, seed);
    int s = config.inputSize();
    float[] input = input(batch * 3 * s * s, seed);
    try (OneDnnPlan fp32 = OneDnnPlan.compile(config, graph, batch, PlanOptions.defaults());
        OneDnnWeights w = OneDnnWeights.of(config, graph, int8(), q);
        OneDnnPlan int8 = OneDnnPlan.compile(w, batch)) {
      float[] loc = new float[fp32.locLength()];
      float[] conf = new float[fp32.confLength()];
      fp32.run(input, loc, conf);
      float[] loc8 = new float[int8.locLength()];
      float[] conf8 = new float[int8.confLength()];
      int8.run(input, loc8, conf8);
      assertErrorBounded("loc", loc8, loc);
      assertErrorBounded("conf", conf8, conf);
    }
  }

  static void assertErrorBounded(String what, float[] actual, float[] expected) {
    double maxAbs = FloatArrays.maxAbs(expected);
    assertThat(maxAbs).as("%s: fp32 output must not be trivial", what).isGreaterThan(1e-3);
    double relRms = FloatArrays.relativeRmsError(actual, expected);
    System.out.printf(
        "int8 vs fp32 %s: rms error %.4f of rms, max |fp32| %.3f%n", what, relRms, maxAbs);
    assertThat(relRms).as("%s: rms error relative to the fp32 rms", what).isLessThan(RMS_BOUND);
    FloatArrays.assertClose(actual, expected, 0, MAX_BOUND * maxAbs, what + " (int8 vs fp32)");
  }

  /** Smooth random images in the range of BGR-minus-means inputs (real images are smooth). */
  static float[] input(int length, long seed) {
    return org.fssd.testing.FloatArrays.smoothImage(length, seed);
  }
}
