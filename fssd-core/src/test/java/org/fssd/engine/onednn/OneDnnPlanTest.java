package org.fssd.engine.onednn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.PlanOptions.Algorithm;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.FssdTestModels;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The plan against the DL4J graph on narrow networks.
 *
 * <p>Tolerance: |plan - graph| <= 1e-4 * max(|graph|, max(1, max |graph|)) element-wise. Both
 * compute in fp32 but sum the products in different orders (blocked direct kernels, Winograd
 * transforms, im2col GEMM), so they agree to a few ulp per layer, not bit for bit (see
 * FloatArrays); the inputs are scaled so the outputs are O(1).
 */
class OneDnnPlanTest {
  private static final double TOLERANCE = 1e-4;

  @Test
  @Numerical
  void narrow300PlainMatchesGraphBatch1() {
    FssdConfig config = FssdTestModels.narrow300(5, false);
    assertMatches(
        config, randomGraph(config, 1), 1, 1, Algorithm.AUTO, Algorithm.DIRECT, Algorithm.WINOGRAD);
  }

  @Test
  @Numerical
  void narrow300PlainMatchesGraphBatch3() {
    FssdConfig config = FssdTestModels.narrow300(5, false);
    assertMatches(config, randomGraph(config, 2), 3, 3, Algorithm.DIRECT, Algorithm.WINOGRAD);
  }

  @Test
  @Numerical
  void narrow300BatchNormMatchesGraph() {
    FssdConfig config = FssdTestModels.narrow300(4, true);
    ComputationGraph graph = randomGraph(config, 5);
    assertMatches(config, graph, 1, 6, Algorithm.AUTO, Algorithm.WINOGRAD);
    assertMatches(config, graph, 3, 7, Algorithm.DIRECT);
  }

  @Test
  @Numerical
  void narrow300FusionBatchNormMatchesGraph() {
    FssdConfig config =
        FssdTestModels.narrow300(3, false).toBuilder().fusionBatchNorm(true).build();
    assertMatches(config, randomGraph(config, 8), 2, 8, Algorithm.AUTO);
  }

  @Test
  @Numerical
  void narrow512MatchesGraph() {
    FssdConfig config = FssdTestModels.narrow512(6, false);
    assertMatches(config, randomGraph(config, 9), 1, 10, Algorithm.AUTO, Algorithm.DIRECT);
  }

  @Test
  void algorithmChoiceIsHonoured() {
    FssdConfig config = FssdTestModels.narrow300(5, false);
    ComputationGraph graph = FssdGraph.create(config, 1);
    try (OneDnnPlan auto = OneDnnPlan.compile(config, graph, 1, PlanOptions.defaults());
        OneDnnPlan direct = OneDnnPlan.compile(config, graph, 1, options(Algorithm.DIRECT));
        OneDnnPlan winograd = OneDnnPlan.compile(config, graph, 1, options(Algorithm.WINOGRAD))) {
      // oneDNN accepts Winograd for the narrow 3x3 stride-1 layers with 16+ channels.
      assertThat(winograd.describe()).anyMatch(l -> l.contains(": winograd "));
      assertThat(direct.describe()).noneMatch(l -> l.contains("winograd"));
      // The first convolution never gets Winograd under AUTO; strided and dilated ones never do.
      assertThat(auto.describe())
          .filteredOn(l -> l.startsWith("base.0("))
          .singleElement()
          .asString()
          .contains(": direct ");
      assertThat(winograd.describe())
          .filteredOn(l -> l.startsWith("base.31(") || l.startsWith("extras.3("))
          .hasSize(2)
          .allMatch(l -> l.contains(": direct "));
      assertThat(auto.toString()).contains("AUTO");
    }
  }

  @Test
  void autoTakesTheSlowerWinogradKernelOnlyOnLargeWideMaps() {
    FssdConfig voc = FssdConfig.voc300();
    ConvSpec conv1b = voc.conv(ConvSpec.Group.BASE, 2); // 64 -> 64 at 300 px
    ConvSpec loc0 = voc.conv(ConvSpec.Group.LOC, 0); // 512 -> 24 at 38 px
    ConvSpec narrow = FssdTestModels.narrow300(3, false).conv(ConvSpec.Group.BASE, 2); // 8 -> 8
    assertThat(OneDnnPlan.autoAcceptsWinograd(conv1b, "jit_fp32_wino_2x3:avx512_core")).isTrue();
    assertThat(OneDnnPlan.autoAcceptsWinograd(loc0, "jit_fp32_wino_2x3:avx512_core")).isFalse();
    assertThat(OneDnnPlan.autoAcceptsWinograd(narrow, "jit_fp32_wino_2x3:avx512_core")).isFalse();
    assertThat(OneDnnPlan.autoAcceptsWinograd(loc0, "jit_wino_4x3:avx512_core")).isTrue();
    assertThat(OneDnnPlan.autoAcceptsWinograd(conv1b, "brgconv:avx512_core")).isFalse();
  }

  @Test
  void autoRunsTheSmallLateMapsDirectToSaveWinogradWeightMemory() {
    FssdConfig voc = FssdConfig.voc300();
    ConvSpec conv4c = voc.conv(ConvSpec.Group.BASE, 21); // conv4_3: 512 -> 512 at 38 px
    ConvSpec conv5a = voc.conv(ConvSpec.Group.BASE, 24); // conv5_1: 512 -> 512 at 19 px
    assertThat(conv4c.outSize()).isEqualTo(38);
    assertThat(conv5a.outSize()).isEqualTo(19);
    assertThat(OneDnnPlan.autoAcceptsWinograd(conv4c, "jit_wino_4x3:avx512_core")).isTrue();
    assertThat(OneDnnPlan.autoAcceptsWinograd(conv5a, "jit_wino_4x3:avx512_core")).isFalse();
  }

  @Test
  void runAfterCloseThrowsAndCloseTwiceIsHarmless() {
    FssdConfig config = FssdTestModels.narrow300(3, false);
    OneDnnPlan plan =
        OneDnnPlan.compile(config, FssdGraph.create(config, 1), 1, PlanOptions.defaults());
    float[] in = new float[plan.inputLength()];
    float[] loc = new float[plan.locLength()];
    float[] conf = new float[plan.confLength()];
    plan.run(in, loc, conf);
    plan.close();
    plan.close();
    assertThatThrownBy(() -> plan.run(in, loc, conf))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void wrongLengthsAreRefused() {
    FssdConfig config = FssdTestModels.narrow300(3, false);
    try (OneDnnPlan plan =
        OneDnnPlan.compile(config, FssdGraph.create(config, 1), 2, PlanOptions.defaults())) {
      assertThat(plan.inputLength()).isEqualTo(2 * 3 * 300 * 300);
      assertThat(plan.locLength()).isEqualTo(2 * config.numPriors() * 4);
      assertThat(plan.confLength()).isEqualTo(2 * config.numPriors() * 3);
      float[] loc = new float[plan.locLength()];
      float[] conf = new float[plan.confLength()];
      assertThatThrownBy(() -> plan.run(new float[3 * 300 * 300], loc, conf))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("input has 270000");
      assertThatThrownBy(() -> plan.run(new float[plan.inputLength()], new float[5], conf))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("locOut");
    }
    assertThatThrownBy(
            () ->
                OneDnnPlan.compile(config, FssdGraph.create(config, 1), 0, PlanOptions.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("batchSize");
  }

  @Test
  void bf16IsRefusedClearlyWithoutAvx512Bf16() {
    assumeFalse(OneDnnPlan.cpuHasBf16(), "this CPU has AVX512_BF16");
    FssdConfig config = FssdTestModels.narrow300(3, false);
    PlanOptions bf16 = PlanOptions.builder().precision(PlanOptions.Precision.BF16).build();
    assertThatThrownBy(() -> OneDnnPlan.compile(config, FssdGraph.create(config, 1), 1, bf16))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("BF16")
        .hasMessageContaining("AVX512_BF16")
        .hasMessageContaining("FP32");
  }

  /**
   * BF16 (emulated by oneDNN where the CPU has AVX-512 but lacks AVX512_BF16; oneDNN has no bf16
   * convolutions below AVX-512, so an AVX2 CPU skips this) against the fp32 graph. Tolerance 3e-2
   * of the output range: bfloat16 keeps 8 significant bits (relative rounding 2^-9 ~ 2e-3), and
   * activations and weights are rounded again at each of ~20 layers.
   */
  @Test
  @Numerical
  void bf16MatchesGraphToBfloat16Precision() {
    assumeBf16Kernels();
    FssdConfig config = FssdTestModels.narrow300(4, true).toBuilder().fusionBatchNorm(true).build();
    ComputationGraph graph = randomGraph(config, 12);
    boolean before = OneDnnPlan.allowEmulatedBf16;
    OneDnnPlan.allowEmulatedBf16 = true;
    try {
      int s = config.inputSize();
      float[] input = randomInput(2 * 3 * s * s, 13);
      INDArray[] expected = graph.output(Nd4j.create(input, new long[] {2, 3, s, s}, 'c'));
      try (OneDnnPlan plan =
          OneDnnPlan.compile(
              config,
              graph,
              2,
              PlanOptions.builder().precision(PlanOptions.Precision.BF16).build())) {
        float[] loc = new float[plan.locLength()];
        float[] conf = new float[plan.confLength()];
        plan.run(input, loc, conf);
        assertClose("bf16 loc", loc, Nd4j.toFlattened('c', expected[0]).toFloatVector(), 3e-2);
        assertClose("bf16 conf", conf, Nd4j.toFlattened('c', expected[1]).toFloatVector(), 3e-2);
        assertThat(plan.describe())
            .filteredOn(l -> l.startsWith("base.2("))
            .singleElement()
            .asString()
            .contains("bf16");
      }
    } finally {
      OneDnnPlan.allowEmulatedBf16 = before;
    }
  }

  @Test
  void compilingAndClosing200TimesDoesNotGrowMemory() throws IOException {
    FssdConfig config = FssdTestModels.narrow300(3, false);
    ComputationGraph graph = FssdGraph.create(config, 1);
    float[] in = new float[3 * 300 * 300];
    float[] loc = new float[config.numPriors() * 4];
    float[] conf = new float[config.numPriors() * 3];
    for (int i = 0; i < 10; i++) {
      try (OneDnnPlan plan = OneDnnPlan.compile(config, graph, 1, PlanOptions.defaults())) {
        plan.run(in, loc, conf);
      }
    }
    System.gc();
    long rssBefore = rssKb();
    long javacppBefore = Pointer.totalBytes();
    long arenasBefore = Arena.liveBytes();
    for (int i = 0; i < 200; i++) {
      OneDnnPlan plan = OneDnnPlan.compile(config, graph, 1, PlanOptions.defaults());
      assertThat(plan.weights().nativeBytes()).isGreaterThan(0);
      plan.close();
      assertThat(plan.weights().nativeBytes()).as("weights freed with their only plan").isZero();
    }
    // Everything JavaCPP allocated for the plans (input and head buffers, descriptors) is freed
    // on close, without waiting for the garbage collector; so are the arenas (calloc'd, so an
    // unused leaked one would not show in RSS: counted instead).
    assertThat(Pointer.totalBytes())
        .as("JavaCPP bytes after 200 plans")
        .isLessThanOrEqualTo(javacppBefore);
    assertThat(Arena.liveBytes()).as("arena bytes after 200 plans").isEqualTo(arenasBefore);
    System.gc();
    long grownMb = (rssKb() - rssBefore) / 1024;
    // A coarse net for native memory nothing above counts (primitives, oneDNN memories touched
    // at compile time). Without a leak RSS still swings by a few hundred MB (glibc keeps freed
    // blocks; measured up
    // to ~320 MB on this test), hence the 1 GB bound.
    assertThat(grownMb).as("RSS growth in MB over 200 plans").isLessThan(1024);
  }

  // -----------------------------------------------------------------------------------------------

  private static PlanOptions options(Algorithm algorithm) {
    return PlanOptions.builder().algorithm(algorithm).build();
  }

  /**
   * Compares plans of each algorithm with the graph on one random input of {@code batch} images.
   */
  private static void assertMatches(
      FssdConfig config, ComputationGraph graph, int batch, long seed, Algorithm... algorithms) {
    int s = config.inputSize();
    float[] input = randomInput(batch * 3 * s * s, seed);
    INDArray[] expected = graph.output(Nd4j.create(input, new long[] {batch, 3, s, s}, 'c'));
    float[] expectedLoc = Nd4j.toFlattened('c', expected[0]).toFloatVector();
    float[] expectedConf = Nd4j.toFlattened('c', expected[1]).toFloatVector();
    for (Algorithm algorithm : algorithms) {
      try (OneDnnPlan plan = OneDnnPlan.compile(config, graph, batch, options(algorithm))) {
        float[] loc = new float[plan.locLength()];
        float[] conf = new float[plan.confLength()];
        assertThat(loc).hasSameSizeAs(expectedLoc);
        assertThat(conf).hasSameSizeAs(expectedConf);
        plan.run(input, loc, conf);
        assertClose(algorithm + " batch " + batch + " loc", loc, expectedLoc);
        assertClose(algorithm + " batch " + batch + " conf", conf, expectedConf);
        // A second run gives the same result.
        float[] loc2 = new float[loc.length];
        float[] conf2 = new float[conf.length];
        plan.run(input, loc2, conf2);
        assertThat(loc2).containsExactly(loc);
        assertThat(conf2).containsExactly(conf);
      }
    }
  }

  private static float[] randomInput(int length, long seed) {
    float[] input = new float[length];
    Random rng = new Random(seed);
    for (int i = 0; i < input.length; i++) {
      input[i] = rng.nextFloat() * 2 - 1;
    }
    return input;
  }

  private static void assertClose(String what, float[] actual, float[] expected) {
    assertClose(what, actual, expected, TOLERANCE);
  }

  private static void assertClose(String what, float[] actual, float[] expected, double tolerance) {
    double maxAbs = FloatArrays.maxAbs(expected);
    assertThat(maxAbs).as("%s: the graph output must not be trivial", what).isGreaterThan(1e-3);
    // The absolute term scales with the largest output: elements near zero carry the rounding of
    // the large terms that cancelled in them.
    FloatArrays.assertClose(
        actual, expected, tolerance, tolerance * Math.max(1, maxAbs), what + " (plan vs graph)");
  }

  /** A graph with random weights, non-zero biases and non-trivial BatchNorm statistics. */
  static ComputationGraph randomGraph(FssdConfig config, long seed) {
    ComputationGraph graph = FssdGraph.create(config, seed);
    Random rng = new Random(seed);
    for (ConvSpec c : config.convs()) {
      boolean bn = config.batchNorm() && !c.isHead();
      if (!bn) {
        fill(graph.getParam(c.name() + "_b"), rng, -0.1, 0.1);
      } else {
        randomBatchNorm(graph, c.name() + ".bn", rng);
      }
    }
    if (config.fusionBatchNorm()) {
      randomBatchNorm(graph, FssdGraph.CONCAT_BN, rng);
    }
    return graph;
  }

  private static void randomBatchNorm(ComputationGraph graph, String name, Random rng) {
    fill(graph.getParam(name + "_gamma"), rng, 0.5, 1.5);
    fill(graph.getParam(name + "_beta"), rng, -0.2, 0.2);
    fill(graph.getParam(name + "_mean"), rng, -0.2, 0.2);
    fill(graph.getParam(name + "_var"), rng, 0.5, 2.0);
  }

  private static void fill(INDArray a, Random rng, double lo, double hi) {
    float[] v = new float[(int) a.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
    }
    a.assign(Nd4j.create(v, a.shape(), 'c'));
  }

  private static long rssKb() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("/proc/self/status"));
    for (String line : lines) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  /**
   * Skips the calling test below AVX-512: oneDNN has bf16 kernels (native or emulated) from there.
   */
  static void assumeBf16Kernels() {
    int avx512 = org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx512_core;
    assumeTrue(
        (org.bytedeco.dnnl.global.dnnl.dnnl_get_effective_cpu_isa() & avx512) == avx512,
        "oneDNN runs bf16 (natively or emulated) only from AVX-512 on");
  }
}
