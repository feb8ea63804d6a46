package org.fssd.plots;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.fssd.image.Palette;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mAP during training, COCO AP per IoU threshold, and the shared class colours. */
class EvalChartsTest {
  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  private static void assertPng(Path png, int width, int height) throws IOException {
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img).as("%s decodes", png).isNotNull();
    assertThat(img.getWidth()).isEqualTo(width);
    assertThat(img.getHeight()).isEqualTo(height);
  }

  @Test
  void mapDuringTrainingDrawsEachEvaluationAtItsIteration() throws IOException {
    long[] it = {500, 1000, 1500, 2000};
    double[] map = {0.12, 0.31, Double.NaN, 0.29};
    Path png = dir.resolve("map.png");
    ChartData d = TrainingCharts.mapDuringTraining(png, it, map, "VOC07 11-point");
    assertPng(png, 800, 500);
    assertThat(d.x("mAP")).containsExactly(500, 1000, 2000);
    assertThat(d.y("mAP")).containsExactly(0.12, 0.31, 0.29);
    assertThat(d.x("best")).containsExactly(1000);
    assertThat(d.y("best")).containsExactly(0.31);
    assertThat(d.title()).contains("VOC07 11-point").contains("0.3100").contains("1,000");
  }

  @Test
  void cocoApPerIouDrawsTheEvaluatorsNumbersAndTheirMean() throws IOException {
    double[] t = new double[10];
    double[] ap = new double[10];
    double sum = 0;
    for (int i = 0; i < 10; i++) {
      t[i] = 0.5 + 0.05 * i;
      ap[i] = 0.8 - 0.07 * i;
      sum += ap[i];
    }
    Path png = dir.resolve("coco-iou.png");
    ChartData d = EvaluationCharts.cocoApPerIou(png, t, ap, sum / 10);
    assertPng(png, 800, 500);
    assertThat(d.x("AP")).containsExactly(t);
    assertThat(d.y("AP")).containsExactly(ap);
    assertThat(d.y("AP@[.50:.95]")).containsExactly(sum / 10, sum / 10);
    assertThat(d.title()).contains("AP50 0.8000").contains("AP75 0.4500");
  }

  @Test
  void classColoursAndFontComeFromTheSharedPalette() {
    PlotStyle s = PlotStyle.defaults();
    for (int k = 0; k < 3 * Palette.size(); k++) {
      assertThat(s.classColor(k)).isEqualTo(new Color(Palette.rgb(k)));
      assertThat(s.color(k)).isEqualTo(new Color(Palette.rgb(k)));
    }
    assertThat(s.xyChart("t", "x", "y").getStyler().getChartTitleFont().getFamily())
        .isEqualTo(new java.awt.Font(Palette.FONT_FAMILY, java.awt.Font.BOLD, 15).getFamily());
    assertThat(s.xyChart("t", "x", "y").getStyler().getChartTitleFont().getSize())
        .isEqualTo(Palette.TITLE_FONT_PX);
  }
}
