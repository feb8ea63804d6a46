package org.fssd.prune;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pruning when |gamma| tie: exactly {@code floor(n * percent) + 1} channels go (what SPEC §11
 * prunes for distinct |gamma|), picked in the order (|gamma|, layer, channel), and the selection
 * warns that the model does not look sparse-trained.
 */
class TiedGammasTest {
  private static final FssdConfig NARROW = FssdTestModels.narrow300(5, true);

  private static int total(FssdConfig config) {
    int n = 0;
    for (ConvSpec c : ChannelSelection.bodyConvs(config)) {
      n += c.out();
    }
    return n;
  }

  private static FssdModel freshBn() {
    // a fresh BN layer has gamma = 1 in every channel: every |gamma| ties
    return FssdModel.create(NARROW, Labels.generic(4), 3);
  }

  @Test
  void aFreshBnModelLosesExactlyTheShareAskedNotAllButOneChannelPerLayer() {
    FssdModel model = freshBn();
    for (float[] g : ChannelSelection.gammas(NARROW, model.graph()).values()) {
      for (float v : g) {
        assertThat(v).isEqualTo(1f);
      }
    }
    int n = total(NARROW);
    for (double percent : new double[] {0.0, 0.1, 0.5, 0.7}) {
      ChannelSelection s =
          ChannelSelection.select(model, PruneOptions.builder().percent(percent).build());
      int k = (int) Math.floor(n * percent) + 1;
      assertThat(s.channelsBefore() - s.channelsAfter()).as("percent %s", percent).isEqualTo(k);
      assertThat(s.threshold()).isEqualTo(1.0);
    }
    // percent 0.5: the ties go in network order, every layer down to its minimum of 1 (keeping
    // its last channel), until k is reached; the layer where k runs out keeps the rest
    ChannelSelection s = ChannelSelection.select(model, PruneOptions.defaults());
    int k = n / 2 + 1;
    int left = k;
    for (String layer : s.layers()) {
      int width =
          NARROW.convs().stream()
              .filter(c -> c.name().equals(layer))
              .findFirst()
              .orElseThrow()
              .out();
      int goes = Math.min(left, width - 1);
      left -= goes;
      int[] want = new int[width - goes];
      for (int i = 0; i < want.length; i++) {
        want[i] = goes + i;
      }
      assertThat(s.kept(layer)).as(layer).containsExactly(want);
    }
    assertThat(left).isZero();
  }

  @Test
  void theSelectionIsDeterministicAndIndependentOfTheMapOrder() {
    Map<String, float[]> gammas = tiedAtTheBoundary();
    ChannelSelection a = ChannelSelection.select(NARROW, gammas, PruneOptions.defaults());
    List<String> names = new ArrayList<>(gammas.keySet());
    java.util.Collections.reverse(names);
    Map<String, float[]> reversed = new LinkedHashMap<>();
    for (String name : names) {
      reversed.put(name, gammas.get(name).clone());
    }
    ChannelSelection b = ChannelSelection.select(NARROW, reversed, PruneOptions.defaults());
    for (String layer : a.layers()) {
      assertThat(b.kept(layer)).as(layer).containsExactly(a.kept(layer));
    }
    assertThat(b.warnings()).isEqualTo(a.warnings());
  }

  /**
   * Sparse-looking gammas (62.5 % of every layer at 0.01, the rest distinct in [0.5, 1.5]) where a
   * run of channels all equal to 0.01 straddles the cut at percent 0.5.
   */
  private static Map<String, float[]> tiedAtTheBoundary() {
    Random r = new Random(7);
    Map<String, float[]> m = new LinkedHashMap<>();
    for (ConvSpec c : ChannelSelection.bodyConvs(NARROW)) {
      float[] g = new float[c.out()];
      for (int i = 0; i < g.length; i++) {
        g[i] = i % 8 < 5 ? 0.01f : 0.5f + r.nextFloat();
      }
      m.put(c.name(), g);
    }
    return m;
  }

  @Test
  void tiesAtTheBoundaryAreCutInNetworkOrderAndWarned() {
    Map<String, float[]> gammas = tiedAtTheBoundary();
    ChannelSelection s = ChannelSelection.select(NARROW, gammas, PruneOptions.defaults());
    int n = total(NARROW);
    int k = n / 2 + 1;
    assertThat(s.threshold()).isEqualTo(0.01f);
    assertThat(s.channelsBefore() - s.channelsAfter()).isEqualTo(k);
    // only 0.01 channels go: the layers first in the network lose all of theirs
    int left = k;
    for (String layer : s.layers()) {
      float[] g = gammas.get(layer);
      int small = 0;
      for (float v : g) {
        small += v == 0.01f ? 1 : 0;
      }
      int goes = Math.min(left, small);
      left -= goes;
      assertThat(s.kept(layer)).as(layer).hasSize(g.length - goes);
      for (int i : s.kept(layer)) {
        if (g[i] == 0.01f) {
          assertThat(goes)
              .as(layer + " keeps a 0.01 channel only once k is used up")
              .isLessThan(small);
        }
      }
    }
    assertThat(s.warnings()).hasSize(1);
    assertThat(s.warnings().get(0))
        .startsWith(
            n * 5 / 8
                + " channels have exactly the threshold |gamma| 0.01000; "
                + k
                + " of them were pruned by network position")
        .contains("base.0, base.2");
  }

  @Test
  void aSparseLookingModelWithoutTiesGivesNoWarning() {
    Random r = new Random(9);
    Map<String, float[]> m = new LinkedHashMap<>();
    for (ConvSpec c : ChannelSelection.bodyConvs(NARROW)) {
      float[] g = new float[c.out()];
      for (int i = 0; i < g.length; i++) {
        // 5 of 8 near zero (distinct), the rest live: the cut at 0.5 lies inside the zero cluster
        g[i] = i % 8 < 5 ? 1e-4f * (1 + r.nextFloat()) : 0.5f + r.nextFloat();
      }
      m.put(c.name(), g);
    }
    ChannelSelection s = ChannelSelection.select(NARROW, m, PruneOptions.defaults());
    assertThat(s.warnings()).isEmpty();
    assertThat(s.channelsBefore() - s.channelsAfter()).isEqualTo(total(NARROW) / 2 + 1);
  }

  @Test
  void aFreshBnModelGetsTheFlatLayersAndNoMassNearZeroWarnings() {
    ChannelSelection s = Pruner.prune(freshBn(), PruneOptions.defaults()).selection();
    int layers = s.layers().size();
    assertThat(s.warnings()).hasSize(3);
    assertThat(s.warnings().get(0))
        .startsWith(layers + " of " + layers + " prunable layers have (almost) equal |gamma|")
        .contains("base.0 (|gamma| 1.000)")
        .contains("and " + (layers - 8) + " more")
        .endsWith("the model does not look sparse-trained");
    assertThat(s.warnings().get(1)).contains("exactly the threshold |gamma| 1.000");
    int k = total(NARROW) / 2 + 1;
    assertThat(s.warnings().get(2))
        .startsWith(k + " of the " + k + " pruned channels have |gamma| >= 0.1")
        .contains("base.0 (7)");
  }

  @Test
  void iterativePruningOfTiedGammasPrunesTheShareOfEveryRound(@TempDir Path dir) {
    IterativePruner.Result r =
        IterativePruner.builder()
            .percents(0.5, 0.5)
            .timingRuns(0)
            .output(dir.resolve("p.zip"))
            .build()
            .run(freshBn());
    int n0 = total(NARROW);
    int n1 = n0 - (n0 / 2 + 1);
    int n2 = n1 - (n1 / 2 + 1);
    ChannelSelection first = r.rounds().get(0).pruning().selection();
    ChannelSelection second = r.rounds().get(1).pruning().selection();
    assertThat(first.channelsAfter()).isEqualTo(n1);
    assertThat(second.channelsBefore()).isEqualTo(n1);
    assertThat(second.channelsAfter()).isEqualTo(n2);
    // the pruned model still has gamma 1 everywhere: round 2 warns again
    assertThat(second.warnings()).isNotEmpty();
    assertThat(r.toString()).contains("warning: ");
    // same input, same rounds
    IterativePruner.Result again =
        IterativePruner.builder().percents(0.5, 0.5).timingRuns(0).build().run(freshBn());
    assertThat(again.finalModel().config()).isEqualTo(r.finalModel().config());
    assertThat(
            Arrays.equals(
                again.finalModel().graph().params().toFloatVector(),
                r.finalModel().graph().params().toFloatVector()))
        .isTrue();
  }
}
