package org.fssd.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fssd.FssdException;
import org.fssd.model.FssdModel;
import org.fssd.plots.ChartData;
import org.fssd.plots.EvaluationCharts;
import org.fssd.plots.PruningCharts;
import org.fssd.plots.RunReport;
import org.fssd.plots.TrainingCharts;
import org.fssd.prune.ChannelSelection;
import org.fssd.train.TrainingHistory;
import org.fssd.train.eval.ApMethod;
import org.fssd.train.eval.ClassAp;
import org.fssd.train.eval.CocoEvaluator;
import org.fssd.train.eval.CocoResult;
import org.fssd.train.eval.EvalResult;

/**
 * The pictures and {@code report.html} the CLI leaves beside a run: training curves, PR curves and
 * AP bars, the |gamma| histogram and kept channels of a prune. Each picture is drawn from the
 * numbers the workflow computed; files are written atomically by fssd-plots.
 */
final class RunPictures {
  private final Path dir;
  private final String title;
  private final String command;
  private final List<Path> pictures = new ArrayList<>();
  private final List<String> captions = new ArrayList<>();
  private final Map<String, String> numbers = new LinkedHashMap<>();
  private final Map<String, ChartData> charts = new LinkedHashMap<>();

  RunPictures(Path dir, String title, String command) {
    this.dir = dir;
    this.title = title;
    this.command = command;
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new FssdException("cannot create " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * loss.png, lr.png and (when the run evaluated on a held-out set) map.png from the run's whole
   * history, which a resumed trainer takes from its checkpoint: the pictures of a resumed run are
   * those of an uninterrupted one. Call at checkpoints and at the end.
   */
  void trainingCurves(TrainingHistory history) {
    List<TrainingHistory.Step> steps = history.steps();
    if (steps.isEmpty()) {
      return;
    }
    int n = steps.size();
    long[] it = new long[n];
    double[] total = new double[n];
    double[] loc = new double[n];
    double[] conf = new double[n];
    double[] lr = new double[n];
    for (int i = 0; i < n; i++) {
      TrainingHistory.Step s = steps.get(i);
      it[i] = s.iteration();
      total[i] = s.loss();
      loc[i] = s.locLoss();
      conf[i] = s.confLoss();
      lr[i] = s.learningRate();
    }
    add(
        dir.resolve("loss.png"),
        "Training loss (total, localisation, confidence) per iteration",
        p -> TrainingCharts.trainingLoss(p, it, total, loc, conf));
    add(
        dir.resolve("lr.png"),
        "Learning-rate schedule",
        p -> TrainingCharts.learningRate(p, it, lr));
    numbers.put("iterations", Long.toString(it[n - 1]));
    numbers.put(
        "final loss",
        String.format(
            Locale.ROOT, "%.4f (loc %.4f, conf %.4f)", total[n - 1], loc[n - 1], conf[n - 1]));
    List<TrainingHistory.Evaluation> evals = history.evaluations();
    if (!evals.isEmpty() && evals.stream().anyMatch(e -> Double.isFinite(e.map()))) {
      long[] at = evals.stream().mapToLong(TrainingHistory.Evaluation::iteration).toArray();
      double[] map = evals.stream().mapToDouble(TrainingHistory.Evaluation::map).toArray();
      String method = methodName(evals.get(evals.size() - 1).method());
      add(
          dir.resolve("map.png"),
          "mAP on the held-out set, evaluated during training",
          p -> TrainingCharts.mapDuringTraining(p, at, map, method));
      TrainingHistory.Evaluation last = evals.get(evals.size() - 1);
      numbers.put(
          "held-out mAP (" + method + ")",
          String.format(Locale.ROOT, "%.4f at iteration %d", last.map(), last.iteration()));
    }
  }

  /** The data of each picture drawn so far, by file name (e.g. "map.png"). */
  Map<String, ChartData> charts() {
    return java.util.Collections.unmodifiableMap(charts);
  }

  private static String methodName(String method) {
    try {
      return ApMethod.valueOf(method) == ApMethod.VOC07_11_POINT
          ? "VOC07 11-point"
          : "VOC all-point";
    } catch (IllegalArgumentException e) {
      return method;
    }
  }

  /** coco-iou.png (AP per IoU threshold), ap.png (COCO AP per class) and the summary numbers. */
  void coco(CocoResult result, org.fssd.model.Labels labels) {
    double[] t = CocoEvaluator.iouThresholds();
    double[] ap = result.apPerIou();
    if (java.util.Arrays.stream(ap).anyMatch(Double::isFinite)) {
      add(
          dir.resolve("coco-iou.png"),
          "COCO AP per IoU threshold",
          p -> EvaluationCharts.cocoApPerIou(p, t, ap, result.ap()));
    }
    String[] names = new String[labels.numClasses() - 1];
    double[] classAp = new double[names.length];
    for (int k = 1; k < labels.numClasses(); k++) {
      names[k - 1] = labels.name(k);
      classAp[k - 1] = result.classAp(k);
    }
    add(
        dir.resolve("ap.png"),
        "COCO AP@[.50:.95] per class",
        p -> EvaluationCharts.apBars(p, names, classAp));
    numbers.put("COCO AP@[.50:.95]", String.format(Locale.ROOT, "%.4f", result.ap()));
    numbers.put(
        "COCO AP50 / AP75",
        String.format(Locale.ROOT, "%.4f / %.4f", result.ap50(), result.ap75()));
  }

  void evaluation(EvalResult result) {
    List<String> names = new ArrayList<>();
    List<Double> aps = new ArrayList<>();
    for (ClassAp c : result.classes()) {
      names.add(c.name());
      aps.add(c.ap());
      if (c.hasPositives()) {
        add(
            dir.resolve("pr-" + c.name().replaceAll("[^A-Za-z0-9_-]", "_") + ".png"),
            "Precision-recall of " + c.name(),
            p ->
                EvaluationCharts.precisionRecall(
                    p, c.name(), c.classIndex(), c.recall(), c.precision(), c.ap()));
      }
    }
    add(
        dir.resolve("ap.png"),
        "AP per class",
        p ->
            EvaluationCharts.apBars(
                p,
                names.toArray(new String[0]),
                aps.stream().mapToDouble(Double::doubleValue).toArray()));
    numbers.put("mAP (" + result.method() + ")", String.format(Locale.ROOT, "%.4f", result.map()));
  }

  void pruning(ChannelSelection selection, FssdModel before) {
    Map<String, float[]> gammas = ChannelSelection.gammas(before.config(), before.graph());
    int total = gammas.values().stream().mapToInt(g -> g.length).sum();
    float[] all = new float[total];
    int k = 0;
    for (float[] g : gammas.values()) {
      for (float v : g) {
        all[k++] = Math.abs(v);
      }
    }
    add(
        dir.resolve("gamma.png"),
        "|gamma| of every BN channel with the global threshold",
        p -> PruningCharts.gammaHistogram(p, all, selection.threshold()));
    List<String> layers = selection.layers();
    int[] b = new int[layers.size()];
    int[] a = new int[layers.size()];
    Map<String, Integer> widths = new LinkedHashMap<>();
    before.config().convs().forEach(c -> widths.put(c.name(), c.out()));
    for (int i = 0; i < layers.size(); i++) {
      b[i] = widths.get(layers.get(i));
      a[i] = selection.kept(layers.get(i)).length;
    }
    add(
        dir.resolve("channels.png"),
        "Kept / total channels per layer",
        p -> PruningCharts.keptChannels(p, layers.toArray(new String[0]), b, a));
  }

  void number(String key, String value) {
    numbers.put(key, value);
  }

  /** Writes report.html with the pictures made so far. */
  void report(FssdModel model) {
    RunReport.Builder r =
        RunReport.builder().title(title).commandLine(command).finalNumbers(numbers);
    if (model != null) {
      r.config(Map.of("config", model.config().toString())).provenance(model.provenance().asMap());
    }
    for (int i = 0; i < pictures.size(); i++) {
      r.picture(pictures.get(i), captions.get(i));
    }
    r.build().writeTo(dir.resolve("report.html"));
  }

  private interface Drawer {
    ChartData draw(Path p);
  }

  private void add(Path p, String caption, Drawer d) {
    charts.put(p.getFileName().toString(), d.draw(p));
    int i = pictures.indexOf(p);
    if (i < 0) {
      pictures.add(p);
      captions.add(caption);
    }
  }
}
