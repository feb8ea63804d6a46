package org.fssd.box;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

  /**
   * Priors worked out by hand: the configuration, the prior's index, then cx, cy, w, h ({@code
   * voc300-noclip} is {@code voc300} without clipping).
   */
  @ParameterizedTest(name = "{0} prior {1}")
  @CsvSource({
    // VOC300, first cell: f = 300 / 8 = 37.5, cx = cy = 0.5 / 37.5 = 0.0133333, s = 30 / 300 = 0.1
    "voc300,  0, 0.0133333333, 0.0133333333, 0.1, 0.1",
    // s' = sqrt(0.1 * 60 / 300) = sqrt(0.02) = 0.1414214
    "voc300,  1, 0.0133333333, 0.0133333333, 0.1414214, 0.1414214",
    // ratio 2: 0.1 * 1.4142136 = 0.1414214, 0.1 / 1.4142136 = 0.0707107
    "voc300,  2, 0.0133333333, 0.0133333333, 0.1414214, 0.0707107",
    "voc300,  3, 0.0133333333, 0.0133333333, 0.0707107, 0.1414214",
    // ratio 3: 0.1 * 1.7320508 = 0.1732051, 0.1 / 1.7320508 = 0.0577350
    "voc300,  4, 0.0133333333, 0.0133333333, 0.1732051, 0.0577350",
    "voc300,  5, 0.0133333333, 0.0133333333, 0.0577350, 0.1732051",
    // row-major order: cell (0, 1): cx = 1.5 / 37.5 = 0.04, cy = 0.0133333
    "voc300,  6, 0.04, 0.0133333333, 0.1, 0.1",
    // cell (1, 0) = index 38 * 6 = 228: cx = 0.0133333, cy = 0.04
    "voc300,  228, 0.0133333333, 0.04, 0.1, 0.1",
    // last cell of level 0 (37, 37) = index (37 * 38 + 37) * 6 = 8658: 37.5 / 37.5 = 1
    "voc300,  8658, 1.0, 1.0, 0.1, 0.1",
    // level 1 offset 8664; f = 300 / 16 = 18.75, cx = 0.5 / 18.75 = 0.0266667, s = 60 / 300 = 0.2
    "voc300,  8664, 0.0266667, 0.0266667, 0.2, 0.2",
    // s' = sqrt(0.2 * 111 / 300) = sqrt(0.074) = 0.2720294
    "voc300,  8665, 0.0266667, 0.0266667, 0.2720294, 0.2720294",
    // clamped centres: level 2 offset 10830, f = 300 / 32 = 9.375, s = 111 / 300 = 0.37.
    // cell (0, 9) = index 10830 + 9 * 6 = 10884: cx = 9.5 / 9.375 = 1.0133 -> clamped to 1,
    // cy = 0.5 / 9.375 = 0.0533333
    "voc300,  10884, 1.0, 0.0533333, 0.37, 0.37",
    // unclamped neighbour (0, 8): cx = 8.5 / 9.375 = 0.9066667
    "voc300,  10878, 0.9066667, 0.0533333, 0.37, 0.37",
    // level 5 offset 11616; f = 300 / 300 = 1, cx = cy = 0.5, s = 264 / 300 = 0.88
    "voc300,  11616, 0.5, 0.5, 0.88, 0.88",
    // s' = sqrt(0.88 * 315 / 300) = sqrt(0.924) = 0.9612492
    "voc300,  11617, 0.5, 0.5, 0.9612492, 0.9612492",
    // ratio 2: 0.88 * 1.4142136 = 1.2445079 -> clamped to 1; 0.88 / 1.4142136 = 0.6222540
    "voc300,  11618, 0.5, 0.5, 1.0, 0.6222540",
    "voc300,  11619, 0.5, 0.5, 0.6222540, 1.0",
    // without clipping the ratio box exceeds one, and so does the centre
    "voc300-noclip, 11618, 0.5, 0.5, 1.2445079, 0.6222540",
    "voc300-noclip, 10884, 1.0133333, 0.0533333, 0.37, 0.37",
    // VOC512: f = 512 / 8 = 64, cx = 0.5 / 64 = 0.0078125, s = 35.84 / 512 = 0.07
    "voc512,  0, 0.0078125, 0.0078125, 0.07, 0.07",
    // s' = sqrt(0.07 * 76.8 / 512) = sqrt(0.0105) = 0.1024695
    "voc512,  1, 0.0078125, 0.0078125, 0.1024695, 0.1024695",
    // last level: f = 1, s = 460.8 / 512 = 0.9; ratio 2 swapped box: (0.9 / 1.4142136, 1.27 -> 1)
    "voc512,  32755, 0.5, 0.5, 0.6363961, 1.0",
    // COCO300: s = 21 / 300 = 0.07, s' = sqrt(0.07 * 45 / 300) = sqrt(0.0105) = 0.1024695
    "coco300, 0, 0.0133333333, 0.0133333333, 0.07, 0.07",
    "coco300, 1, 0.0133333333, 0.0133333333, 0.1024695, 0.1024695",
  })
  void handComputedPrior(String config, int index, double cx, double cy, double w, double h) {
    float[] priors =
        switch (config) {
          case "voc300" -> VOC300;
          case "voc300-noclip" ->
              PriorBoxes.generate(PriorConfig.voc300().toBuilder().clip(false).build());
          case "voc512" -> PriorBoxes.generate(PriorConfig.voc512());
          case "coco300" -> PriorBoxes.generate(PriorConfig.coco300());
          default -> throw new IllegalArgumentException(config);
        };
    assertPrior(priors, index, cx, cy, w, h);
  }

  @Test
  void everyNumberInUnitIntervalWhenClipped() {
    for (float v : PriorBoxes.generate(PriorConfig.coco512())) {
      assertThat(v).isBetween(0f, 1f);
    }
  }
}
