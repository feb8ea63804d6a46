package org.fssd.plots;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.fssd.FssdException;
import org.fssd.train.eval.ApMethod;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  /** Reads {@code png} back, checks its size, and that nothing else (no temp file) is in dir. */
  private void assertOnlyPng(Path png, int width, int height) throws IOException {
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img).as("%s decodes as an image", png).isNotNull();
    assertThat(img.getWidth()).isEqualTo(width);
    assertThat(img.getHeight()).isEqualTo(height);
    byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
    assertThat(head).containsExactly(0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a);
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactly(png.getFileName().toString());
    }
  }

  @Test
  void trainingLossDrawsRawAndSmoothedSeries() throws IOException {
    int n = 300;
    long[] it = new long[n];
    double[] loc = new double[n];
    double[] conf = new double[n];
    double[] total = new double[n];
    Random rnd = new Random(1);
    for (int i = 0; i < n; i++) {
      it[i] = 10L * i;
      loc[i] = 2.0 * Math.exp(-i / 100.0) + 0.1 * rnd.nextDouble();
      conf[i] = 4.0 * Math.exp(-i / 80.0) + 0.2 * rnd.nextDouble();
      total[i] = loc[i] + conf[i];
    }
    total[7] = Double.NaN; // a diverged step is left out
    Path png = dir.resolve("loss.png");
    ChartData d = TrainingCharts.trainingLoss(png, it, total, loc, conf);
    assertOnlyPng(png, 800, 500);
    assertThat(d.series().keySet())
        .containsExactly("total (raw)", "total", "loc (raw)", "loc", "conf (raw)", "conf");
    assertThat(d.y("loc (raw)")).containsExactly(loc);
    assertThat(d.x("loc (raw)")[299]).isEqualTo(2990.0);
    assertThat(d.y("total (raw)")).hasSize(n - 1).doesNotContain(Double.NaN);
    assertThat(d.y("conf")).containsExactly(TrainingCharts.smooth(conf, n / 30));
    assertThat(d.title()).contains("EMA over 10 points");
  }

  @Test
  void longLossRunsAreThinnedKeepingTheNoiseBand() throws IOException {
    int n = 10_000;
    long[] it = new long[n];
    double[] v = new double[n];
    Random rnd = new Random(3);
    for (int i = 0; i < n; i++) {
      it[i] = i;
      v[i] = 1 + rnd.nextGaussian();
    }
    ChartData d = TrainingCharts.trainingLoss(dir.resolve("loss.png"), it, v, v, v);
    double[] raw = d.y("loc (raw)");
    assertThat(raw.length).isLessThanOrEqualTo(TrainingCharts.MAX_DRAWN_POINTS);
    assertThat(Arrays.stream(raw).min().orElseThrow())
        .isEqualTo(Arrays.stream(v).min().orElseThrow());
    assertThat(Arrays.stream(raw).max().orElseThrow())
        .isEqualTo(Arrays.stream(v).max().orElseThrow());
    double[] full = TrainingCharts.smooth(v, n / 30 > 500 ? 500 : n / 30);
    double[] sx = d.x("loc");
    double[] sy = d.y("loc");
    assertThat(sx.length).isLessThanOrEqualTo(TrainingCharts.MAX_DRAWN_POINTS + 1);
    assertThat(sx[sx.length - 1]).isEqualTo(n - 1);
    for (int i = 0; i < sx.length; i++) {
      assertThat(sy[i]).isEqualTo(full[(int) sx[i]]);
    }
    assertThat(d.x("loc (raw)")).isSorted();
  }

  @Test
  void smoothIsUnbiasedAtTheStartAndIdentityForSpanOne() {
    double[] v = {3, 1, 4, 1, 5};
    assertThat(TrainingCharts.smooth(v, 1)).containsExactly(v);
    assertThat(TrainingCharts.smooth(new double[] {2, 2, 2, 2}, 10))
        .containsExactly(new double[] {2, 2, 2, 2}, within(1e-12));
    // span 3: alpha = 0.5; m = 0.5 * 0 + 0.5 * 4 = 2, corrected by 1 - 0.5 = 0.5 -> 4
    double[] s = TrainingCharts.smooth(new double[] {4, 0}, 3);
    assertThat(s[0]).isCloseTo(4, within(1e-12));
    // m1 = 0.5 * 2 + 0 = 1, corrected by 1 - 0.25 -> 4 / 3
    assertThat(s[1]).isCloseTo(4.0 / 3, within(1e-12));
  }

  @Test
  void learningRateLeavesOutNonPositivePoints() throws IOException {
    long[] it = {0, 1, 2, 3};
    double[] lr = {0, 1e-4, 1e-3, 1e-3};
    Path png = dir.resolve("lr.png");
    ChartData d = TrainingCharts.learningRate(png, it, lr);
    assertOnlyPng(png, 800, 500);
    assertThat(d.x("learning rate")).containsExactly(1, 2, 3);
    assertThat(d.y("learning rate")).containsExactly(1e-4, 1e-3, 1e-3);
    assertThat(d.title()).contains("1 point <= 0 not shown");
  }

  @Test
  void mapCurveMarksTheBestEpoch() throws IOException {
    Path png = dir.resolve("map.png");
    ChartData d =
        TrainingCharts.mapCurve(
            png, new int[] {5, 10, 15, 20}, new double[] {0.41, 0.62, Double.NaN, 0.58});
    assertOnlyPng(png, 800, 500);
    assertThat(d.x("mAP")).containsExactly(5, 10, 20);
    assertThat(d.y("mAP")).containsExactly(0.41, 0.62, 0.58);
    assertThat(d.x("best")).containsExactly(10);
    assertThat(d.title()).contains("best 0.6200 at epoch 10");
  }

  @Test
  void precisionRecallEnvelopeMatchesHandComputation() throws IOException {
    double[] r = {0.2, 0.4, 0.4, 0.6, 0.8};
    double[] p = {1.0, 0.5, 2.0 / 3, 0.5, 0.4};
    // VOC all-point: 0.2 * 1 + 0.2 * 2/3 + 0.2 * 0.5 + 0.2 * 0.4 + 0.2 * 0
    double ap = 0.2 + 0.2 * 2 / 3 + 0.1 + 0.08;
    // the staircase drawn is the curve the AP integrates: its area is the AP
    double[][] s = EvaluationCharts.staircase(r, p);
    double area = 0;
    for (int i = 0; i + 1 < s[0].length; i++) {
      area += (s[0][i + 1] - s[0][i]) * s[1][i + 1];
    }
    assertThat(area).isCloseTo(ap, within(1e-12));
    assertThat(ApMethod.VOC10_ALL_POINT.ap(r, p)).isCloseTo(ap, within(1e-12));
    Path png = dir.resolve("pr.png");
    ChartData d = EvaluationCharts.precisionRecall(png, "cat <b>", r, p, ap);
    assertOnlyPng(png, 800, 500);
    assertThat(d.x("precision")).containsExactly(r);
    assertThat(d.y("precision")).containsExactly(p);
    assertThat(d.x("envelope"))
        .containsExactly(
            new double[] {0, 0.2, 0.2, 0.4, 0.4, 0.4, 0.4, 0.6, 0.6, 0.8, 0.8, 1, 1},
            within(1e-12));
    assertThat(d.y("envelope"))
        .containsExactly(
            new double[] {1, 1, 2.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, 0.5, 0.5, 0.4, 0.4, 0, 0, 0},
            within(1e-12));
    assertThat(d.title()).isEqualTo("Precision-recall: cat <b> (AP 0.5133)");
  }

  @Test
  void precisionRecallRefusesValuesOutsideUnitInterval() {
    assertThatThrownBy(
            () ->
                EvaluationCharts.precisionRecall(
                    dir.resolve("x.png"), "c", new double[] {1.5}, new double[] {1}, 0))
        .hasMessageContaining("recall[0] = 1.5");
  }

  @Test
  void apBarsAreSortedWithTheMeanInTheTitle() throws IOException {
    String[] classes = new String[20];
    double[] ap = new double[20];
    for (int i = 0; i < 20; i++) {
      classes[i] = "class" + i;
      ap[i] = ((i * 7) % 20) / 20.0;
    }
    ap[3] = Double.NaN; // no ground truth: drawn as 0, not in the mean
    Path png = dir.resolve("ap.png");
    ChartData d = EvaluationCharts.apBars(png, classes, ap);
    assertOnlyPng(png, 800, Math.max(500, 120 + 22 * 20));
    double[] values = d.x("AP");
    for (int i = 1; i < values.length; i++) {
      assertThat(values[i]).as("row %s", i).isGreaterThanOrEqualTo(values[i - 1]);
    }
    assertThat(d.y("AP"))
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
    for (int row = 0; row < 20; row++) {
      int cls = Integer.parseInt(d.categories().get(row).substring(5));
      assertThat(values[row]).isEqualTo(Double.isNaN(ap[cls]) ? 0 : ap[cls]);
    }
    double mean = Arrays.stream(ap).filter(v -> !Double.isNaN(v)).average().orElseThrow();
    assertThat(d.title()).contains(String.format(java.util.Locale.ROOT, "mAP %.4f over 19", mean));
    assertThat(d.categories().get(19)).isEqualTo("class" + 17); // 17 * 7 % 20 = 19: best
  }

  @Test
  void gammaHistogramCountsEveryNonZeroGamma() throws IOException {
    Random rnd = new Random(7);
    float[] g = new float[1000];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) Math.exp(rnd.nextGaussian() * 2 - 3) * (rnd.nextBoolean() ? 1 : -1);
    }
    g[5] = 0;
    g[6] = 0;
    g[7] = -0f;
    Path png = dir.resolve("gamma.png");
    ChartData d = PruningCharts.gammaHistogram(png, g, 0.01);
    assertOnlyPng(png, 800, 500);
    double[] counts = d.y("count");
    assertThat(counts).hasSize(PruningCharts.GAMMA_BINS);
    assertThat(Arrays.stream(counts).sum()).isEqualTo(997);
    assertThat(d.title()).contains("of 1000 channels (3 zeros not shown)");
    double[] edges = d.x("edges");
    assertThat(edges).hasSize(PruningCharts.GAMMA_BINS + 1);
    double ratio = edges[1] / edges[0];
    for (int i = 1; i < edges.length; i++) {
      assertThat(edges[i] / edges[i - 1]).isCloseTo(ratio, within(1e-9));
    }
    // brute force: each value in [e_i, e_(i+1)), last bin closed
    double[] brute = new double[PruningCharts.GAMMA_BINS];
    for (float v : g) {
      double a = Math.abs(v);
      for (int i = 0; a > 0 && i < PruningCharts.GAMMA_BINS; i++) {
        if (a >= edges[i] && (a < edges[i + 1] || i == PruningCharts.GAMMA_BINS - 1)) {
          brute[i]++;
          break;
        }
      }
    }
    assertThat(counts).containsExactly(brute);
    assertThat(d.x("threshold")).containsExactly(0.01, 0.01);
    long below = 0;
    for (float v : g) {
      below += Math.abs(v) < 0.01 ? 1 : 0;
    }
    assertThat(d.title()).contains(below + " below threshold 0.0100");
  }

  @Test
  void keptChannelsKeepsNetworkOrder() throws IOException {
    String[] layers = {"conv1_1", "conv1_2", "conv2_1", "fc7"};
    Path png = dir.resolve("kept.png");
    ChartData d =
        PruningCharts.keptChannels(
            png, layers, new int[] {64, 64, 128, 1024}, new int[] {40, 64, 100, 300});
    assertOnlyPng(png, 800, 500);
    assertThat(d.categories()).containsExactly(layers);
    assertThat(d.y("before")).containsExactly(64, 64, 128, 1024);
    assertThat(d.y("after")).containsExactly(40, 64, 100, 300);
    assertThat(d.title()).contains("504 of 1280");
    assertThatThrownBy(
            () ->
                PruningCharts.keptChannels(
                    png, layers, new int[] {1, 1, 1, 1}, new int[] {2, 1, 1, 1}))
        .hasMessageContaining("conv1_1 keeps 2 of 1");
  }

  @Test
  void failedWriteLeavesNothing() {
    Path missing = dir.resolve("no-such-dir").resolve("lr.png");
    assertThatThrownBy(
            () -> TrainingCharts.learningRate(missing, new long[] {1}, new double[] {1e-3}))
        .isInstanceOf(FssdException.class)
        .hasMessageContaining("no-such-dir");
    assertThat(dir.toFile().list()).isEmpty();
  }

  @Test
  void chartDataCopiesAndChecksShapes() {
    assertThatThrownBy(
            () ->
                new ChartData("t", java.util.Map.of("s", new double[][] {{1, 2}, {1}}), List.of()))
        .hasMessageContaining("series s");
  }
}
