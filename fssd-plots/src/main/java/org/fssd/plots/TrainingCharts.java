package org.fssd.plots;

import static org.fssd.plots.ChartSupport.checkSameLength;
import static org.fssd.plots.ChartSupport.columns;
import static org.fssd.plots.ChartSupport.finite;
import static org.fssd.plots.ChartSupport.toDouble;
import static org.fssd.plots.ChartSupport.write;

import com.google.common.base.Preconditions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Charts of a training run, each written as one PNG: loss and learning rate per iteration, mAP per
 * epoch or during training. Every method is a pure function of its arguments, draws through {@link
 * PlotStyle#defaults()}, writes the file atomically ({@link org.fssd.io.AtomicFiles}: readers never
 * see half a picture, a failure leaves no file behind), and returns the {@link ChartData} it drew.
 * Stateless and thread-safe (rendering runs headless; set {@code java.awt.headless=true} on servers
 * without a display).
 */
public final class TrainingCharts {
  /** Most points drawn per loss series; longer series are thinned (see {@link #trainingLoss}). */
  public static final int MAX_DRAWN_POINTS = 4000;

  private TrainingCharts() {}

  /**
   * Training loss per iteration: for each of total, localisation and confidence loss the raw values
   * (faint) and a smoothed line. Smoothing is a bias-corrected exponential moving average ({@code
   * alpha = 2 / (span + 1)}, divided by {@code 1 - (1 - alpha)^(i+1)} so that the start is not
   * pulled towards 0) whose span is 1/30 of the points (at least 1, at most 500); it only looks
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
  public static ChartData trainingLoss(
      Path out, long[] iterations, double[] total, double[] loc, double[] conf) {
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
    boolean log =
        hi / lo > 30
            && Arrays.stream(total).allMatch(v -> !(v <= 0))
            && Arrays.stream(loc).allMatch(v -> !(v <= 0))
            && Arrays.stream(conf).allMatch(v -> !(v <= 0));
    XYChart chart =
        style.xyChart(
            "Training loss (smoothed: EMA over " + span + (span == 1 ? " point)" : " points)"),
            PlotStyle.ITERATION,
            log ? PlotStyle.LOSS_LOG : PlotStyle.LOSS);
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
    Preconditions.checkArgument(
        !kept.isEmpty(), "no positive learning rate among %s points", lr.length);
    double[][] xy = columns(kept);
    int dropped = lr.length - kept.size();
    String title =
        "Learning rate"
            + (dropped > 0
                ? " (" + dropped + (dropped == 1 ? " point" : " points") + " <= 0 not shown)"
                : "");
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

  /**
   * mAP after each evaluated epoch, with the best one marked and named in the title. NaN values (an
   * epoch not evaluated) are left out.
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
    String title =
        String.format(
            Locale.ROOT, "mAP per epoch (best %.4f at epoch %d)", xy[1][best], (int) xy[0][best]);
    PlotStyle style = PlotStyle.defaults();
    XYChart chart = style.xyChart(title, PlotStyle.EPOCH, PlotStyle.MAP);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    return writeMapWithBest(out, chart, style, title, xy, best);
  }

  /**
   * mAP on the held-out set per evaluation made during training, against the iteration it was made
   * at, with the best one marked and named in the title. NaN values (no class with positives) are
   * left out. Series {@code "mAP"} (x = iteration, y = mAP) and {@code "best"}.
   *
   * @param method how the mAP was computed, for the title (e.g. {@code "VOC07 11-point"})
   */
  public static ChartData mapDuringTraining(
      Path out, long[] iterations, double[] map, String method) {
    checkSameLength("map", map, iterations.length);
    Objects.requireNonNull(method, "method");
    double[][] xy = finite(toDouble(iterations), map);
    Preconditions.checkArgument(xy[0].length > 0, "no finite mAP among %s evaluations", map.length);
    int best = argMax(xy[1]);
    String title =
        String.format(
            Locale.ROOT,
            "Held-out mAP (%s) during training: best %.4f at iteration %,d",
            method,
            xy[1][best],
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
    chart
        .getStyler()
        .setLegendPosition(
            xy[1][xy[1].length - 1] < yMax / 2
                ? Styler.LegendPosition.InsideNE
                : Styler.LegendPosition.InsideSE);
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
  private static ChartData writeMapWithBest(
      Path out, XYChart chart, PlotStyle style, String title, double[][] xy, int best) {
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
   * Bias-corrected exponential moving average with span {@code span} ({@code alpha = 2 / (span +
   * 1)}): {@code m_i = (1 - alpha) m_(i-1) + alpha x_i} from {@code m_(-1) = 0}, divided by {@code
   * 1 - (1 - alpha)^(i+1)} so the start is not pulled towards 0. Span 1 returns the input.
   */
  static double[] smooth(double[] values, int span) {
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

  /** Iteration axes start at 0 when all iterations are >= 0, so the ticks fall on round numbers. */
  private static void startAtZero(XYChart chart, long[] iterations) {
    if (Arrays.stream(iterations).allMatch(i -> i >= 0)) {
      chart.getStyler().setXAxisMin(0.0);
    }
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
}
