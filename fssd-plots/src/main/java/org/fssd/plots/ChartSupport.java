package org.fssd.plots;

import com.google.common.base.Preconditions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.fssd.io.AtomicFiles;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** What the chart classes share: argument checks, bar rows, the atomic PNG write. */
final class ChartSupport {
  private ChartSupport() {}

  static void styleRows(XYChart chart, int rows) {
    // XChart 3.8.8 draws no y tick labels when they are customised, so rows are named by
    // annotations inside the bars (see addRowLabels) and the y axis has no ticks.
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setYAxisMin(-0.6).setYAxisMax(rows - 0.4);
    chart.getStyler().setYAxisTicksVisible(false);
    chart.getStyler().setPlotGridHorizontalLinesVisible(false);
  }

  static float barWidth(int height, int n) {
    float perRow = (height - 110f) / n;
    return Math.max(2f, Math.min(28f, perRow * 0.7f));
  }

  static void drawBars(
      XYChart chart,
      PlotStyle style,
      String name,
      double[] rows,
      double[] values,
      int colour,
      float width) {
    for (int r = 0; r < rows.length; r++) {
      XYSeries s =
          chart.addSeries(
              name + " " + r, new double[] {0, values[r]}, new double[] {rows[r], rows[r]});
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(style.color(colour));
      s.setLineStyle(style.stroke(width));
      s.setShowInLegend(false);
    }
  }

  /** Class name inside the bar (from its left end), value just right of the bar. */
  static void addRowLabels(XYChart chart, List<String> names, double[] rows, double[] values) {
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

  /**
   * Adds a reference line (a mean, a threshold) over the data: dashed, in the second colour, no
   * markers, so it reads as a guide rather than a measured series; its points go into {@code data}
   * under {@code key}.
   */
  static void addReferenceLine(
      XYChart chart,
      PlotStyle style,
      String name,
      double[][] xy,
      Map<String, double[][]> data,
      String key) {
    XYSeries s = chart.addSeries(name, xy[0], xy[1]);
    s.setMarker(SeriesMarkers.NONE);
    s.setLineColor(style.color(1));
    s.setLineStyle(style.dashed());
    data.put(key, xy);
  }

  static ChartData write(Path out, Chart<?, ?> chart, ChartData data) {
    Objects.requireNonNull(out, "out");
    AtomicFiles.write(
        out,
        tmp ->
            Files.write(tmp, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG)));
    return data;
  }

  static void checkSameLength(String name, double[] values, int n) {
    Objects.requireNonNull(values, name);
    Preconditions.checkArgument(
        values.length == n, "%s has %s values, expected %s", name, values.length, n);
  }

  static void checkUnit(String name, double[] values) {
    for (int i = 0; i < values.length; i++) {
      Preconditions.checkArgument(
          values[i] >= 0 && values[i] <= 1, "%s[%s] = %s not in [0, 1]", name, i, values[i]);
    }
  }

  static double valueAt(double[] x, double[] y, double at) {
    for (int i = 0; i < x.length; i++) {
      if (Math.abs(x[i] - at) < 1e-9) {
        return y[i];
      }
    }
    return Double.NaN;
  }

  static double nanToZero(double v) {
    return Double.isNaN(v) ? 0 : v;
  }

  static double[] toDouble(long[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  static List<Double> toList(double[] v) {
    List<Double> l = new ArrayList<>(v.length);
    for (double d : v) {
      l.add(d);
    }
    return l;
  }

  static double[][] columns(List<double[]> pts) {
    double[][] c = new double[2][pts.size()];
    for (int i = 0; i < pts.size(); i++) {
      c[0][i] = pts.get(i)[0];
      c[1][i] = pts.get(i)[1];
    }
    return c;
  }

  /** The points whose y is finite, as {x, y}. */
  static double[][] finite(double[] x, double[] y) {
    List<double[]> kept = new ArrayList<>();
    for (int i = 0; i < y.length; i++) {
      if (Double.isFinite(y[i])) {
        kept.add(new double[] {x[i], y[i]});
      }
    }
    return columns(kept);
  }
}
