package org.fssd.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Widths;
import org.junit.jupiter.api.Test;

class ChannelSelectionTest {
  private static final FssdConfig NARROW = FssdTestModels.narrow300(5, true);

  @Test
  void thresholdIsTheValueAtFloorOfTotalTimesPercent() {
    float[] g = {0.9f, 0.1f, 0.5f, 0.3f, 0.7f, 0.2f, 1.0f, 0.4f, 0.8f, 0.6f};
    // sorted: 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0
    assertThat(ChannelSelection.threshold(g, 0.5))
        .isEqualTo(0.6f); // floor(5.0) = 5 -> 6th smallest
    assertThat(ChannelSelection.threshold(g, 0.0)).isEqualTo(0.1f); // index 0
    assertThat(ChannelSelection.threshold(g, 0.25)).isEqualTo(0.3f); // floor(2.5) = 2
    assertThat(ChannelSelection.threshold(g, 0.29)).isEqualTo(0.3f); // floor(2.9) = 2
    assertThat(ChannelSelection.threshold(g, 0.3)).isEqualTo(0.4f); // floor(3.0) = 3
    assertThat(ChannelSelection.threshold(g, 0.99)).isEqualTo(1.0f); // floor(9.9) = 9
    float[] seven = {5, 1, 4, 2, 7, 3, 6};
    assertThat(ChannelSelection.threshold(seven, 0.5))
        .isEqualTo(4f); // floor(3.5) = 3 -> 4th smallest
    assertThat(g[0]).isEqualTo(0.9f); // input untouched
  }

  @Test
  void percentIsValidatedWithTheValueInTheMessage() {
    assertThatThrownBy(() -> PruneOptions.builder().percent(1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("percent must be in [0, 1), got 1.0");
    assertThatThrownBy(() -> PruneOptions.builder().percent(-0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("percent must be in [0, 1), got -0.1");
    assertThatThrownBy(() -> PruneOptions.builder().percent(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got NaN");
    assertThatThrownBy(() -> ChannelSelection.threshold(new float[] {1}, 1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 1.5");
    assertThatThrownBy(() -> PruneOptions.builder().minChannels(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minChannels must be >= 1, got 0");
    assertThatThrownBy(() -> PruneOptions.builder().minChannels("base.0", -2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minChannels of layer base.0 must be >= 1, got -2");
    assertThat(PruneOptions.defaults().percent()).isEqualTo(0.5);
    assertThat(PruneOptions.defaults().minChannels()).isEqualTo(1);
  }

  @Test
  void keepsStrictlyAboveTheGlobalThreshold() {
    Map<String, float[]> gammas = distinctGammas(NARROW, 1);
    ChannelSelection s = ChannelSelection.select(NARROW, gammas, PruneOptions.defaults());
    int total = s.channelsBefore();
    assertThat(s.collectedChannels()).isEqualTo(total);
    float[] all = concat(gammas);
    float t = ChannelSelection.threshold(abs(all), 0.5);
    assertThat(s.threshold()).isEqualTo(t);
    // All |gamma| distinct: exactly total - floor(total/2) - 1 exceed the value at floor(total/2).
    assertThat(s.channelsAfter()).isEqualTo(total - total / 2 - 1);
    for (String name : s.layers()) {
      float[] g = gammas.get(name);
      int[] kept = s.kept(name);
      assertThat(kept).as(name).isSorted();
      for (int i = 0; i < g.length; i++) {
        boolean isKept = java.util.Arrays.binarySearch(kept, i) >= 0;
        if (kept.length > 1) { // not rescued by the minimum
          assertThat(isKept).as(name + "[" + i + "]").isEqualTo(Math.abs(g[i]) > t);
        }
      }
    }
  }

  @Test
  void newWidthsAndConfigFollowTheKeptCounts() {
    ChannelSelection s =
        ChannelSelection.select(NARROW, distinctGammas(NARROW, 2), PruneOptions.defaults());
    Widths w = s.widths();
    assertThat(w.base(0)).isEqualTo(s.kept("base.0").length);
    assertThat(w.base(Widths.CONV4_3)).isEqualTo(s.kept("base.21").length);
    assertThat(w.base(12)).isEqualTo(s.kept("base.28").length);
    assertThat(w.conv6()).isEqualTo(s.kept("base.31").length);
    assertThat(w.conv7()).isEqualTo(s.kept("base.33").length);
    assertThat(w.extras(3)).isEqualTo(s.kept("extras.3").length);
    assertThat(w.fusion(1)).isEqualTo(s.kept("ft_module.1").length);
    assertThat(w.pyramid(5)).isEqualTo(s.kept("pyramid_ext.5").length);
    assertThat(s.config()).isEqualTo(NARROW.toBuilder().widths(w).build());
    assertThat(s.original()).isEqualTo(NARROW);
    // Heads keep every output channel.
    assertThat(s.kept("conf.0")).hasSize(NARROW.conv(ConvSpec.Group.CONF, 0).out());
  }

  @Test
  void inputsComeFromTheProducers() {
    ChannelSelection s =
        ChannelSelection.select(NARROW, distinctGammas(NARROW, 3), PruneOptions.defaults());
    assertThat(s.keptInputs("base.0")).containsExactly(0, 1, 2);
    assertThat(s.keptInputs("base.2")).isEqualTo(s.kept("base.0"));
    assertThat(s.keptInputs("base.5")).isEqualTo(s.kept("base.2")); // across pool 4
    assertThat(s.keptInputs("base.31")).isEqualTo(s.kept("base.28")); // conv6 <- conv5_3
    assertThat(s.keptInputs("base.33")).isEqualTo(s.kept("base.31")); // conv7 <- conv6
    assertThat(s.keptInputs("extras.0")).isEqualTo(s.kept("base.33"));
    assertThat(s.keptInputs("extras.2")).isEqualTo(s.kept("extras.1"));
    assertThat(s.keptInputs("ft_module.0")).isEqualTo(s.kept("base.21")); // conv4_3
    assertThat(s.keptInputs("ft_module.1")).isEqualTo(s.kept("base.33"));
    assertThat(s.keptInputs("ft_module.2")).isEqualTo(s.kept("extras.3"));
    assertThat(s.keptInputs("pyramid_ext.3")).isEqualTo(s.kept("pyramid_ext.2"));
    assertThat(s.keptInputs("loc.2")).isEqualTo(s.kept("pyramid_ext.2"));
    assertThat(s.keptInputs("conf.5")).isEqualTo(s.kept("pyramid_ext.5"));
    // The concat: offsets 0, 32, 64 (the unpruned ft_module widths of the narrow model).
    int[] concat = s.keptInputs("pyramid_ext.0");
    int n0 = s.kept("ft_module.0").length;
    int n1 = s.kept("ft_module.1").length;
    assertThat(concat).hasSize(s.widths().fusionConcat()).isSorted();
    assertThat(concat[0]).isEqualTo(s.kept("ft_module.0")[0]);
    assertThat(concat[n0]).isEqualTo(32 + s.kept("ft_module.1")[0]);
    assertThat(concat[n0 + n1]).isEqualTo(64 + s.kept("ft_module.2")[0]);
    assertThatThrownBy(() -> s.keptInputs("base.1"))
        .hasMessageContaining("no convolution 'base.1'");
  }

  @Test
  void minimumPerLayerKeepsTheLargestGammas() {
    Map<String, float[]> gammas = constantGammas(NARROW, 1.0f);
    // extras.2 (16 channels) has tiny gammas, every other layer has gamma 1.
    float[] e2 = new float[16];
    for (int i = 0; i < 16; i++) {
      e2[i] = 0.001f * (i % 5); // 0, .001, .002, .003, .004, 0, ...
    }
    gammas.put("extras.2", e2);
    // With percent 0 the threshold is the global minimum 0, shared by 4 channels of extras.2:
    // exactly floor(n * 0) + 1 = 1 channel goes, the first of the tie (channel 0).
    ChannelSelection s0 =
        ChannelSelection.select(NARROW, gammas, PruneOptions.builder().percent(0).build());
    assertThat(s0.threshold()).isEqualTo(0.0);
    assertThat(s0.kept("extras.2")).hasSize(15).doesNotContain(0);
    assertThat(s0.channelsBefore() - s0.channelsAfter()).isEqualTo(1);
    // percent 0.1: threshold = 1.0 (the ones); k = floor(n / 10) + 1 channels go, smallest first:
    // 13 of extras.2 (down to its minimum 3), then the ones in network order, each layer down to
    // its minimum; base.0's minimum is above its width, so it keeps everything.
    PruneOptions o =
        PruneOptions.builder()
            .percent(0.1)
            .minChannels(2)
            .minChannels("extras.2", 3)
            .minChannels("base.0", 100)
            .build();
    ChannelSelection s = ChannelSelection.select(NARROW, gammas, o);
    assertThat(s.threshold()).isEqualTo(1.0);
    int k = s.channelsBefore() / 10 + 1;
    assertThat(s.channelsBefore() - s.channelsAfter()).isEqualTo(k);
    // The three largest |gamma| of extras.2 are .004 at 4, 9, 14.
    assertThat(s.kept("extras.2")).containsExactly(4, 9, 14);
    // Equal gammas: the lower indices go first, the layer keeps its last two.
    assertThat(s.kept("base.2")).containsExactly(6, 7);
    // A minimum above the width keeps the whole layer.
    assertThat(s.kept("base.0")).hasSize(8);
    // k is used up long before the pyramid: it keeps every channel.
    assertThat(s.widths().pyramid(0)).isEqualTo(NARROW.widths().pyramid(0));
  }

  @Test
  void excludedLayersKeepEverythingAndDoNotVote() {
    Map<String, float[]> gammas = distinctGammas(NARROW, 4);
    PruneOptions o = PruneOptions.builder().exclude("base.0", "ft_module.1").build();
    ChannelSelection s = ChannelSelection.select(NARROW, gammas, o);
    assertThat(s.kept("base.0")).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(s.kept("ft_module.1")).hasSize(32);
    Map<String, float[]> voters = new LinkedHashMap<>(gammas);
    voters.remove("base.0");
    voters.remove("ft_module.1");
    float[] v = abs(concat(voters));
    assertThat(s.collectedChannels()).isEqualTo(v.length);
    assertThat(s.threshold()).isEqualTo(ChannelSelection.threshold(v, 0.5));
  }

  @Test
  void unknownLayerNamesAndBadGammasAreRefused() {
    Map<String, float[]> gammas = distinctGammas(NARROW, 5);
    assertThatThrownBy(
            () ->
                ChannelSelection.select(
                    NARROW, gammas, PruneOptions.builder().exclude("base.1").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("excluded layer 'base.1'");
    assertThatThrownBy(
            () ->
                ChannelSelection.select(
                    NARROW, gammas, PruneOptions.builder().minChannels("loc.0", 2).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'loc.0'");
    Map<String, float[]> shortOne = new LinkedHashMap<>(gammas);
    shortOne.put("extras.1", new float[3]);
    assertThatThrownBy(() -> ChannelSelection.select(NARROW, shortOne, PruneOptions.defaults()))
        .hasMessage("layer extras.1 has 64 channels but 3 gammas");
    Map<String, float[]> nan = new LinkedHashMap<>(gammas);
    float[] bad = gammas.get("base.0").clone();
    bad[3] = Float.NaN;
    nan.put("base.0", bad);
    assertThatThrownBy(() -> ChannelSelection.select(NARROW, nan, PruneOptions.defaults()))
        .hasMessage("gamma 3 of layer base.0 is not finite: NaN");
    Map<String, float[]> missing = new LinkedHashMap<>(gammas);
    missing.remove("pyramid_ext.2");
    assertThatThrownBy(() -> ChannelSelection.select(NARROW, missing, PruneOptions.defaults()))
        .hasMessage("no BN gammas for layer pyramid_ext.2");
  }

  @Test
  void selectionByHandIsValidated() {
    ChannelSelection s = ChannelSelection.of(NARROW, Map.of("base.0", new int[] {1, 5}));
    assertThat(s.widths().base(0)).isEqualTo(2);
    assertThat(s.kept("base.2")).hasSize(8);
    assertThat(s.percent()).isNaN();
    assertThatThrownBy(() -> ChannelSelection.of(NARROW, Map.of("base.0", new int[] {5, 1})))
        .hasMessageContaining("ascending and distinct");
    assertThatThrownBy(() -> ChannelSelection.of(NARROW, Map.of("base.0", new int[] {8})))
        .hasMessage("layer base.0: channel 8 out of range [0, 8)");
    assertThatThrownBy(() -> ChannelSelection.of(NARROW, Map.of("base.0", new int[0])))
        .hasMessage("layer base.0 must keep at least one channel");
    assertThatThrownBy(() -> ChannelSelection.of(NARROW, Map.of("conf.0", new int[] {0})))
        .hasMessageContaining("'conf.0' is not a body convolution");
  }

  /** Distinct non-zero gammas of random sign for every body conv. */
  static Map<String, float[]> distinctGammas(FssdConfig config, long seed) {
    Random r = new Random(seed);
    Map<String, float[]> m = new LinkedHashMap<>();
    int n = 0;
    for (ConvSpec c : ChannelSelection.bodyConvs(config)) {
      n += c.out();
    }
    // A shuffled permutation of 1..n, scaled: all |gamma| distinct.
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i + 1;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    int p = 0;
    for (ConvSpec c : ChannelSelection.bodyConvs(config)) {
      float[] g = new float[c.out()];
      for (int i = 0; i < g.length; i++) {
        g[i] = (r.nextBoolean() ? 1 : -1) * perm[p++] / (float) n;
      }
      m.put(c.name(), g);
    }
    return m;
  }

  private static Map<String, float[]> constantGammas(FssdConfig config, float value) {
    Map<String, float[]> m = new LinkedHashMap<>();
    for (ConvSpec c : ChannelSelection.bodyConvs(config)) {
      float[] g = new float[c.out()];
      java.util.Arrays.fill(g, value);
      m.put(c.name(), g);
    }
    return m;
  }

  private static float[] concat(Map<String, float[]> m) {
    int n = 0;
    for (float[] g : m.values()) {
      n += g.length;
    }
    float[] out = new float[n];
    int p = 0;
    for (float[] g : m.values()) {
      System.arraycopy(g, 0, out, p, g.length);
      p += g.length;
    }
    return out;
  }

  private static float[] abs(float[] a) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = Math.abs(a[i]);
    }
    return out;
  }
}
