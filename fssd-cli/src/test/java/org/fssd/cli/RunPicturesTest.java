package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.fssd.data.GtBox;
import org.fssd.data.Sample;
import org.fssd.data.ShapesDataset;
import org.fssd.data.augment.AugmentPreview;
import org.fssd.image.Annotator;
import org.fssd.image.Palette;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Labels;
import org.fssd.plots.ChartData;
import org.fssd.plots.PlotStyle;
import org.fssd.testing.FloatArrays;
import org.fssd.train.FssdTrainer;
import org.fssd.train.TrainingListener;
import org.fssd.train.eval.CocoEvaluator;
import org.fssd.train.eval.CocoResult;
import org.fssd.train.eval.EvalResult;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pictures of a training run with evaluation, stop/resume, COCO, the shared look, and the
 * report rendered by headless Chromium.
 */
// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class RunPicturesTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final ShapesDataset TRAIN =
      ShapesDataset.builder()
          .count(6)
          .imageSize(96, 96)
          .seed(5)
          .shapesPerImage(1, 3)
          .shapeSize(0.2, 0.6)
          .build();
  private static final ShapesDataset HELD_OUT =
      ShapesDataset.builder()
          .count(2)
          .imageSize(96, 96)
          .seed(77)
          .shapesPerImage(1, 3)
          .shapeSize(0.2, 0.6)
          .build();

  @TempDir Path dir;

  /** FSSD300 with 1-4 channels per conv, for the shapes and background. */
  private static FssdConfig tiny() {
    return FssdTestModels.tiny300(ShapesDataset.SHAPES.size() + 1);
  }

  private static FssdTrainer.Builder run(List<long[]> evalIterations, List<EvalResult> evals) {
    return FssdTrainer.builder(TRAIN)
        .config(tiny())
        .batchSize(2)
        .epochs(2)
        .seed(11)
        .learningRate(1e-2)
        .warmup(Warmup.LINEAR)
        .decayEpochs(1)
        .workers(1)
        .evaluateEvery(2, HELD_OUT)
        .listener(recording(evalIterations, evals));
  }

  /**
   * A listener that adds each evaluation's {iteration, epoch} to {@code at}, its result to evals.
   */
  private static TrainingListener recording(List<long[]> at, List<EvalResult> evals) {
    return new TrainingListener() {
      @Override
      public void onEvaluation(long iteration, int epoch, EvalResult result) {
        at.add(new long[] {iteration, epoch});
        evals.add(result);
      }
    };
  }

  @Test
  void mapPictureShowsTheListenersEvaluationsAndResumeDrawsTheSameSeries() throws Exception {
    // 3 batches per epoch, 2 epochs = 6 iterations; evaluations at 2, 4 and 6 (also the end)
    List<long[]> at = new ArrayList<>();
    List<EvalResult> evals = new ArrayList<>();
    FssdTrainer straight = run(at, evals).build();
    FssdModel model = straight.train();
    RunPictures a =
        new RunPictures(dir.resolve("straight"), "fssd train (test)", "train --eval-every 2");
    a.trainingCurves(straight.history());

    ChartData map = a.charts().get("map.png");
    assertThat(at).extracting(x -> x[0]).containsExactly(2L, 4L, 6L);
    double[] expected = evals.stream().mapToDouble(EvalResult::map).toArray();
    assertThat(map.x("mAP")).containsExactly(2, 4, 6);
    assertThat(map.y("mAP")).containsExactly(expected);
    assertPng(dir.resolve("straight/map.png"), 800, 500);
    assertPng(dir.resolve("straight/loss.png"), 800, 500);
    assertThat(a.charts().get("loss.png").x("total (raw)")).containsExactly(1, 2, 3, 4, 5, 6);

    // stop after 3 (a checkpoint, no evaluation there), resume to the end
    Path ckpt = dir.resolve("ckpt");
    run(new ArrayList<>(), new ArrayList<>())
        .checkpointDir(ckpt)
        .checkpointEvery(3)
        .maxIterations(3)
        .build()
        .train();
    List<long[]> atResumed = new ArrayList<>();
    FssdTrainer resumed =
        FssdTrainer.resume(ckpt, TRAIN)
            .workers(1)
            .evaluateEvery(2, HELD_OUT)
            .listener(recording(atResumed, new ArrayList<>()))
            .build();
    resumed.train();
    assertThat(atResumed).extracting(x -> x[0]).containsExactly(4L, 6L);
    RunPictures b = new RunPictures(dir.resolve("resumed"), "fssd train (test)", "train --resume");
    b.trainingCurves(resumed.history());
    for (String png : List.of("loss.png", "lr.png", "map.png")) {
      ChartData x = a.charts().get(png);
      ChartData y = b.charts().get(png);
      assertThat(y.series().keySet()).as(png).containsExactlyElementsOf(x.series().keySet());
      for (String s : x.series().keySet()) {
        assertThat(y.x(s)).as(png + " " + s).containsExactly(x.x(s));
        // the resumed parameters equal the straight ones to ~1e-5 (FssdTrainerTest), so the losses
        // to ~1e-5 of their size
        FloatArrays.assertClose(
            y.y(s), x.y(s), 1e-4, 1e-6, png + " " + s + ", resumed vs straight");
      }
    }

    // the report of the straight run, rendered by Chromium
    a.report(model);
    Path html = dir.resolve("straight/report.html");
    String page = Files.readString(html);
    assertThat(page.contains("mAP on the held-out set, evaluated during training")).isTrue();
    assertThat(page.contains("held-out mAP (VOC07 11-point)")).isTrue();
    assertThat(page.contains("<script")).isFalse();
    screenshot(html, Path.of("target/report/report.png"));
  }

  @Test
  void cliTrainEvaluatesDuringTrainingAndEvalDrawsTheCocoChart() throws Exception {
    Path model = dir.resolve("m.zip");
    Path plots = dir.resolve("train-plots");
    String[] shapes = {"--dataset", "shapes", "--shapes-count", "4", "--shapes-size", "96"};
    String[] r =
        cli(
            concat(
                new String[] {
                  "train",
                  "--width-divisor",
                  "64",
                  "--batch",
                  "2",
                  "--epochs",
                  "2",
                  "--workers",
                  "1",
                  "--eval-every",
                  "2",
                  "--eval-shapes-count",
                  "2",
                  "--plots",
                  plots.toString(),
                  "--out",
                  model.toString()
                },
                shapes));
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[2])
        .contains("train: evaluation at iteration 2 (epoch 0): mAP")
        .contains("train: evaluation at iteration 4 (epoch 1): mAP");
    assertPng(plots.resolve("map.png"), 800, 500);
    assertThat(
            Files.readString(plots.resolve("report.html"))
                .contains("held-out mAP (VOC07 11-point)"))
        .isTrue();

    Path evalPlots = dir.resolve("eval-plots");
    String[] e =
        cli(
            concat(
                new String[] {
                  "eval",
                  "--model",
                  model.toString(),
                  "--metric",
                  "coco",
                  "--plots",
                  evalPlots.toString()
                },
                shapes));
    assertThat(e[0]).as(e[2]).isEqualTo("0");
    assertThat(e[1]).contains("Average Precision  (AP) @[ IoU=0.50:0.95");
    assertPng(evalPlots.resolve("coco-iou.png"), 800, 500);
  }

  @Test
  void cocoChartShowsTheEvaluatorsApPerThreshold() throws Exception {
    Labels labels = Labels.of("a", "b");
    CocoEvaluator ev = new CocoEvaluator(labels);
    try (Sample s0 = TRAIN.sample(0);
        Sample s1 = TRAIN.sample(1)) {
      // detections: the ground truth shifted by 0..3 pixels, so IoU falls through the thresholds
      for (Sample s : List.of(s0, s1)) {
        List<org.fssd.detect.Detection> dets = new ArrayList<>();
        int shift = 0;
        for (GtBox g : s.annotation().boxes()) {
          int k = 1 + g.label() % 2;
          dets.add(
              org.fssd.detect.Detection.of(
                  k,
                  labels.name(k),
                  0.9f - 0.1f * shift,
                  org.fssd.box.Box.of(
                      g.box().x1() + shift, g.box().y1(), g.box().x2() + shift, g.box().y2())));
          shift++;
        }
        List<GtBox> gts = new ArrayList<>();
        for (GtBox g : s.annotation().boxes()) {
          gts.add(new GtBox(g.box(), 1 + g.label() % 2, g.difficult(), g.crowd()));
        }
        ev.add(
            new org.fssd.data.Annotation(
                s.annotation().id(), "", s.annotation().width(), s.annotation().height(), gts),
            dets);
      }
    }
    CocoResult result = ev.result();
    RunPictures p = new RunPictures(dir.resolve("coco"), "fssd eval (test)", "");
    p.coco(result, labels);
    ChartData c = p.charts().get("coco-iou.png");
    assertThat(c.x("AP")).containsExactly(CocoEvaluator.iouThresholds());
    assertThat(c.y("AP")).containsExactly(result.apPerIou());
    assertThat(c.y("AP@[.50:.95]")).containsExactly(result.ap(), result.ap());
    assertThat(c.title()).contains(String.format(java.util.Locale.ROOT, "%.4f", result.ap()));
    assertThat(p.charts().get("ap.png").categories()).containsExactlyInAnyOrder("a", "b");
    assertPng(dir.resolve("coco/coco-iou.png"), 800, 500);
  }

  @Test
  void classColoursAreTheSameInChartsAnnotationsAndTheAugmentationPreview() throws Exception {
    PlotStyle style = PlotStyle.defaults();
    for (int k = 0; k < 2 * Palette.size() + 3; k++) {
      Color c = style.classColor(k);
      int[] bgr = Annotator.colorBgr(k);
      assertThat(new int[] {bgr[2], bgr[1], bgr[0]})
          .as("class %s", k)
          .containsExactly(c.getRed(), c.getGreen(), c.getBlue());
    }
    // the preview draws each ground-truth box in its class colour: look at a box's left edge
    Path prev = dir.resolve("preview");
    AugmentPreview.write(TRAIN, 1, 0, prev, 300);
    BufferedImage img = ImageIO.read(prev.resolve("orig-0.png").toFile());
    try (Sample s = TRAIN.sample(0)) {
      GtBox g = s.annotation().boxes().get(s.annotation().boxes().size() - 1); // drawn last: on top
      int x = Math.round(g.box().x1());
      int y = Math.round((g.box().y1() + g.box().y2()) / 2);
      assertThat(new Color(img.getRGB(x, y))).isEqualTo(style.classColor(g.label()));
    }
  }

  private static void screenshot(Path html, Path png) throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM), "no " + CHROMIUM + ": report not rendered");
    Files.createDirectories(png.toAbsolutePath().getParent());
    Files.deleteIfExists(png);
    Path profile = Files.createTempDirectory("fssd-chromium");
    Process p =
        new ProcessBuilder(
                CHROMIUM.toString(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--window-size=1280,2000",
                "--screenshot=" + png.toAbsolutePath(),
                html.toUri().toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(15, TimeUnit.MINUTES)) { // a guard against a hung browser, not a timing test
      p.destroyForcibly();
    }
    assertPng(png, 1280, 2000);
  }

  private static void assertPng(Path p, int width, int height) throws java.io.IOException {
    assertThat(p).exists();
    BufferedImage img = ImageIO.read(p.toFile());
    assertThat(img).as(p.toString()).isNotNull();
    assertThat(img.getWidth()).as(p + " width").isEqualTo(width);
    assertThat(img.getHeight()).as(p + " height").isEqualTo(height);
  }

  private static String[] cli(String... args) {
    CliRun r = CliRun.run(args);
    return new String[] {Integer.toString(r.code()), r.out(), r.err()};
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
