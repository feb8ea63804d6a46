package org.fssd.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Labels;
import org.fssd.testing.FloatArrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The exactness test of weight surgery: channels whose BN gamma and beta are zero output exactly
 * zero after ReLU, so removing them (with the matching input slices downstream) must not change the
 * network's outputs.
 */
class PrunerTest {
  /**
   * Pruned vs unpruned on this machine: the same sums without the zero terms of dead channels, but
   * blocked differently for the new channel counts, so equal up to float32 summation order.
   */
  private static final double TOLERANCE = 1e-5;

  @Test
  void pruningDeadChannelsKeepsTheOutputsOf300() {
    assertPruningDeadChannelsIsExact(FssdTestModels.narrow300(5, true), 11);
  }

  @Test
  void pruningDeadChannelsKeepsTheOutputsOf512() {
    assertPruningDeadChannelsIsExact(FssdTestModels.narrow512(5, true), 12);
  }

  private static void assertPruningDeadChannelsIsExact(FssdConfig config, long seed) {
    FssdModel model = FssdModel.create(config, Labels.generic(config.numClasses() - 1), seed);
    Map<String, int[]> dead = killChannels(model, seed);
    int deadCount = dead.values().stream().mapToInt(a -> a.length).sum();
    int total = 0;
    for (ConvSpec c : ChannelSelection.bodyConvs(config)) {
      total += c.out();
    }
    // floor(total * percent) = deadCount - 1: the threshold is 0, the largest dead |gamma|.
    double percent = (deadCount - 0.5) / total;
    PruneResult result = Pruner.prune(model, PruneOptions.builder().percent(percent).build());
    ChannelSelection s = result.selection();
    assertThat(s.threshold()).isEqualTo(0.0);
    for (ConvSpec c : ChannelSelection.bodyConvs(config)) {
      Set<Integer> gone = new HashSet<>();
      for (int d : dead.get(c.name())) {
        gone.add(d);
      }
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < c.out(); i++) {
        if (!gone.contains(i)) {
          expected.add(i);
        }
      }
      assertThat(s.kept(c.name()))
          .as(c.name())
          .containsExactly(expected.stream().mapToInt(Integer::intValue).toArray());
      assertThat(s.kept(c.name()).length)
          .as(c.name())
          .isLessThan(c.out()); // every layer loses some
    }
    FssdModel pruned = result.model();
    assertThat(pruned.config()).isEqualTo(s.config());
    assertThat(pruned.graph().numParams()).isLessThan(model.graph().numParams());
    assertThat(pruned.graph().numParams()).isEqualTo(PruneReport.parameterCount(pruned.config()));
    assertThat(pruned.labels().objectClasses()).isEqualTo(model.labels().objectClasses());

    INDArray input =
        Nd4j.randn(
                new Random(seed).nextLong(),
                new long[] {2, 3, config.inputSize(), config.inputSize()})
            .castTo(DataType.FLOAT);
    INDArray[] before = model.graph().output(input);
    INDArray[] after = pruned.graph().output(input);
    for (int i = 0; i < 2; i++) {
      assertThat(before[i].amaxNumber().doubleValue())
          .as("output %s is not trivial", i)
          .isGreaterThan(1e-2);
      FloatArrays.assertClose(
          after[i], before[i], TOLERANCE, TOLERANCE, "output " + i + " pruned vs unpruned");
    }
  }

  @Test
  void droppingLiveChannelsDoesChangeTheOutputs() {
    // The check above can fail: the same surgery on channels that are alive changes the outputs.
    FssdConfig config = FssdTestModels.narrow300(5, true);
    FssdModel model = FssdModel.create(config, Labels.generic(4), 21);
    randomizeBatchNorm(model.graph(), config, new Random(21));
    FssdModel pruned =
        Pruner.apply(
            model, ChannelSelection.of(config, Map.of("ft_module.2", new int[] {0, 1, 2})));
    INDArray input = Nd4j.randn(5L, new long[] {1, 3, 300, 300}).castTo(DataType.FLOAT);
    double diff =
        model
            .graph()
            .output(input)[1]
            .sub(pruned.graph().output(input)[1])
            .amaxNumber()
            .doubleValue();
    assertThat(diff).isGreaterThan(1e-3);
  }

  @Test
  void prunedModelSavesLoadsAndGivesTheSameOutputs(@TempDir Path dir) {
    FssdConfig config = FssdTestModels.narrow300(5, true);
    FssdModel model = FssdModel.create(config, Labels.of("a", "b", "c", "d"), 31);
    randomizeBatchNorm(model.graph(), config, new Random(31));
    PruneResult r = Pruner.prune(model, PruneOptions.builder().percent(0.4).minChannels(2).build());
    FssdModel pruned = r.model();
    Path file = dir.resolve("pruned.fssd");
    pruned.save(file);
    FssdModel loaded = FssdModel.load(file);
    assertThat(loaded.config()).isEqualTo(pruned.config());
    assertThat(loaded.config().widths()).isEqualTo(r.selection().widths());
    assertThat(loaded.labels().objectClasses()).containsExactly("a", "b", "c", "d");
    assertThat(loaded.provenance().get("prune.percent")).isEqualTo("0.4");
    assertThat(loaded.provenance().get("prune.threshold"))
        .isEqualTo(Double.toString(r.selection().threshold()));
    assertThat(loaded.provenance().get("prune.params.before"))
        .isEqualTo(Long.toString(model.graph().numParams()));
    assertThat(loaded.provenance().get("prune.params.after"))
        .isEqualTo(Long.toString(pruned.graph().numParams()));
    assertThat(loaded.provenance().get("parent.source")).isEqualTo("init seed=31");
    INDArray input = Nd4j.randn(7L, new long[] {1, 3, 300, 300}).castTo(DataType.FLOAT);
    INDArray[] a = pruned.graph().output(input);
    INDArray[] b = loaded.graph().output(input);
    assertThat(a[0]).isEqualTo(b[0]);
    assertThat(a[1]).isEqualTo(b[1]);
  }

  @Test
  void surgeryCopiesTheKeptSlices() {
    FssdConfig config = FssdTestModels.narrow300(5, true).toBuilder().fusionBatchNorm(true).build();
    FssdModel model = FssdModel.create(config, Labels.generic(4), 41);
    randomizeBatchNorm(model.graph(), config, new Random(41));
    randomizeConcatBatchNorm(model.graph(), config, new Random(42));
    Map<String, int[]> keep = new LinkedHashMap<>();
    keep.put("base.21", new int[] {3, 10, 60});
    keep.put("ft_module.0", new int[] {0, 31});
    keep.put("ft_module.1", new int[] {5});
    keep.put("ft_module.2", new int[] {2, 7});
    keep.put("pyramid_ext.1", new int[] {1, 2, 63});
    ChannelSelection s = ChannelSelection.of(config, keep);
    FssdModel pruned = Pruner.apply(model, s);
    ComputationGraph a = model.graph();
    ComputationGraph b = pruned.graph();
    // ft_module.0 (1x1) reads conv4_3 = base.21: W'[o][i] = W[keep[o]][keepIn[i]].
    INDArray w = a.getParam("ft_module.0.conv_W");
    INDArray w2 = b.getParam("ft_module.0.conv_W");
    assertThat(w2.shape()).containsExactly(2, 3, 1, 1);
    assertThat(w2.getFloat(1, 2, 0, 0)).isEqualTo(w.getFloat(31, 60, 0, 0));
    assertThat(w2.getFloat(0, 1, 0, 0)).isEqualTo(w.getFloat(0, 10, 0, 0));
    // base.24 (3x3) reads base.21 (which is also pooled in between).
    assertThat(b.getParam("base.24.conv_W").getFloat(7, 2, 2, 1))
        .isEqualTo(a.getParam("base.24.conv_W").getFloat(7, 60, 2, 1));
    // pyramid_ext.0 reads the concat: channel 2 of the pruned concat is ft_module.1's 5 -> 32 + 5.
    INDArray p0 = b.getParam("pyramid_ext.0.conv_W");
    assertThat(p0.shape()).containsExactly(64, 5, 3, 3);
    assertThat(p0.getFloat(9, 2, 0, 2))
        .isEqualTo(a.getParam("pyramid_ext.0.conv_W").getFloat(9, 37, 0, 2));
    assertThat(p0.getFloat(9, 4, 1, 1))
        .isEqualTo(a.getParam("pyramid_ext.0.conv_W").getFloat(9, 71, 1, 1));
    // BN slices of the conv and of ft_bn.
    for (String p : new String[] {"_gamma", "_beta", "_mean", "_var"}) {
      assertThat(flat(b.getParam("pyramid_ext.1.bn" + p)))
          .containsExactly(pick(flat(a.getParam("pyramid_ext.1.bn" + p)), 1, 2, 63));
      assertThat(flat(b.getParam("ft_bn" + p)))
          .containsExactly(pick(flat(a.getParam("ft_bn" + p)), 0, 31, 37, 66, 71));
    }
    // Heads: all outputs, kept inputs; bias untouched.
    assertThat(b.getParam("loc.1_W").getFloat(3, 2, 1, 0))
        .isEqualTo(a.getParam("loc.1_W").getFloat(3, 63, 1, 0));
    assertThat(flat(b.getParam("conf.1_b"))).containsExactly(flat(a.getParam("conf.1_b")));
    assertThat(pruned.provenance().get("prune.selection")).isEqualTo("by hand");
  }

  @Test
  void refusesThePlainVariantAndAForeignSelection() {
    FssdModel plain = FssdModel.create(FssdTestModels.narrow300(5, false), Labels.generic(4), 1);
    assertThatThrownBy(() -> Pruner.prune(plain, PruneOptions.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs the BN variant");
    ChannelSelection other = ChannelSelection.of(FssdTestModels.narrow300(5, true), Map.of());
    assertThatThrownBy(() -> Pruner.apply(plain, other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the selection was made for");
  }

  @Test
  void plainVariantSurgeryByHandSlicesTheBiases() {
    FssdConfig config = FssdTestModels.narrow300(5, false);
    FssdModel model = FssdModel.create(config, Labels.generic(4), 2);
    model
        .graph()
        .getParam("extras.1_b")
        .assign(Nd4j.linspace(1, 64, 64).reshape(model.graph().getParam("extras.1_b").shape()));
    FssdModel pruned =
        Pruner.apply(model, ChannelSelection.of(config, Map.of("extras.1", new int[] {4, 40})));
    assertThat(flat(pruned.graph().getParam("extras.1_b"))).containsExactly(5f, 41f);
    assertThat(pruned.graph().getParam("extras.2_W").shape()).containsExactly(16, 2, 1, 1);
  }

  /**
   * Random non-trivial BN statistics everywhere, then gamma = beta = 0 on a random quarter of the
   * channels of every body conv (at least one, never all); |gamma| of the others is >= 0.5.
   */
  private static Map<String, int[]> killChannels(FssdModel model, long seed) {
    Random r = new Random(seed);
    ComputationGraph g = model.graph();
    randomizeBatchNorm(g, model.config(), r);
    Map<String, int[]> dead = new LinkedHashMap<>();
    for (ConvSpec c : ChannelSelection.bodyConvs(model.config())) {
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < c.out(); i++) {
        idx.add(i);
      }
      java.util.Collections.shuffle(idx, r);
      int n = Math.max(1, c.out() / 4);
      int[] d = idx.subList(0, n).stream().mapToInt(Integer::intValue).sorted().toArray();
      INDArray gamma = g.getParam(c.name() + ".bn_gamma");
      INDArray beta = g.getParam(c.name() + ".bn_beta");
      float[] gv = flat(gamma);
      float[] bv = flat(beta);
      for (int i : d) {
        gv[i] = 0;
        bv[i] = 0;
      }
      gamma.assign(Nd4j.create(gv, gamma.shape(), 'c'));
      beta.assign(Nd4j.create(bv, beta.shape(), 'c'));
      dead.put(c.name(), d);
    }
    return dead;
  }

  private static void randomizeBatchNorm(ComputationGraph g, FssdConfig config, Random r) {
    for (ConvSpec c : ChannelSelection.bodyConvs(config)) {
      fill(
          g.getParam(c.name() + ".bn_gamma"),
          () -> (r.nextBoolean() ? 1 : -1) * (0.5f + r.nextFloat()));
      fill(g.getParam(c.name() + ".bn_beta"), () -> 0.4f * (r.nextFloat() - 0.5f));
      fill(g.getParam(c.name() + ".bn_mean"), () -> 0.2f * (r.nextFloat() - 0.5f));
      fill(g.getParam(c.name() + ".bn_var"), () -> 0.5f + 1.5f * r.nextFloat());
    }
  }

  private static void randomizeConcatBatchNorm(ComputationGraph g, FssdConfig config, Random r) {
    fill(g.getParam("ft_bn_gamma"), () -> 0.5f + r.nextFloat());
    fill(g.getParam("ft_bn_beta"), () -> r.nextFloat() - 0.5f);
    fill(g.getParam("ft_bn_mean"), () -> r.nextFloat() - 0.5f);
    fill(g.getParam("ft_bn_var"), () -> 0.5f + r.nextFloat());
  }

  private static void fill(INDArray a, java.util.function.Supplier<Float> f) {
    float[] v = new float[(int) a.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = f.get();
    }
    a.assign(Nd4j.create(v, a.shape(), 'c'));
  }

  private static float[] flat(INDArray a) {
    return a.castTo(DataType.FLOAT).dup('c').reshape(a.length()).toFloatVector();
  }

  private static float[] pick(float[] v, int... idx) {
    float[] out = new float[idx.length];
    for (int i = 0; i < idx.length; i++) {
      out[i] = v[idx[i]];
    }
    return out;
  }
}
