package org.fssd.engine.onednn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdTestModels;
import org.junit.jupiter.api.Test;

/** Shared weights, liveness-planned arenas, plan sets and their lifetimes. */
class OneDnnSharingTest {
  private static final PlanOptions WINOGRAD =
      PlanOptions.builder().algorithm(PlanOptions.Algorithm.WINOGRAD).build();

  @Test
  void plansOfOneModelShareOneCopyOfTheWeights() {
    FssdConfig config = FssdTestModels.narrow300(5, true);
    ComputationGraph graph = OneDnnPlanTest.randomGraph(config, 3);
    int convs = config.convs().size();
    try (OneDnnWeights weights = OneDnnWeights.of(config, graph, WINOGRAD)) {
      assertThat(weights.nativeBytes()).isZero();
      try (OneDnnPlan a = OneDnnPlan.compile(weights, 1)) {
        long bytes = weights.nativeBytes();
        assertThat(weights.copies()).isEqualTo(convs);
        assertThat(bytes)
            .isGreaterThan(4L * config.convs().stream().mapToLong(c -> c.weightCount()).sum() / 2);
        // A second replica of the same size, and a plan set: no new copy.
        try (OneDnnPlan b = OneDnnPlan.compile(weights, 1);
            OneDnnPlanSet set = OneDnnPlanSet.compile(weights, 1)) {
          assertThat(weights.copies()).isEqualTo(convs);
          assertThat(weights.nativeBytes()).isEqualTo(bytes);
          float[] in = input(config, 1, 4);
          float[] l1 = new float[a.locLength()];
          float[] c1 = new float[a.confLength()];
          float[] l2 = new float[a.locLength()];
          float[] c2 = new float[a.confLength()];
          a.run(in, l1, c1);
          b.run(in, l2, c2);
          assertThat(l2).containsExactly(l1);
          assertThat(c2).containsExactly(c1);
          set.plan(1).run(in, l2, c2);
          assertThat(l2).containsExactly(l1);
          assertThat(c2).containsExactly(c1);
        }
      }
    }
  }

  @Test
  void consumingWeightsGiveTheSameOutputsAndFreeEachConvolutionOnceReordered() {
    for (FssdConfig config :
        new FssdConfig[] {
          FssdTestModels.narrow300(4, false),
          FssdTestModels.narrow300(4, true).toBuilder().fusionBatchNorm(true).build()
        }) {
      ComputationGraph graph = OneDnnPlanTest.randomGraph(config, 5);
      int s = config.inputSize();
      float[] in = new float[3 * s * s];
      Random rng = new Random(2);
      for (int i = 0; i < in.length; i++) {
        in[i] = rng.nextFloat() * 2 - 1;
      }
      try (OneDnnWeights plain = OneDnnWeights.of(config, graph, PlanOptions.defaults());
          OneDnnPlan expected = OneDnnPlan.compile(plain, 1);
          OneDnnWeights consuming = OneDnnWeights.consuming(config, graph, PlanOptions.defaults());
          OneDnnPlan actual = OneDnnPlan.compile(consuming, 1)) {
        float[] l1 = new float[expected.locLength()];
        float[] c1 = new float[expected.confLength()];
        float[] l2 = new float[actual.locLength()];
        float[] c2 = new float[actual.confLength()];
        expected.run(in, l1, c1);
        actual.run(in, l2, c2);
        assertThat(l2).containsExactly(l1);
        assertThat(c2).containsExactly(c1);
        String firstConv =
            config.convs().get(0).name() + (config.batchNorm() ? ".conv" : "") + "_W";
        assertThatThrownBy(() -> consuming.param(firstConv))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining(firstConv)
            .hasMessageContaining("freed");
        // A replica of the same size reads the re-ordered copies only.
        try (OneDnnPlan again = OneDnnPlan.compile(consuming, 1)) {
          again.run(in, l2, c2);
          assertThat(l2).containsExactly(l1);
        }
      }
    }
  }

  @Test
  void activationsAreReusedByLiveness() {
    FssdConfig config = FssdTestModels.narrow300(5, false);
    try (OneDnnPlan plan =
        OneDnnPlan.compile(
            config, OneDnnPlanTest.randomGraph(config, 1), 2, PlanOptions.defaults())) {
      // ~40 layer outputs, of which at most a few are live at once; each scratchpad is live
      // during its own primitive only.
      assertThat(plan.arenaBytes())
          .isGreaterThan(0)
          .isLessThan(plan.activationBytes() / 2 + plan.scratchpadBytes());
    }
  }

  /**
   * A set's plans share one arena: running them in turn must not let one's leftovers change
   * another's result (same input, same plan: bit-identical), and a batch of images agrees with the
   * images run alone within {@link OneDnnPlan#BATCH_TOLERANCE}.
   */
  @Test
  void planSetSharesOneArenaAndBatchesAgreeWithSingleImages() {
    FssdConfig config = FssdTestModels.narrow300(4, true);
    ComputationGraph graph = OneDnnPlanTest.randomGraph(config, 7);
    try (OneDnnWeights weights = OneDnnWeights.of(config, graph, WINOGRAD);
        OneDnnPlanSet set = OneDnnPlanSet.compile(weights, 1, 2, 3)) {
      long largest = 0;
      for (int n : set.batchSizes()) {
        largest = Math.max(largest, set.plan(n).arenaBytes());
      }
      assertThat(set.arenaBytes()).isEqualTo(largest);
      OneDnnPlan one = set.plan(1);
      OneDnnPlan three = set.plan(3);
      float[] in = input(config, 3, 11);
      float[] loc3 = new float[three.locLength()];
      float[] conf3 = new float[three.confLength()];
      three.run(in, loc3, conf3);
      int pl = one.locLength();
      int pc = one.confLength();
      float[] loc1 = new float[3 * pl];
      float[] conf1 = new float[3 * pc];
      for (int k = 0; k < 3; k++) {
        one.run(in, k * one.inputLength(), loc1, k * pl, conf1, k * pc);
      }
      float[] again = new float[three.locLength()];
      float[] againConf = new float[three.confLength()];
      three.run(in, again, againConf);
      assertThat(again).containsExactly(loc3);
      assertThat(againConf).containsExactly(conf3);
      assertWithinBatchTolerance(loc3, loc1);
      assertWithinBatchTolerance(conf3, conf1);
      assertThatThrownBy(() -> set.plan(4))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[1, 2, 3]");
    }
  }

  /** A run while another thread is inside the same arena is refused, not allowed to mix data. */
  @Test
  void aSecondRunInTheSameArenaAtOnceIsRefused() {
    FssdConfig config = FssdTestModels.narrow300(3, false);
    try (OneDnnWeights weights =
            OneDnnWeights.of(
                config, OneDnnPlanTest.randomGraph(config, 2), PlanOptions.defaults());
        OneDnnPlanSet set = OneDnnPlanSet.compile(weights, 1, 2);
        OneDnnPlan other = OneDnnPlan.compile(weights, 1)) {
      OneDnnPlan two = set.plan(2);
      float[] in = input(config, 2, 5);
      float[] loc = new float[two.locLength()];
      float[] conf = new float[two.confLength()];
      set.plan(1).arena().acquire(); // as if another thread were running the batch-1 plan
      try {
        assertThatThrownBy(() -> two.run(in, loc, conf))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("one thread at a time");
        // A plan with its own arena (another replica) is not affected.
        other.run(in, 0, new float[other.locLength()], 0, new float[other.confLength()], 0);
      } finally {
        set.plan(1).arena().release();
      }
      two.run(in, loc, conf);
      assertThat(loc).isNotEqualTo(new float[loc.length]);
    }
  }

  @Test
  void closingIsOnceAndUseAfterCloseFails() {
    FssdConfig config = FssdTestModels.narrow300(3, false);
    OneDnnWeights weights =
        OneDnnWeights.of(config, OneDnnPlanTest.randomGraph(config, 2), PlanOptions.defaults());
    OneDnnPlanSet set = OneDnnPlanSet.compile(weights, 1, 2);
    OneDnnPlan plan = set.plan(1);
    float[] in = input(config, 1, 5);
    float[] loc = new float[plan.locLength()];
    float[] conf = new float[plan.confLength()];
    plan.run(in, loc, conf);
    // The owner lets go of the weights; the plans still hold them.
    weights.close();
    weights.close();
    assertThat(weights.nativeBytes()).isGreaterThan(0);
    float[] loc2 = new float[plan.locLength()];
    plan.run(in, loc2, new float[plan.confLength()]);
    assertThat(loc2).containsExactly(loc);
    assertThatThrownBy(() -> OneDnnPlan.compile(weights, 1))
        .isInstanceOf(IllegalStateException.class);
    set.close();
    set.close();
    assertThat(weights.nativeBytes()).as("freed with the last plan").isZero();
    assertThatThrownBy(() -> plan.run(in, loc, conf))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> set.plan(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  private static void assertWithinBatchTolerance(float[] batch, float[] single) {
    double max = 0;
    double diff = 0;
    for (int i = 0; i < single.length; i++) {
      max = Math.max(max, Math.abs(single[i]));
      diff = Math.max(diff, Math.abs(batch[i] - single[i]));
    }
    assertThat(max).isGreaterThan(1e-3);
    assertThat(diff)
        .as("max |batch - single| (max |single| = %s)", max)
        .isLessThanOrEqualTo(OneDnnPlan.BATCH_TOLERANCE * Math.max(1, max));
  }

  private static float[] input(FssdConfig config, int n, long seed) {
    int s = config.inputSize();
    float[] in = new float[n * 3 * s * s];
    Random r = new Random(seed);
    for (int i = 0; i < in.length; i++) {
      in[i] = r.nextFloat() * 2 - 1;
    }
    return in;
  }
}
