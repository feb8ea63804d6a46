package org.fssd.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.detect.FssdDetector;
import org.fssd.image.BgrImage;
import org.fssd.image.ImageLoader;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Labels;
import org.fssd.model.Widths;
import org.fssd.testing.FloatArrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Two rounds of sparse-train -> prune -> fine-tune, where "sparse training" zeroes gamma and beta
 * of a quarter of every layer's channels (what the L1 term drives towards): in both rounds the
 * pruning is exact (the pruned graph gives the outputs of the unpruned one), the widths shrink
 * twice, and every round's model saves, loads and detects.
 */
class IterativePrunerTest {
  /** Pruned vs unpruned, equal up to float32 summation order (see PrunerTest). */
  private static final double TOLERANCE = 1e-5;

  @Test
  void twoRoundsOfExactPruningAndEveryRoundModelLoadsAndDetects(@TempDir Path dir) {
    // narrow300's widths / 4 (at least 4): four times fewer channels, so the forward passes stay
    // affordable on a busy 2-core machine
    FssdConfig config =
        FssdTestModels.narrow300(5, true).toBuilder()
            .widths(
                Widths.of(
                    new int[] {4, 4, 4, 4, 8, 8, 8, 16, 16, 16, 16, 16, 16},
                    32,
                    32,
                    new int[] {8, 16, 4, 8},
                    new int[] {8, 8, 8},
                    new int[] {16, 16, 8, 8, 8, 8}))
            .build();
    FssdModel model = FssdModel.create(config, Labels.generic(4), 17);
    INDArray input = Nd4j.randn(17L, new long[] {1, 3, 300, 300}).castTo(DataType.FLOAT);
    // percents chosen so that exactly the zeroed channels go: floor(total * p) = dead - 1
    double[] percents = new double[2];
    Map<String, Integer> widths = new HashMap<>();
    for (ConvSpec c : ChannelSelection.bodyConvs(config)) {
      widths.put(c.name(), c.out());
    }
    Map<String, Integer> expectedAfter1 = new HashMap<>();
    Map<String, Integer> expectedAfter2 = new HashMap<>();
    for (int r = 0; r < 2; r++) {
      int total = 0;
      int dead = 0;
      for (Map.Entry<String, Integer> e : widths.entrySet()) {
        int d = Math.max(1, e.getValue() / 4);
        total += e.getValue();
        dead += d;
        e.setValue(e.getValue() - d);
        (r == 0 ? expectedAfter1 : expectedAfter2).put(e.getKey(), e.getValue());
      }
      percents[r] = (dead - 0.5) / total;
    }
    List<INDArray[]> beforePruning = new ArrayList<>();
    List<INDArray[]> afterPruning = new ArrayList<>();
    List<Integer> fineTuned = new ArrayList<>();
    IterativePruner pruner =
        IterativePruner.builder()
            .percents(percents)
            .sparseTrainer(
                (m, round) -> {
                  FssdModel trained =
                      m.replica(); // a trainer returns a new model; the round's stays as saved
                  killQuarter(trained, new Random(round));
                  beforePruning.add(trained.graph().output(input));
                  return trained;
                })
            .fineTuner(
                (m, round) -> {
                  // the exactness test of the pruner, on this round's pruning
                  INDArray[] after = m.graph().output(input);
                  INDArray[] before = beforePruning.get(round - 1);
                  for (int i = 0; i < 2; i++) {
                    assertThat(before[i].amaxNumber().doubleValue()).isGreaterThan(1e-2);
                    FloatArrays.assertClose(
                        after[i],
                        before[i],
                        TOLERANCE,
                        TOLERANCE,
                        "round " + round + " output " + i + " pruned vs unpruned");
                  }
                  fineTuned.add(round);
                  afterPruning.add(after);
                  return m;
                })
            .evaluator(
                m ->
                    m.graph()
                        .numParams()) // a stand-in "mAP": shows the evaluator is called per stage
            .output(dir.resolve("pruned.zip"))
            .timingRuns(0)
            .build();
    IterativePruner.Result result = pruner.run(model);

    assertThat(fineTuned).containsExactly(1, 2);
    assertThat(result.rounds()).hasSize(2);
    for (ConvSpec c : ChannelSelection.bodyConvs(config)) {
      assertThat(out(result.rounds().get(0).model().config(), c.name()))
          .as(c.name())
          .isEqualTo(expectedAfter1.get(c.name()));
      assertThat(out(result.rounds().get(1).model().config(), c.name()))
          .as(c.name())
          .isEqualTo(expectedAfter2.get(c.name()));
    }
    IterativePruner.Stage s0 = result.input();
    IterativePruner.Stage s1 = result.rounds().get(0).stage();
    IterativePruner.Stage s2 = result.rounds().get(1).stage();
    assertThat(s0.params()).isEqualTo(model.graph().numParams());
    assertThat(s1.params())
        .isLessThan(s0.params())
        .isEqualTo(result.rounds().get(0).model().graph().numParams());
    assertThat(s2.params()).isLessThan(s1.params());
    assertThat(s2.gflops()).isLessThan(s1.gflops()).isEqualTo(2 * s2.gmacs());
    assertThat(s2.map()).isEqualTo((double) s2.params());
    assertThat(s2.msPerImage()).isNaN(); // timing off
    assertThat(result.toString()).contains("round 2").contains("pyramid_ext.5");

    for (IterativePruner.Round r : result.rounds()) {
      Path file = dir.resolve("pruned-round" + r.index() + ".zip");
      assertThat(r.stage().file()).isEqualTo(file);
      assertThat(Files.exists(file)).isTrue();
      FssdModel loaded = FssdModel.load(file);
      assertThat(loaded.config()).isEqualTo(r.model().config());
      assertThat(loaded.graph().output(input)[1]).isEqualTo(afterPruning.get(r.index() - 1)[1]);
    }
    Path last = dir.resolve("pruned-round2.zip");
    try (FssdDetector d = FssdDetector.builder().model(last).scoreThreshold(0f).build();
        BgrImage img = ImageLoader.defaults().fromBgrBytes(randomBytes(80 * 60 * 3), 80, 60, "x")) {
      assertThat(d.detect(img)).isNotEmpty();
    }
  }

  @Test
  void roundFilesAndValidation() {
    assertThat(IterativePruner.roundFile(Path.of("a/out.zip"), 2))
        .isEqualTo(Path.of("a/out-round2.zip"));
    assertThat(IterativePruner.roundFile(Path.of("out"), 1)).isEqualTo(Path.of("out-round1.zip"));
    assertThatThrownBy(() -> IterativePruner.builder().percents(0.5, 1.0))
        .hasMessageContaining("1.0");
    assertThatThrownBy(() -> IterativePruner.builder().rounds(0, 0.5))
        .hasMessageContaining("rounds");
    assertThat(IterativePruner.builder().rounds(3, 0.3).build().rounds()).isEqualTo(3);
  }

  private static int out(FssdConfig config, String name) {
    return config.convs().stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow()
        .out();
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(1).nextBytes(b);
    return b;
  }

  /** Random BN statistics, then gamma = beta = 0 on a quarter (at least one) of every body conv. */
  private static void killQuarter(FssdModel model, Random r) {
    ComputationGraph g = model.graph();
    for (ConvSpec c : ChannelSelection.bodyConvs(model.config())) {
      int n = c.out();
      float[] gamma = new float[n];
      float[] beta = new float[n];
      float[] mean = new float[n];
      float[] var = new float[n];
      for (int i = 0; i < n; i++) {
        gamma[i] = (r.nextBoolean() ? 1 : -1) * (0.5f + r.nextFloat());
        beta[i] = 0.4f * (r.nextFloat() - 0.5f);
        mean[i] = 0.2f * (r.nextFloat() - 0.5f);
        var[i] = 0.5f + 1.5f * r.nextFloat();
      }
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        idx.add(i);
      }
      java.util.Collections.shuffle(idx, r);
      for (int i : idx.subList(0, Math.max(1, n / 4))) {
        gamma[i] = 0;
        beta[i] = 0;
      }
      set(g.getParam(c.name() + ".bn_gamma"), gamma);
      set(g.getParam(c.name() + ".bn_beta"), beta);
      set(g.getParam(c.name() + ".bn_mean"), mean);
      set(g.getParam(c.name() + ".bn_var"), var);
    }
  }

  private static void set(INDArray a, float[] v) {
    a.assign(Nd4j.create(v, a.shape(), 'c'));
  }
}
