package org.fssd.box;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Expected values are computed by hand from the SPEC §3 formula (comments show the arithmetic). */
class PriorBoxesTest {
  private static final float EPS = 1e-6f;
  private static final float[] VOC300 = PriorBoxes.generate(PriorConfig.voc300());

  private static void assertPrior(
      float[] priors, int index, double cx, double cy, double w, double h) {
    assertThat(priors[4 * index]).as("cx of %s", index).isCloseTo((float) cx, within(EPS));
    assertThat(priors[4 * index + 1]).as("cy of %s", index).isCloseTo((float) cy, within(EPS));
    assertThat(priors[4 * index + 2]).as("w of %s", index).isCloseTo((float) w, within(EPS));
    assertThat(priors[4 * index + 3]).as("h of %s", index).isCloseTo((float) h, within(EPS));
  }

  @Test
  void sizes() {
    assertThat(VOC300).hasSize(11620 * 4);
    assertThat(PriorBoxes.generate(PriorConfig.voc512())).hasSize(32756 * 4);
    assertThat(PriorBoxes.generate(PriorConfig.coco512())).hasSize(32756 * 4);
  }

  @Test
  void voc300FirstCell() {
    // f = 300 / 8 = 37.5, cx = cy = 0.5 / 37.5 = 0.0133333, s = 30 / 300 = 0.1
    double c = 0.0133333333;
    assertPrior(VOC300, 0, c, c, 0.1, 0.1);
    // s' = sqrt(0.1 * 60 / 300) = sqrt(0.02) = 0.1414214
    assertPrior(VOC300, 1, c, c, 0.1414214, 0.1414214);
    // ratio 2: 0.1 * 1.4142136 = 0.1414214, 0.1 / 1.4142136 = 0.0707107
    assertPrior(VOC300, 2, c, c, 0.1414214, 0.0707107);
    assertPrior(VOC300, 3, c, c, 0.0707107, 0.1414214);
    // ratio 3: 0.1 * 1.7320508 = 0.1732051, 0.1 / 1.7320508 = 0.0577350
    assertPrior(VOC300, 4, c, c, 0.1732051, 0.0577350);
    assertPrior(VOC300, 5, c, c, 0.0577350, 0.1732051);
  }

  @Test
  void voc300RowMajorOrder() {
    // cell (0, 1): cx = 1.5 / 37.5 = 0.04, cy = 0.0133333
    assertPrior(VOC300, 6, 0.04, 0.0133333333, 0.1, 0.1);
    // cell (1, 0) = index 38 * 6 = 228: cx = 0.0133333, cy = 0.04
    assertPrior(VOC300, 228, 0.0133333333, 0.04, 0.1, 0.1);
    // last cell of level 0 (37, 37) = index (37 * 38 + 37) * 6 = 8658: 37.5 / 37.5 = 1
    assertPrior(VOC300, 8658, 1.0, 1.0, 0.1, 0.1);
  }

  @Test
  void voc300Level1First() {
    // offset 8664; f = 300 / 16 = 18.75, cx = 0.5 / 18.75 = 0.0266667, s = 60 / 300 = 0.2
    assertPrior(VOC300, 8664, 0.0266667, 0.0266667, 0.2, 0.2);
    // s' = sqrt(0.2 * 111 / 300) = sqrt(0.074) = 0.2720294
    assertPrior(VOC300, 8665, 0.0266667, 0.0266667, 0.2720294, 0.2720294);
  }

  @Test
  void voc300ClampedCentres() {
    // level 2 offset 10830, f = 300 / 32 = 9.375, s = 111 / 300 = 0.37.
    // cell (0, 9) = index 10830 + 9 * 6 = 10884: cx = 9.5 / 9.375 = 1.0133 -> clamped to 1,
    // cy = 0.5 / 9.375 = 0.0533333
    assertPrior(VOC300, 10884, 1.0, 0.0533333, 0.37, 0.37);
    // unclamped neighbour (0, 8): cx = 8.5 / 9.375 = 0.9066667
    assertPrior(VOC300, 10878, 0.9066667, 0.0533333, 0.37, 0.37);
  }

  @Test
  void voc300Level5AndLastPrior() {
    // level 5 offset 11616; f = 300 / 300 = 1, cx = cy = 0.5, s = 264 / 300 = 0.88
    assertPrior(VOC300, 11616, 0.5, 0.5, 0.88, 0.88);
    // s' = sqrt(0.88 * 315 / 300) = sqrt(0.924) = 0.9612492
    assertPrior(VOC300, 11617, 0.5, 0.5, 0.9612492, 0.9612492);
    // ratio 2: 0.88 * 1.4142136 = 1.2445079 -> clamped to 1; 0.88 / 1.4142136 = 0.6222540
    assertPrior(VOC300, 11618, 0.5, 0.5, 1.0, 0.6222540);
    assertPrior(VOC300, 11619, 0.5, 0.5, 0.6222540, 1.0);
  }

  @Test
  void withoutClipTheRatioBoxExceedsOne() {
    float[] p = PriorBoxes.generate(PriorConfig.voc300().toBuilder().clip(false).build());
    assertPrior(p, 11618, 0.5, 0.5, 1.2445079, 0.6222540);
    assertPrior(p, 10884, 1.0133333, 0.0533333, 0.37, 0.37);
  }

  @Test
  void voc512FirstAndLast() {
    float[] p = PriorBoxes.generate(PriorConfig.voc512());
    // f = 512 / 8 = 64, cx = 0.5 / 64 = 0.0078125, s = 35.84 / 512 = 0.07
    assertPrior(p, 0, 0.0078125, 0.0078125, 0.07, 0.07);
    // s' = sqrt(0.07 * 76.8 / 512) = sqrt(0.0105) = 0.1024695
    assertPrior(p, 1, 0.0078125, 0.0078125, 0.1024695, 0.1024695);
    // last level: f = 1, s = 460.8 / 512 = 0.9; ratio 2 swapped box: (0.9 / 1.4142136, 1.27 -> 1)
    assertPrior(p, 32755, 0.5, 0.5, 0.6363961, 1.0);
  }

  @Test
  void coco300First() {
    float[] p = PriorBoxes.generate(PriorConfig.coco300());
    // s = 21 / 300 = 0.07, s' = sqrt(0.07 * 45 / 300) = sqrt(0.0105) = 0.1024695
    assertPrior(p, 0, 0.0133333333, 0.0133333333, 0.07, 0.07);
    assertPrior(p, 1, 0.0133333333, 0.0133333333, 0.1024695, 0.1024695);
  }

  @Test
  void everyNumberInUnitIntervalWhenClipped() {
    for (float v : PriorBoxes.generate(PriorConfig.coco512())) {
      assertThat(v).isBetween(0f, 1f);
    }
  }
}
