package org.fssd.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ApMethodTest {

  @Test
  void perfectCurveIsOne() {
    double[] r = {0.5, 1.0};
    double[] p = {1.0, 1.0};
    assertThat(ApMethod.VOC07_11_POINT.ap(r, p)).isCloseTo(1.0, within(1e-12));
    assertThat(ApMethod.VOC10_ALL_POINT.ap(r, p)).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void emptyCurveIsZero() {
    assertThat(ApMethod.VOC07_11_POINT.ap(new double[0], new double[0])).isZero();
    assertThat(ApMethod.VOC10_ALL_POINT.ap(new double[0], new double[0])).isZero();
  }

  @Test
  void elevenPointThresholdsAreNumpyArange() {
    // numpy.arange(0., 1.1, 0.1)[3] == 0.30000000000000004 > 3/10: recall 0.3 reaches only
    // t = 0, 0.1, 0.2.
    double[] r = {3 / 10.0};
    double[] p = {1.0};
    assertThat(ApMethod.VOC07_11_POINT.ap(r, p)).isCloseTo(3 / 11.0, within(1e-12));
    // recall 0.4 reaches t = 0 .. 0.4 (0.4 == 4 * 0.1 in double).
    assertThat(ApMethod.VOC07_11_POINT.ap(new double[] {0.4}, p))
        .isCloseTo(5 / 11.0, within(1e-12));
    // all-point: area 0.3 * 1.
    assertThat(ApMethod.VOC10_ALL_POINT.ap(r, p)).isCloseTo(0.3, within(1e-12));
  }

  @Test
  void allPointUsesPrecisionEnvelope() {
    // points (0.5, 0.5) then (1.0, 0.8): envelope lifts the first segment to 0.8.
    double[] r = {0.5, 1.0};
    double[] p = {0.5, 0.8};
    assertThat(ApMethod.VOC10_ALL_POINT.ap(r, p)).isCloseTo(0.8, within(1e-12));
  }

  @Test
  void lengthMismatchIsRejected() {
    assertThatThrownBy(() -> ApMethod.VOC10_ALL_POINT.ap(new double[2], new double[1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 and 1");
  }
}
