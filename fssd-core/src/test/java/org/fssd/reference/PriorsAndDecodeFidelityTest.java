package org.fssd.reference;

import static org.assertj.core.api.Assertions.assertThat;

import org.fssd.box.BoxCoder;
import org.fssd.box.PriorBoxes;
import org.fssd.box.PriorConfig;
import org.junit.jupiter.api.Test;

/**
 * SPEC §3 and §4 against the PyTorch reference fixtures. Tolerances: VOC priors bit-exact (both
 * compute in float64 and cast once), COCO samples 1e-6, decode 1e-6 (same float32 operation order;
 * torch's float {@code exp} is not correctly rounded, so the last bit may differ).
 */
class PriorsAndDecodeFidelityTest {

  @Test
  void voc300PriorsEqualTheReference() {
    assertClose(
        PriorBoxes.generate(PriorConfig.voc300()),
        ReferenceFixtures.floats("priors_voc300.npy"),
        0f,
        1);
  }

  @Test
  void voc512PriorsEqualTheReference() {
    assertClose(
        PriorBoxes.generate(PriorConfig.voc512()),
        ReferenceFixtures.floats("priors_voc512.npy"),
        0f,
        1);
  }

  @Test
  void cocoPriorsEqualTheReferenceSample() {
    assertClose(
        PriorBoxes.generate(PriorConfig.coco300()),
        ReferenceFixtures.floats("priors_coco300_sample.npy"),
        1e-6f,
        37);
    assertClose(
        PriorBoxes.generate(PriorConfig.coco512()),
        ReferenceFixtures.floats("priors_coco512_sample.npy"),
        1e-6f,
        37);
  }

  @Test
  void decodeEqualsTheReference() {
    float[] priors = ReferenceFixtures.floats("decode_priors.npy");
    float[] loc = ReferenceFixtures.floats("decode_loc.npy");
    float[] expected = ReferenceFixtures.floats("decode_boxes.npy");
    BoxCoder coder = new BoxCoder(0.1, 0.2);
    float[] out = new float[expected.length];
    coder.decode(loc, 0, priors, 0, out, 0, expected.length / 4);
    for (int i = 0; i < out.length; i++) {
      assertThat(out[i])
          .as("coordinate %s", i)
          .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-6f));
    }
  }

  /**
   * Compares prior rows 0, stride, 2*stride, ... of {@code actual} with the rows of {@code
   * expected}.
   */
  private static void assertClose(float[] actual, float[] expected, float tol, int stride) {
    int rows = expected.length / 4;
    assertThat((actual.length / 4 + stride - 1) / stride).isEqualTo(rows);
    float max = 0;
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < 4; k++) {
        max = Math.max(max, Math.abs(actual[r * stride * 4 + k] - expected[r * 4 + k]));
      }
    }
    assertThat(max).isLessThanOrEqualTo(tol);
  }
}
