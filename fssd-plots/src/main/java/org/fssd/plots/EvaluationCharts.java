package org.fssd.plots;

import static org.fssd.plots.ChartSupport.addReferenceLine;
import static org.fssd.plots.ChartSupport.addRowLabels;
import static org.fssd.plots.ChartSupport.barWidth;
import static org.fssd.plots.ChartSupport.checkSameLength;
import static org.fssd.plots.ChartSupport.checkUnit;
import static org.fssd.plots.ChartSupport.columns;
import static org.fssd.plots.ChartSupport.drawBars;
import static org.fssd.plots.ChartSupport.finite;
import static org.fssd.plots.ChartSupport.nanToZero;
import static org.fssd.plots.ChartSupport.styleRows;
import static org.fssd.plots.ChartSupport.valueAt;
import static org.fssd.plots.ChartSupport.write;

import com.google.common.base.Preconditions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.fssd.train.eval.ApMethod;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Charts of an evaluation, each written as one PNG: precision-recall curves, AP per class, COCO AP
 * per IoU threshold. Every method is a pure function of its arguments, draws through {@link
 * PlotStyle#defaults()}, writes the file atomically ({@link org.fssd.io.AtomicFiles}: readers never
 * see half a picture, a failure leaves no file behind), and returns the {@link ChartData} it drew.
 * Stateless and thread-safe (rendering runs headless; set {@code java.awt.headless=true} on servers
 * without a display).
 */
public final class EvaluationCharts {

  private EvaluationCharts() {}

  /**
   * COCO AP at each IoU threshold (0.50, 0.55, .., 0.95; all areas, 100 detections) as a line with
   * markers, and AP@[.50:.95] (their mean) as a dashed horizontal line. NaN values are left out.
   * Series {@code "AP"} (x = IoU threshold, y = AP) and {@code "AP@[.50:.95]"} (two points across
   * the thresholds).
   *
   * @param apMean the AP@[.50:.95] the evaluator reported, drawn and printed in the title
   */
  public static ChartData cocoApPerIou(
      Path out, double[] iouThresholds, double[] ap, double apMean) {
    checkSameLength("ap", ap, iouThresholds.length);
    checkUnit("iouThresholds", iouThresholds);
    double[][] xy = finite(iouThresholds, ap);
    Preconditions.checkArgument(
        xy[0].length > 0, "no finite AP among %s IoU thresholds", ap.length);
    String title =
        String.format(
            Locale.ROOT,
            "COCO AP per IoU threshold (AP@[.50:.95] %.4f, AP50 %.4f, AP75 %.4f)",
            apMean,
            valueAt(iouThresholds, ap, 0.50),
            valueAt(iouThresholds, ap, 0.75));
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
      double[][] m = {
        {iouThresholds[0], iouThresholds[iouThresholds.length - 1]}, {apMean, apMean}
      };
      String name = String.format(Locale.ROOT, "AP@[.50:.95] = %.4f", apMean);
      addReferenceLine(chart, style, name, m, data, "AP@[.50:.95]");
    }
    return write(out, chart, new ChartData(title, data, List.of()));
  }

  /**
   * As {@link #precisionRecall(Path, String, double[], double[], double)}, with the raw points in
   * the colour of class {@code classIndex} ({@link PlotStyle#classColor(int)}, as its boxes).
   */
  public static ChartData precisionRecall(
      Path out, String className, int classIndex, double[] recall, double[] precision, double ap) {
    return precisionRecall(
        out, className, PlotStyle.defaults().classColor(classIndex), recall, precision, ap);
  }

  /**
   * One class's precision-recall curve: the raw points (in detection-score order) and the
   * interpolated envelope that VOC all-point AP integrates, drawn as a staircase: the recall axis
   * padded with 0 and 1 ({@code mrec = [0, r.., 1]}, {@code mpre = [0, p.., 0]}), precision made
   * monotone non-increasing from the right ({@link ApMethod#interpolated}), and the area of the
   * staircase with height {@code mpre[i+1]} over {@code (mrec[i], mrec[i+1]]} is the AP.
   *
   * <p>Series: {@code "precision"} (the raw points) and {@code "envelope"} (the staircase
   * vertices).
   *
   * @param ap the AP the caller computed, printed in the title
   */
  public static ChartData precisionRecall(
      Path out, String className, double[] recall, double[] precision, double ap) {
    return precisionRecall(out, className, PlotStyle.defaults().color(0), recall, precision, ap);
  }

  private static ChartData precisionRecall(
      Path out,
      String className,
      java.awt.Color c,
      double[] recall,
      double[] precision,
      double ap) {
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
    Arrays.sort(
        order,
        Comparator.<Integer>comparingDouble(i -> nanToZero(ap[i]))
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
    String title =
        String.format(Locale.ROOT, "AP per class (mAP %.4f over %d classes)", mean, counted);
    PlotStyle style = PlotStyle.defaults();
    int height = Math.max(style.height(), 120 + 22 * n);
    XYChart chart = style.xyChart(title, PlotStyle.AP, "", height);
    styleRows(chart, n);
    // no tick-label formatting functions: XChart 3.8.8 loops forever or drops the labels with them
    chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0);
    drawBars(chart, style, "AP", rows, values, 5, barWidth(height, n));
    addRowLabels(chart, names, rows, values);
    return write(
        out, chart, new ChartData(title, Map.of("AP", new double[][] {values, rows}), names));
  }

  /**
   * Vertices of the envelope staircase: from (0, mpre[1]) along each recall step at the envelope's
   * height, dropping vertically at each recall value, ending at (1, 0); the padded, interpolated
   * curve is the one {@link ApMethod#VOC10_ALL_POINT} integrates.
   */
  static double[][] staircase(double[] recall, double[] precision) {
    int n = recall.length;
    double[][] env = ApMethod.interpolated(recall, precision);
    double[] mrec = env[0];
    double[] mpre = env[1];
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
}
