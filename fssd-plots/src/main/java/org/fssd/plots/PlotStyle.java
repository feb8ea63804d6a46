package org.fssd.plots;

import com.google.common.base.Preconditions;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import org.fssd.image.Palette;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;

/**
 * The look of every fssd4j chart in one place: picture size, fonts, colours, and the axis titles
 * (with their units) shared between charts. The chart classes ({@link TrainingCharts}, {@link
 * EvaluationCharts}, {@link PruningCharts}) build each chart through {@link #xyChart} or {@link
 * #categoryChart}, so a change here changes every picture.
 *
 * <p>Colours and font come from fssd-core's {@link Palette}, which the annotated images ({@code
 * Annotator}, the augmentation preview) use too: class {@code k} has the same colour in a chart as
 * its boxes have in a picture ({@link #classColor(int)}).
 *
 * <p>Immutable and thread-safe. {@link #defaults()} is 800 x 500 pixels, sans-serif, a
 * colour-blind-safe palette (Okabe-Ito first) on white.
 */
public final class PlotStyle {
  /** Axis title: training iteration (one optimiser step = one batch). */
  public static final String ITERATION = "iteration (optimizer steps)";

  /** Axis title: epoch (one pass over the training set). */
  public static final String EPOCH = "epoch";

  /** Axis title: loss value (dimensionless). */
  public static final String LOSS = "loss (dimensionless)";

  /** Axis title: loss value on a log axis. */
  public static final String LOSS_LOG = "loss (dimensionless, log scale)";

  /** Axis title: learning rate. */
  public static final String LEARNING_RATE = "learning rate (log scale)";

  /** Axis title: mean average precision, 0 to 1. */
  public static final String MAP = "mAP (0 to 1)";

  /** Axis title: average precision, 0 to 1. */
  public static final String AP = "AP (0 to 1)";

  /** Axis title: recall, 0 to 1. */
  public static final String RECALL = "recall (0 to 1)";

  /** Axis title: precision, 0 to 1. */
  public static final String PRECISION = "precision (0 to 1)";

  /** Axis title: absolute BatchNorm scale. */
  public static final String ABS_GAMMA = "|gamma| (BatchNorm scale, log scale)";

  /** Axis title: IoU threshold of a match. */
  public static final String IOU = "IoU threshold (0 to 1)";

  /** Axis title: number of channels in a bin or layer. */
  public static final String CHANNELS = "channels (count)";

  /** fssd-core's {@link Palette}: Okabe-Ito first, shared with the annotated images. */
  private static final Color[] PALETTE = new Color[Palette.size()];

  static {
    for (int i = 0; i < PALETTE.length; i++) {
      PALETTE[i] = new Color(Palette.rgb(i));
    }
  }

  private static final PlotStyle DEFAULTS = new PlotStyle(800, 500, Palette.FONT_FAMILY);

  private final int width;
  private final int height;
  private final String fontFamily;

  private PlotStyle(int width, int height, String fontFamily) {
    Preconditions.checkArgument(
        width >= 200 && width <= 8000, "width %s not in [200, 8000]", width);
    Preconditions.checkArgument(
        height >= 150 && height <= 8000, "height %s not in [150, 8000]", height);
    this.width = width;
    this.height = height;
    this.fontFamily = Preconditions.checkNotNull(fontFamily, "fontFamily");
  }

  /** 800 x 500 pixels, sans-serif. */
  public static PlotStyle defaults() {
    return DEFAULTS;
  }

  /** This style with another picture size in pixels. */
  public PlotStyle withSize(int width, int height) {
    return new PlotStyle(width, height, fontFamily);
  }

  /** Picture width in pixels. */
  public int width() {
    return width;
  }

  /** Picture height in pixels. */
  public int height() {
    return height;
  }

  /** Colour of series {@code i} (the palette repeats). */
  public Color color(int i) {
    Preconditions.checkArgument(i >= 0, "series index %s < 0", i);
    return PALETTE[i % PALETTE.length];
  }

  /**
   * The colour of class {@code classIndex} (1..C-1 for objects): {@link Palette#rgb(int)}, the
   * colour of that class's boxes in annotated images.
   */
  public Color classColor(int classIndex) {
    Preconditions.checkArgument(classIndex >= 0, "classIndex %s < 0", classIndex);
    return new Color(Palette.rgb(classIndex));
  }

  /** {@link #color(int)} made see-through, for raw data under a smoothed line. */
  public Color faint(int i) {
    Color c = color(i);
    return new Color(c.getRed(), c.getGreen(), c.getBlue(), 70);
  }

  /** A line stroke {@code width} pixels wide. */
  public BasicStroke stroke(float width) {
    return new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND);
  }

  /** A dashed line stroke, for reference lines (thresholds). */
  public BasicStroke dashed() {
    return new BasicStroke(
        2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {8f, 5f}, 0f);
  }

  /** A styled XY chart of this style's size. */
  public XYChart xyChart(String title, String xTitle, String yTitle) {
    return xyChart(title, xTitle, yTitle, height);
  }

  /** A styled XY chart of this style's width and the given height (bar lists grow with rows). */
  public XYChart xyChart(String title, String xTitle, String yTitle, int chartHeight) {
    XYChart chart =
        new XYChartBuilder()
            .width(width)
            .height(chartHeight)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    apply(chart.getStyler());
    return chart;
  }

  /** A styled category (vertical bar) chart of this style's size. */
  public CategoryChart categoryChart(String title, String xTitle, String yTitle) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(width)
            .height(height)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    apply(chart.getStyler());
    chart.getStyler().setAvailableSpaceFill(0.8);
    return chart;
  }

  private void apply(AxesChartStyler s) {
    s.setBaseFont(new Font(fontFamily, Font.PLAIN, Palette.TEXT_FONT_PX + 1));
    s.setChartTitleFont(new Font(fontFamily, Font.BOLD, Palette.TITLE_FONT_PX));
    s.setAxisTitleFont(new Font(fontFamily, Font.PLAIN, Palette.AXIS_TITLE_FONT_PX));
    s.setAxisTickLabelsFont(new Font(fontFamily, Font.PLAIN, Palette.TEXT_FONT_PX));
    s.setLegendFont(new Font(fontFamily, Font.PLAIN, Palette.TEXT_FONT_PX));
    s.setAnnotationTextFont(new Font(fontFamily, Font.PLAIN, Palette.TEXT_FONT_PX));
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setPlotBorderColor(Color.GRAY);
    s.setPlotGridLinesColor(new Color(225, 225, 225));
    s.setChartTitleBoxBackgroundColor(Color.WHITE);
    s.setChartTitleBoxBorderColor(Color.WHITE);
    s.setLegendBorderColor(Color.LIGHT_GRAY);
    s.setLegendPosition(Styler.LegendPosition.InsideNE);
    s.setSeriesColors(PALETTE.clone());
    s.setChartPadding(12);
    s.setAntiAlias(true);
  }

  @Override
  public String toString() {
    return "PlotStyle{" + width + "x" + height + ", font=" + fontFamily + "}";
  }
}
