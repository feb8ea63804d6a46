package org.fssd.plots;

import static org.fssd.plots.ChartSupport.addReferenceLine;
import static org.fssd.plots.ChartSupport.toList;
import static org.fssd.plots.ChartSupport.write;

import com.google.common.base.Preconditions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Charts of network slimming, each written as one PNG: the BN |gamma| histogram with the threshold,
 * channels kept per layer. Every method is a pure function of its arguments, draws through {@link
 * PlotStyle#defaults()}, writes the file atomically ({@link org.fssd.io.AtomicFiles}: readers never
 * see half a picture, a failure leaves no file behind), and returns the {@link ChartData} it drew.
 * Stateless and thread-safe (rendering runs headless; set {@code java.awt.headless=true} on servers
 * without a display).
 */
public final class PruningCharts {
  /** Number of log-spaced bins of {@link #gammaHistogram}. */
  public static final int GAMMA_BINS = 60;

  private PruningCharts() {}

  /**
   * Histogram of BatchNorm {@code |gamma|} over {@value #GAMMA_BINS} log-spaced bins between the
   * smallest and largest non-zero value (widened to include the threshold), on a log x axis, with a
   * dashed vertical line at the pruning threshold. Zeros (and non-finite values) cannot sit on a
   * log axis: they are counted and said in the title, as is the number of channels with {@code
   * |gamma| < threshold} (zeros included).
   *
   * <p>Series: {@code "count"} with x = the geometric centre of each bin and y = its count (the
   * counts sum to the number of finite non-zero gammas), {@code "edges"} with x = the {@code
   * GAMMA_BINS + 1} bin edges (y = 0), and {@code "threshold"}.
   */
  public static ChartData gammaHistogram(Path out, float[] absGammas, double threshold) {
    Objects.requireNonNull(absGammas, "absGammas");
    Preconditions.checkArgument(
        threshold >= 0 && Double.isFinite(threshold),
        "threshold %s must be finite and >= 0",
        threshold);
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
    Preconditions.checkArgument(
        nonZero > 0, "no non-zero |gamma| among %s values", absGammas.length);
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
    String title =
        String.format(
            Locale.ROOT,
            "BatchNorm |gamma| of %d channels (%d zeros%s not shown), %d below threshold %.3g",
            absGammas.length,
            zeros,
            nonFinite > 0 ? ", " + nonFinite + " non-finite" : "",
            below,
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
      String name = String.format(Locale.ROOT, "threshold %.3g", threshold);
      addReferenceLine(chart, style, name, t, data, "threshold");
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
    Preconditions.checkArgument(
        before.length == layers.length && after.length == layers.length,
        "layers %s, before %s and after %s must have one entry each",
        layers.length,
        before.length,
        after.length);
    long sumBefore = 0;
    long sumAfter = 0;
    double[] pos = new double[layers.length];
    double[] b = new double[layers.length];
    double[] a = new double[layers.length];
    for (int i = 0; i < layers.length; i++) {
      Preconditions.checkArgument(
          after[i] >= 0 && after[i] <= before[i],
          "layer %s keeps %s of %s channels",
          layers[i],
          after[i],
          before[i]);
      pos[i] = i;
      b[i] = before[i];
      a[i] = after[i];
      sumBefore += before[i];
      sumAfter += after[i];
    }
    String title =
        String.format(
            Locale.ROOT,
            "Channels kept per layer: %d of %d (%.1f%%)",
            sumAfter,
            sumBefore,
            sumBefore == 0 ? 0.0 : 100.0 * sumAfter / sumBefore);
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
}
