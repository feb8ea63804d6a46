package org.fssd.plots;

import com.google.common.base.Preconditions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.fssd.io.AtomicFiles;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Charts of training, evaluation and pruning data, each written as one PNG. Every method is a pure
 * function of its arguments (no fssd-train or fssd-prune types), draws through {@link
 * PlotStyle#defaults()}, writes the file atomically ({@link AtomicFiles}: readers never see half a
 * picture, a failure leaves no file behind), and returns the {@link ChartData} it drew.
 *
 * <p>Stateless and thread-safe (rendering runs headless; set {@code java.awt.headless=true} on
 * servers without a display).
 */
public final class Plots {
  /** Number of log-spaced bins of {@link #gammaHistogram}. */
  public static final int GAMMA_BINS = 60;
  /** Most points drawn per loss series; longer series are thinned (see {@link #trainingLoss}). */
  public static final int MAX_DRAWN_POINTS = 4000;

  private Plots() {}

  // ---------------------------------------------------------------- training

  /**
   * Training loss per iteration: for each of total, localisation and confidence loss the raw values
   * (faint) and a smoothed line. Smoothing is a bias-corrected exponential moving average (see
   * {@link #smooth}) whose span is 1/30 of the points (at least 1, at most 500); it only looks
   * back, so the line lags the data by about half a span. Non-finite values (a diverged step) are
   * left out of both lines. Long runs are thinned for drawing (XChart needs seconds per 100k
   * points): above {@value #MAX_DRAWN_POINTS} points the raw line keeps the lowest and highest
   * point of each of {@code MAX_DRAWN_POINTS / 2} equal runs of points (so the band of noise is
   * intact), and the smoothed line, computed on all points, keeps every k-th point and the last.
   * The y axis is logarithmic when the largest loss is more than 30 times the smallest (the first
   * steps of a fresh network would otherwise flatten the rest) and no value is {@code <= 0}.
   *
   * @param iterations x values, same length as each loss array
   * @param total total loss (loc + conf)
   * @param loc localisation (smooth L1) loss
   * @param conf confidence (cross-entropy) loss
   */
  public static ChartData trainingLoss(Path out, long[] iterations, double[] total, double[] loc,
      double[] conf) {
    int n = iterations.length;
    checkSameLength("total", total, n);
    checkSameLength("loc", loc, n);
    checkSameLength("conf", conf, n);
    Preconditions.checkArgument(n > 0, "no training points to plot");
    PlotStyle style = PlotStyle.defaults();
    int span = Math.max(1, Math.min(500, n / 30));
    // a log axis when the first steps dwarf the rest (a fresh network starts 10-100x higher)
    double lo = Double.POSITIVE_INFINITY;
    double hi = 0;
    for (double[] y : new double[][] {total, loc, conf}) {
      for (double v : y) {
        if (v > 0 && Double.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    boolean log = hi / lo > 30 && Arrays.stream(total).allMatch(v -> !(v <= 0))
        && Arrays.stream(loc).allMatch(v -> !(v <= 0)) && Arrays.stream(conf).allMatch(v -> !(v <= 0));
    XYChart chart = style.xyChart(
        "Training loss (smoothed: EMA over " + span + (span == 1 ? " point)" : " points)"),
        PlotStyle.ITERATION, log ? PlotStyle.LOSS_LOG : PlotStyle.LOSS);
    if (log) {
      chart.getStyler().setYAxisLogarithmic(true);
    }
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    startAtZero(chart, iterations);
    Map<String, double[][]> data = new LinkedHashMap<>();
    double[] x = toDouble(iterations);
    String[] names = {"total", "loc", "conf"};
    double[][] ys = {total, loc, conf};
    for (int s = 0; s < 3; s++) {
      double[][] all = finite(x, ys[s]);
      double[][] smooth = thin(new double[][] {all[0], smooth(all[1], span)});
      double[][] raw = minMaxPerBucket(all);
      if (raw[0].length == 0) {
        continue;
      }
      XYSeries r = chart.addSeries(names[s] + " (raw)", raw[0], raw[1]);
      r.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
      r.setMarker(SeriesMarkers.NONE);
      r.setLineColor(style.faint(s));
      r.setLineStyle(style.stroke(1f));
      r.setShowInLegend(false);
      XYSeries m = chart.addSeries(names[s], smooth[0], smooth[1]);
      m.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
      m.setMarker(SeriesMarkers.NONE);
      m.setLineColor(style.color(s));
      m.setLineStyle(style.stroke(2.2f));
      data.put(names[s] + " (raw)", raw);
      data.put(names[s], smooth);
    }
    return write(out, chart, new ChartData(chart.getTitle(), data, List.of()));
  }

  /**
   * Learning rate per iteration on a log y axis. Points that a log axis cannot show ({@code <= 0}
   * or non-finite, e.g. the first step of a warm-up from 0) are left out and counted in the title.
   */
  public static ChartData learningRate(Path out, long[] iterations, double[] lr) {
    checkSameLength("lr", lr, iterations.length);
    double[] x = toDouble(iterations);
    List<double[]> kept = new ArrayList<>();
    for (int i = 0; i < lr.length; i++) {
      if (lr[i] > 0 && Double.isFinite(lr[i])) {
        kept.add(new double[] {x[i], lr[i]});
      }
    }
    Preconditions.checkArgument(!kept.isEmpty(), "no positive learning rate among %s points",
        lr.length);
    double[][] xy = columns(kept);
    int dropped = lr.length - kept.size();
    String title = "Learning rate" + (dropped > 0 ? " (" + dropped + (dropped == 1 ? " point" : " points") + " <= 0 not shown)" : "");
    PlotStyle style = PlotStyle.defaults();
    XYChart chart = style.xyChart(title, PlotStyle.ITERATION, PlotStyle.LEARNING_RATE);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setYAxisDecimalPattern("0.0E0");
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    startAtZero(chart, iterations);
    XYSeries s = chart.addSeries("learning rate", xy[0], xy[1]);
    s.setMarker(SeriesMarkers.NONE);
    s.setLineColor(style.color(0));
    s.setLineStyle(style.stroke(2f));
    return write(out, chart, new ChartData(title, Map.of("learning rate", xy), List.of()));
  }

  // ---------------------------------------------------------------- evaluation

  /**
   * mAP after each evaluated epoch, with the best one marked and named in the title. NaN values
   * (an epoch not evaluated) are left out.
   */
  public static ChartData mapCurve(Path out, int[] epochs, double[] map) {
    checkSameLength("map", map, epochs.length);
    double[] x = new double[epochs.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = epochs[i];
    }
    double[][] xy = finite(x, map);
    Preconditions.checkArgument(xy[0].length > 0, "no finite mAP among %s epochs", map.length);
    int best = argMax(xy[1]);
    String title = String.format(Locale.ROOT, "mAP per epoch (best %.4f at epoch %d)",
        xy[1][best], (int) xy[0][best]);
    PlotStyle style = PlotStyle.defaults();
    XYChart chart = style.xyChart(title, PlotStyle.EPOCH, PlotStyle.MAP);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    return writeMapWithBest(out, chart, style, title, xy, best);
  }

  /**
   * mAP on the held-out set per evaluation made during training, against the iteration it was
   * made at, with the best one marked and named in the title. NaN values (no class with
   * positives) are left out. Series {@code "mAP"} (x = iteration, y = mAP) and {@code "best"}.
   *
   * @param method how the mAP was computed, for the title (e.g. {@code "VOC07 11-point"})
   */
  public static ChartData mapDuringTraining(Path out, long[] iterations, double[] map,
      String method) {
    checkSameLength("map", map, iterations.length);
    Objects.requireNonNull(method, "method");
    double[][] xy = finite(toDouble(iterations), map);
    Preconditions.checkArgument(xy[0].length > 0, "no finite mAP among %s evaluations",
        map.length);
    int best = argMax(xy[1]);
    String title = String.format(Locale.ROOT,
        "Held-out mAP (%s) during training: best %.4f at iteration %,d", method, xy[1][best],
        (long) xy[0][best]);
    PlotStyle style = PlotStyle.defaults();
    XYChart chart = style.xyChart(title, PlotStyle.ITERATION, PlotStyle.MAP);
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    chart.getStyler().setYAxisDecimalPattern("0.00");
    chart.getStyler().setYAxisMin(0.0);
    double top = Arrays.stream(xy[1]).max().orElse(1);
    // 0 to 1 once the mAP is past 0.5; else up to the next tenth above the best (at least 0.1)
    double yMax = top > 0.5 ? 1.0 : Math.max(0.1, Math.ceil(top * 10 + 1e-9) / 10);
    chart.getStyler().setYAxisMax(yMax);
    // the legend goes in the corner the curve's end leaves free
    chart.getStyler().setLegendPosition(xy[1][xy[1].length - 1] < yMax / 2
        ? Styler.LegendPosition.InsideNE : Styler.LegendPosition.InsideSE);
    startAtZero(chart, iterations);
    return writeMapWithBest(out, chart, style, title, xy, best);
  }

  /** Index of the largest value (the first of equal ones). */
  private static int argMax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The mAP line (series "mAP") with its best point marked (series "best"), written to out. */
  private static ChartData writeMapWithBest(Path out, XYChart chart, PlotStyle style, String title,
      double[][] xy, int best) {
    XYSeries s = chart.addSeries("mAP", xy[0], xy[1]);
    s.setMarker(SeriesMarkers.CIRCLE);
    s.setLineColor(style.color(0));
    s.setMarkerColor(style.color(0));
    s.setLineStyle(style.stroke(2f));
    double[][] bestXy = {{xy[0][best]}, {xy[1][best]}};
    XYSeries b = chart.addSeries("best", bestXy[0], bestXy[1]);
    b.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    b.setMarker(SeriesMarkers.DIAMOND);
    b.setMarkerColor(style.color(1));
    chart.getStyler().setMarkerSize(9);
    Map<String, double[][]> data = new LinkedHashMap<>();
    data.put("mAP", xy);
    data.put("best", bestXy);
    return write(out, chart, new ChartData(title, data, List.of()));
  }

  /**
   * COCO AP at each IoU threshold (0.50, 0.55, .., 0.95; all areas, 100 detections) as a line with
   * markers, and AP@[.50:.95] (their mean) as a dashed horizontal line. NaN values are left out.
   * Series {@code "AP"} (x = IoU threshold, y = AP) and {@code "AP@[.50:.95]"} (two points across
   * the thresholds).
   *
   * @param apMean the AP@[.50:.95] the evaluator reported, drawn and printed in the title
   */
  public static ChartData cocoApPerIou(Path out, double[] iouThresholds, double[] ap,
      double apMean) {
    checkSameLength("ap", ap, iouThresholds.length);
    checkUnit("iouThresholds", iouThresholds);
    double[][] xy = finite(iouThresholds, ap);
    Preconditions.checkArgument(xy[0].length > 0, "no finite AP among %s IoU thresholds",
        ap.length);
    String title = String.format(Locale.ROOT,
        "COCO AP per IoU threshold (AP@[.50:.95] %.4f, AP50 %.4f, AP75 %.4f)", apMean,
        valueAt(iouThresholds, ap, 0.50), valueAt(iouThresholds, ap, 0.75));
    PlotStyle style = PlotStyle.defaults();
    XYChart chart = style.xyChart(title, PlotStyle.IOU, PlotStyle.AP);
    chart.getStyler().setXAxisMin(0.45).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
    chart.getStyler().setXAxisDecimalPattern("0.00");
    chart.getStyler().setYAxisDecimalPattern("0.0");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setMarkerSize(8);
    XYSeries s = chart.addSeries("AP at the threshold", xy[0], xy[1]);
    s.setMarker(SeriesMarkers.CIRCLE);
    s.setLineColor(style.color(0));
    s.setMarkerColor(style.color(0));
    s.setLineStyle(style.stroke(2f));
    Map<String, double[][]> data = new LinkedHashMap<>();
    data.put("AP", xy);
    if (Double.isFinite(apMean)) {
      double[][] m = {{iouThresholds[0], iouThresholds[iouThresholds.length - 1]},
          {apMean, apMean}};
      XYSeries ms = chart.addSeries(String.format(Locale.ROOT, "AP@[.50:.95] = %.4f", apMean),
          m[0], m[1]);
      ms.setMarker(SeriesMarkers.NONE);
      ms.setLineColor(style.color(1));
      ms.setLineStyle(style.dashed());
      data.put("AP@[.50:.95]", m);
    }
    return write(out, chart, new ChartData(title, data, List.of()));
  }

  /**
   * As {@link #precisionRecall(Path, String, double[], double[], double)}, with the raw points in
   * the colour of class {@code classIndex} ({@link PlotStyle#classColor(int)}, as its boxes).
   */
  public static ChartData precisionRecall(Path out, String className, int classIndex,
      double[] recall, double[] precision, double ap) {
    return precisionRecall(out, className, PlotStyle.defaults().classColor(classIndex), recall,
        precision, ap);
  }

  /**
   * One class's precision-recall curve: the raw points (in detection-score order) and the
   * interpolated envelope that VOC all-point AP integrates, drawn as a staircase: the recall axis
   * padded with 0 and 1 ({@code mrec = [0, r.., 1]}, {@code mpre = [0, p.., 0]}), precision made
   * monotone non-increasing from the right ({@link #envelope}), and the area of the staircase with
   * height {@code mpre[i+1]} over {@code (mrec[i], mrec[i+1]]} is the AP.
   *
   * <p>Series: {@code "precision"} (the raw points) and {@code "envelope"} (the staircase vertices).
   *
   * @param ap the AP the caller computed, printed in the title
   */
  public static ChartData precisionRecall(Path out, String className, double[] recall,
      double[] precision, double ap) {
    return precisionRecall(out, className, PlotStyle.defaults().color(0), recall, precision, ap);
  }

  private static ChartData precisionRecall(Path out, String className, java.awt.Color c,
      double[] recall, double[] precision, double ap) {
    Objects.requireNonNull(className, "className");
    checkSameLength("precision", precision, recall.length);
    checkUnit("recall", recall);
    checkUnit("precision", precision);
    double[][] stairs = staircase(recall, precision);
    String title = String.format(Locale.ROOT, "Precision-recall: %s (AP %.4f)", className, ap);
    PlotStyle style = PlotStyle.defaults();
    XYChart chart = style.xyChart(title, PlotStyle.RECALL, PlotStyle.PRECISION);
    chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.05);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW);
    chart.getStyler().setMarkerSize(4);
    Map<String, double[][]> data = new LinkedHashMap<>();
    if (recall.length > 0) {
      double[][] raw = {recall.clone(), precision.clone()};
      XYSeries r = chart.addSeries("precision", raw[0], raw[1]);
      r.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      r.setMarker(SeriesMarkers.CIRCLE);
      r.setMarkerColor(new java.awt.Color(c.getRed(), c.getGreen(), c.getBlue(), 140));
      data.put("precision", raw);
    }
    XYSeries e = chart.addSeries("interpolated (AP area)", stairs[0], stairs[1]);
    e.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    e.setMarker(SeriesMarkers.NONE);
    e.setLineColor(new java.awt.Color(40, 40, 40)); // neutral: the points carry the class colour
    e.setLineStyle(style.stroke(2f));
    data.put("envelope", stairs);
    return write(out, chart, new ChartData(title, data, List.of()));
  }

  /**
   * Per-class AP as horizontal bars, highest at the top, the mean (mAP) in the title. NaN AP (a
   * class without ground truth) is drawn as 0 and left out of the mean, as VOC does.
   *
   * <p>The picture is {@link PlotStyle#width()} wide and at least {@link PlotStyle#height()} tall,
   * growing by 22 pixels per class beyond 18 classes so the names stay readable. Series {@code
   * "AP"}: x = AP, y = row (0 at the bottom); {@link ChartData#categories()} names rows 0, 1, ….
   */
  public static ChartData apBars(Path out, String[] classes, double[] ap) {
    checkSameLength("ap", ap, classes.length);
    Preconditions.checkArgument(classes.length > 0, "no classes to plot");
    Integer[] order = new Integer[classes.length];
    double sum = 0;
    int counted = 0;
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
      if (!Double.isNaN(ap[i])) {
        sum += ap[i];
        counted++;
      }
    }
    double mean = counted > 0 ? sum / counted : Double.NaN;
    // ascending, so the highest AP is the top row; ties keep the input order from the top
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> nanToZero(ap[i]))
        .thenComparing(Comparator.<Integer>reverseOrder()));
    int n = classes.length;
    double[] rows = new double[n];
    double[] values = new double[n];
    List<String> names = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      rows[r] = r;
      values[r] = nanToZero(ap[order[r]]);
      names.add(classes[order[r]]);
    }
    String title = String.format(Locale.ROOT, "AP per class (mAP %.4f over %d classes)", mean,
        counted);
    PlotStyle style = PlotStyle.defaults();
    int height = Math.max(style.height(), 120 + 22 * n);
    XYChart chart = style.xyChart(title, PlotStyle.AP, "", height);
    styleRows(chart, n);
    // no tick-label formatting functions: XChart 3.8.8 loops forever or drops the labels with them
    chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0);
    drawBars(chart, style, "AP", rows, values, 5, barWidth(height, n));
    addRowLabels(chart, names, rows, values);
    return write(out, chart,
        new ChartData(title, Map.of("AP", new double[][] {values, rows}), names));
  }

  // ---------------------------------------------------------------- pruning

  /**
   * Histogram of BatchNorm {@code |gamma|} over {@value #GAMMA_BINS} log-spaced bins between the
   * smallest and largest non-zero value (widened to include the threshold), on a log x axis, with a
   * dashed vertical line at the pruning threshold. Zeros (and non-finite values) cannot sit on a log
   * axis: they are counted and said in the title, as is the number of channels with {@code |gamma| <
   * threshold} (zeros included).
   *
   * <p>Series: {@code "count"} with x = the geometric centre of each bin and y = its count (the
   * counts sum to the number of finite non-zero gammas), {@code "edges"} with x = the {@code
   * GAMMA_BINS + 1} bin edges (y = 0), and {@code "threshold"}.
   */
  public static ChartData gammaHistogram(Path out, float[] absGammas, double threshold) {
    Objects.requireNonNull(absGammas, "absGammas");
    Preconditions.checkArgument(threshold >= 0 && Double.isFinite(threshold),
        "threshold %s must be finite and >= 0", threshold);
    int zeros = 0;
    int nonFinite = 0;
    double lo = Double.POSITIVE_INFINITY;
    double hi = 0;
    for (float g : absGammas) {
      double a = Math.abs(g);
      if (!Double.isFinite(a)) {
        nonFinite++;
      } else if (a == 0) {
        zeros++;
      } else {
        lo = Math.min(lo, a);
        hi = Math.max(hi, a);
      }
    }
    int nonZero = absGammas.length - zeros - nonFinite;
    Preconditions.checkArgument(nonZero > 0, "no non-zero |gamma| among %s values",
        absGammas.length);
    if (threshold > 0) {
      lo = Math.min(lo, threshold);
      hi = Math.max(hi, threshold);
    }
    if (hi / lo < 1.01) {
      lo /= 1.5;
      hi *= 1.5;
    }
    double[] edges = new double[GAMMA_BINS + 1];
    double logLo = Math.log(lo);
    double step = (Math.log(hi) - logLo) / GAMMA_BINS;
    for (int i = 0; i <= GAMMA_BINS; i++) {
      edges[i] = Math.exp(logLo + step * i);
    }
    edges[0] = lo;
    edges[GAMMA_BINS] = hi;
    double[] counts = new double[GAMMA_BINS];
    double[] centres = new double[GAMMA_BINS];
    for (int i = 0; i < GAMMA_BINS; i++) {
      centres[i] = Math.sqrt(edges[i] * edges[i + 1]);
    }
    for (float g : absGammas) {
      double a = Math.abs(g);
      if (a > 0 && Double.isFinite(a)) {
        int bin = (int) Math.floor((Math.log(a) - logLo) / step);
        counts[Math.max(0, Math.min(GAMMA_BINS - 1, bin))]++;
      }
    }
    double maxCount = Arrays.stream(counts).max().orElse(1);
    int below = 0;
    for (float g : absGammas) {
      if (Math.abs(g) < threshold) {
        below++;
      }
    }
    String title = String.format(Locale.ROOT,
        "BatchNorm |gamma| of %d channels (%d zeros%s not shown), %d below threshold %.3g",
        absGammas.length, zeros, nonFinite > 0 ? ", " + nonFinite + " non-finite" : "", below,
        threshold);
    PlotStyle style = PlotStyle.defaults();
    XYChart chart = style.xyChart(title, PlotStyle.ABS_GAMMA, PlotStyle.CHANNELS);
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setXAxisDecimalPattern("0.###E0");
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    // outline of the bars: up and down at every edge
    double[] ox = new double[2 * GAMMA_BINS + 2];
    double[] oy = new double[ox.length];
    int k = 0;
    for (int i = 0; i < GAMMA_BINS; i++) {
      ox[k] = edges[i];
      oy[k++] = i == 0 ? 0 : counts[i - 1];
      ox[k] = edges[i];
      oy[k++] = counts[i];
    }
    ox[k] = edges[GAMMA_BINS];
    oy[k++] = counts[GAMMA_BINS - 1];
    ox[k] = edges[GAMMA_BINS];
    oy[k] = 0;
    XYSeries h = chart.addSeries("channels per bin", ox, oy);
    h.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
    h.setMarker(SeriesMarkers.NONE);
    h.setFillColor(style.faint(0));
    h.setLineColor(style.color(0));
    h.setLineStyle(style.stroke(1f));
    Map<String, double[][]> data = new LinkedHashMap<>();
    data.put("count", new double[][] {centres, counts});
    data.put("edges", new double[][] {edges.clone(), new double[edges.length]});
    if (threshold > 0) {
      double[][] t = {{threshold, threshold}, {0, maxCount * 1.05}};
      XYSeries ts = chart.addSeries(
          String.format(Locale.ROOT, "threshold %.3g", threshold), t[0], t[1]);
      ts.setMarker(SeriesMarkers.NONE);
      ts.setLineColor(style.color(1));
      ts.setLineStyle(style.dashed());
      data.put("threshold", t);
    }
    return write(out, chart, new ChartData(title, data, List.of()));
  }

  /**
   * Channels per layer before and after pruning, as overlapping vertical bars in network order (the
   * order given). Series {@code "before"} and {@code "after"}: x = position, y = channels; {@link
   * ChartData#categories()} is {@code layers}.
   */
  public static ChartData keptChannels(Path out, String[] layers, int[] before, int[] after) {
    Preconditions.checkArgument(layers.length > 0, "no layers to plot");
    Preconditions.checkArgument(before.length == layers.length && after.length == layers.length,
        "layers %s, before %s and after %s must have one entry each", layers.length, before.length,
        after.length);
    long sumBefore = 0;
    long sumAfter = 0;
    double[] pos = new double[layers.length];
    double[] b = new double[layers.length];
    double[] a = new double[layers.length];
    for (int i = 0; i < layers.length; i++) {
      Preconditions.checkArgument(after[i] >= 0 && after[i] <= before[i],
          "layer %s keeps %s of %s channels", layers[i], after[i], before[i]);
      pos[i] = i;
      b[i] = before[i];
      a[i] = after[i];
      sumBefore += before[i];
      sumAfter += after[i];
    }
    String title = String.format(Locale.ROOT, "Channels kept per layer: %d of %d (%.1f%%)",
        sumAfter, sumBefore, sumBefore == 0 ? 0.0 : 100.0 * sumAfter / sumBefore);
    PlotStyle style = PlotStyle.defaults();
    CategoryChart chart = style.categoryChart(title, "layer (network order)", PlotStyle.CHANNELS);
    chart.getStyler().setOverlapped(true);
    chart.getStyler().setXAxisLabelRotation(layers.length > 8 ? 60 : 0);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    List<String> names = List.of(layers);
    CategorySeries sb = chart.addSeries("before", names, toList(b));
    sb.setFillColor(new java.awt.Color(190, 190, 190));
    CategorySeries sa = chart.addSeries("after", names, toList(a));
    sa.setFillColor(style.color(0));
    Map<String, double[][]> data = new LinkedHashMap<>();
    data.put("before", new double[][] {pos, b});
    data.put("after", new double[][] {pos.clone(), a});
    return write(out, chart, new ChartData(title, data, names));
  }

  // ---------------------------------------------------------------- helpers (public: tested)

  /**
   * Bias-corrected exponential moving average with span {@code span} ({@code alpha = 2 / (span +
   * 1)}): {@code m_i = (1 - alpha) m_(i-1) + alpha x_i} from {@code m_(-1) = 0}, divided by {@code 1
   * - (1 - alpha)^(i+1)} so the start is not pulled towards 0. Span 1 returns the input.
   */
  public static double[] smooth(double[] values, int span) {
    Preconditions.checkArgument(span >= 1, "span %s < 1", span);
    double alpha = 2.0 / (span + 1);
    double decay = 1 - alpha;
    double m = 0;
    double weight = 1;
    double[] outv = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      m = decay * m + alpha * values[i];
      weight *= decay;
      outv[i] = weight < 1 ? m / (1 - weight) : values[i];
    }
    return outv;
  }

  /**
   * The interpolated precision of a PR curve at its own points: {@code p'[i] = max(p[j], j >= i)},
   * non-increasing in {@code i} (the VOC envelope, without the padding points).
   */
  public static double[] envelope(double[] precision) {
    double[] e = precision.clone();
    for (int i = e.length - 2; i >= 0; i--) {
      e[i] = Math.max(e[i], e[i + 1]);
    }
    return e;
  }

  /** Area under the VOC all-point envelope of a PR curve (recall non-decreasing): the AP. */
  public static double allPointAp(double[] recall, double[] precision) {
    double[][] s = staircase(recall, precision);
    double area = 0;
    for (int i = 0; i + 1 < s[0].length; i++) {
      area += (s[0][i + 1] - s[0][i]) * s[1][i + 1];
    }
    return area;
  }

  /**
   * Vertices of the envelope staircase: from (0, mpre[1]) along each recall step at the envelope's
   * height, dropping vertically at each recall value, ending at (1, 0).
   */
  static double[][] staircase(double[] recall, double[] precision) {
    int n = recall.length;
    double[] mrec = new double[n + 2];
    double[] mpre = new double[n + 2];
    System.arraycopy(recall, 0, mrec, 1, n);
    System.arraycopy(precision, 0, mpre, 1, n);
    mrec[n + 1] = 1;
    mpre = envelope(mpre);
    List<double[]> pts = new ArrayList<>();
    pts.add(new double[] {0, mpre[1]});
    for (int i = 1; i <= n + 1; i++) {
      pts.add(new double[] {mrec[i], mpre[i]});
      if (i <= n) {
        pts.add(new double[] {mrec[i], mpre[i + 1]});
      }
    }
    pts.add(new double[] {1, 0});
    return columns(pts);
  }

  private static void styleRows(XYChart chart, int rows) {
    // XChart 3.8.8 draws no y tick labels when they are customised, so rows are named by
    // annotations inside the bars (see addRowLabels) and the y axis has no ticks.
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setYAxisMin(-0.6).setYAxisMax(rows - 0.4);
    chart.getStyler().setYAxisTicksVisible(false);
    chart.getStyler().setPlotGridHorizontalLinesVisible(false);
  }

  /** Iteration axes start at 0 when all iterations are >= 0, so the ticks fall on round numbers. */
  private static void startAtZero(XYChart chart, long[] iterations) {
    if (Arrays.stream(iterations).allMatch(i -> i >= 0)) {
      chart.getStyler().setXAxisMin(0.0);
    }
  }

  private static float barWidth(int height, int n) {
    float perRow = (height - 110f) / n;
    return Math.max(2f, Math.min(28f, perRow * 0.7f));
  }

  private static void drawBars(XYChart chart, PlotStyle style, String name, double[] rows,
      double[] values, int colour, float width) {
    for (int r = 0; r < rows.length; r++) {
      XYSeries s = chart.addSeries(name + " " + r, new double[] {0, values[r]},
          new double[] {rows[r], rows[r]});
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(style.color(colour));
      s.setLineStyle(style.stroke(width));
      s.setShowInLegend(false);
    }
  }

  /** Class name inside the bar (from its left end), value just right of the bar. */
  private static void addRowLabels(XYChart chart, List<String> names, double[] rows,
      double[] values) {
    java.awt.image.BufferedImage scratch =
        new java.awt.image.BufferedImage(1, 1, java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.awt.Graphics2D g = scratch.createGraphics();
    java.awt.FontMetrics fm = g.getFontMetrics(chart.getStyler().getAnnotationTextFont());
    g.dispose();
    for (int r = 0; r < rows.length; r++) {
      String name = names.get(r);
      // annotations are centred on their point: shift by half the text width (in AP units,
      // the plot being about width - 60 pixels wide) so names start just inside the bar
      double half = (fm.stringWidth(name) / 2.0 + 6) / (chart.getWidth() - 60.0);
      chart.addAnnotation(new AnnotationText(name, half, rows[r], false));
      String value = String.format(Locale.ROOT, "%.3f", values[r]);
      double vhalf = (fm.stringWidth(value) / 2.0 + 6) / (chart.getWidth() - 60.0);
      double x = values[r] + 2 * vhalf > 1 ? values[r] - vhalf : values[r] + vhalf;
      chart.addAnnotation(new AnnotationText(value, x, rows[r], false));
    }
  }

  private static ChartData write(Path out, Chart<?, ?> chart, ChartData data) {
    Objects.requireNonNull(out, "out");
    AtomicFiles.write(out, tmp -> Files.write(tmp,
        BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG)));
    return data;
  }

  private static void checkSameLength(String name, double[] values, int n) {
    Objects.requireNonNull(values, name);
    Preconditions.checkArgument(values.length == n, "%s has %s values, expected %s", name,
        values.length, n);
  }

  private static void checkUnit(String name, double[] values) {
    for (int i = 0; i < values.length; i++) {
      Preconditions.checkArgument(values[i] >= 0 && values[i] <= 1,
          "%s[%s] = %s not in [0, 1]", name, i, values[i]);
    }
  }

  private static double valueAt(double[] x, double[] y, double at) {
    for (int i = 0; i < x.length; i++) {
      if (Math.abs(x[i] - at) < 1e-9) {
        return y[i];
      }
    }
    return Double.NaN;
  }

  private static double nanToZero(double v) {
    return Double.isNaN(v) ? 0 : v;
  }

  private static double[] toDouble(long[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  private static List<Double> toList(double[] v) {
    List<Double> l = new ArrayList<>(v.length);
    for (double d : v) {
      l.add(d);
    }
    return l;
  }

  /** The points whose y is finite, as {x, y}. */
  private static double[][] finite(double[] x, double[] y) {
    List<double[]> kept = new ArrayList<>();
    for (int i = 0; i < y.length; i++) {
      if (Double.isFinite(y[i])) {
        kept.add(new double[] {x[i], y[i]});
      }
    }
    return columns(kept);
  }

  /** Lowest and highest point (in x order) of each of MAX_DRAWN_POINTS / 2 runs of points. */
  static double[][] minMaxPerBucket(double[][] xy) {
    int n = xy[0].length;
    if (n <= MAX_DRAWN_POINTS) {
      return xy;
    }
    int buckets = MAX_DRAWN_POINTS / 2;
    List<double[]> pts = new ArrayList<>();
    for (int b = 0; b < buckets; b++) {
      int from = (int) ((long) n * b / buckets);
      int to = (int) ((long) n * (b + 1) / buckets);
      int lo = from;
      int hi = from;
      for (int i = from; i < to; i++) {
        if (xy[1][i] < xy[1][lo]) {
          lo = i;
        }
        if (xy[1][i] > xy[1][hi]) {
          hi = i;
        }
      }
      pts.add(new double[] {xy[0][Math.min(lo, hi)], xy[1][Math.min(lo, hi)]});
      if (lo != hi) {
        pts.add(new double[] {xy[0][Math.max(lo, hi)], xy[1][Math.max(lo, hi)]});
      }
    }
    return columns(pts);
  }

  /** Every k-th point and the last, so at most about MAX_DRAWN_POINTS remain. */
  static double[][] thin(double[][] xy) {
    int n = xy[0].length;
    if (n <= MAX_DRAWN_POINTS) {
      return xy;
    }
    int k = (n + MAX_DRAWN_POINTS - 1) / MAX_DRAWN_POINTS;
    List<double[]> pts = new ArrayList<>();
    for (int i = 0; i < n; i += k) {
      pts.add(new double[] {xy[0][i], xy[1][i]});
    }
    if ((n - 1) % k != 0) {
      pts.add(new double[] {xy[0][n - 1], xy[1][n - 1]});
    }
    return columns(pts);
  }

  private static double[][] columns(List<double[]> pts) {
    double[][] c = new double[2][pts.size()];
    for (int i = 0; i < pts.size(); i++) {
      c[0][i] = pts.get(i)[0];
      c[1][i] = pts.get(i)[1];
    }
    return c;
  }
}
