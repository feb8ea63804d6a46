package org.fssd.box;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BoxCoderTest {
  private final BoxCoder coder = new BoxCoder();
  private static final float[] PRIOR = {0.5f, 0.5f, 0.2f, 0.4f};

  @Test
  void zeroOffsetsGiveThePriorInPointForm() {
    Box b = coder.decode(new float[4], PRIOR);
    assertThat(new float[] {b.x1(), b.y1(), b.x2(), b.y2()})
        .containsExactly(new float[] {0.4f, 0.3f, 0.6f, 0.7f}, within(1e-7f));
  }

  @Test
  void logTwoOverVarianceDoublesTheSize() {
    float l = (float) (Math.log(2) / 0.2);
    Box b = coder.decode(new float[] {0, 0, l, l}, PRIOR);
    // w = 0.4, h = 0.8 around (0.5, 0.5)
    assertThat(b.width()).isCloseTo(0.4f, within(1e-6f));
    assertThat(b.height()).isCloseTo(0.8f, within(1e-6f));
    assertThat(b.x1()).isCloseTo(0.3f, within(1e-6f));
    assertThat(b.y1()).isCloseTo(0.1f, within(1e-6f));
  }

  @Test
  void centreOffsetsMoveByVarianceTimesSize() {
    // cx = 0.5 + 1 * 0.1 * 0.2 = 0.52, cy = 0.5 - 1 * 0.1 * 0.4 = 0.46, size unchanged
    Box b = coder.decode(new float[] {1, -1, 0, 0}, PRIOR);
    assertThat(new float[] {b.x1(), b.y1(), b.x2(), b.y2()})
        .containsExactly(new float[] {0.42f, 0.26f, 0.62f, 0.66f}, within(1e-6f));
  }

  @Test
  void encodeHandComputed() {
    // gt = prior shifted by +0.02 in x (= v0 * pw) and twice as high: (1, 0, 0, ln(2) / 0.2)
    float[] t = coder.encode(Box.of(0.42f, 0.1f, 0.62f, 0.9f), PRIOR);
    assertThat(t[0]).isCloseTo(1f, within(1e-5f));
    assertThat(t[1]).isCloseTo(0f, within(1e-5f));
    assertThat(t[2]).isCloseTo(0f, within(1e-5f));
    assertThat(t[3]).isCloseTo((float) (Math.log(2) / 0.2), within(1e-5f));
    assertThat(coder.encode(Box.of(0.4f, 0.3f, 0.6f, 0.7f), PRIOR))
        .containsExactly(new float[] {0, 0, 0, 0}, within(1e-6f));
  }

  /**
   * The decode must round to float after every operation, in the reference order. A double
   * computation rounded to float after each step is the same as float arithmetic (double has more
   * than 2 * 24 + 2 bits), so this transcription is an independent check of the order.
   */
  @Test
  void decodeIsFloatArithmeticInTheReferenceOrder() {
    Random r = new Random(7);
    float v0 = 0.1f;
    float v1 = 0.2f;
    float[] loc = new float[4 * 1000];
    float[] pri = new float[4 * 1000];
    for (int i = 0; i < 1000; i++) {
      for (int k = 0; k < 4; k++) {
        loc[4 * i + k] = (float) r.nextGaussian() * 2f;
      }
      pri[4 * i] = r.nextFloat();
      pri[4 * i + 1] = r.nextFloat();
      pri[4 * i + 2] = 0.01f + r.nextFloat();
      pri[4 * i + 3] = 0.01f + r.nextFloat();
    }
    float[] out = new float[4 * 1000];
    coder.decode(loc, 0, pri, 0, out, 0, 1000);
    for (int i = 0; i < 1000; i++) {
      int o = 4 * i;
      double pcx = pri[o];
      double pcy = pri[o + 1];
      double pw = pri[o + 2];
      double ph = pri[o + 3];
      float cx = (float) (pcx + (float) ((float) ((double) loc[o] * v0) * pw));
      float cy = (float) (pcy + (float) ((float) ((double) loc[o + 1] * v0) * ph));
      float w = (float) (pw * (float) Math.exp((float) ((double) loc[o + 2] * v1)));
      float h = (float) (ph * (float) Math.exp((float) ((double) loc[o + 3] * v1)));
      float x1 = (float) ((double) cx - (float) (w / 2.0));
      float y1 = (float) ((double) cy - (float) (h / 2.0));
      assertThat(out[o]).isEqualTo(x1);
      assertThat(out[o + 1]).isEqualTo(y1);
      assertThat(out[o + 2]).isEqualTo((float) ((double) x1 + w));
      assertThat(out[o + 3]).isEqualTo((float) ((double) y1 + h));
    }
  }

  @Test
  void roundTripOnRandomBoxes() {
    Random r = new Random(42);
    int n = 5000;
    float[] gt = new float[4 * n];
    float[] pri = new float[4 * n];
    for (int i = 0; i < n; i++) {
      float pw = 0.05f + 0.9f * r.nextFloat();
      float ph = 0.05f + 0.9f * r.nextFloat();
      pri[4 * i] = r.nextFloat();
      pri[4 * i + 1] = r.nextFloat();
      pri[4 * i + 2] = pw;
      pri[4 * i + 3] = ph;
      float x1 = r.nextFloat() * 0.9f;
      float y1 = r.nextFloat() * 0.9f;
      gt[4 * i] = x1;
      gt[4 * i + 1] = y1;
      gt[4 * i + 2] = x1 + 0.01f + r.nextFloat() * (1f - x1);
      gt[4 * i + 3] = y1 + 0.01f + r.nextFloat() * (1f - y1);
    }
    float[] t = new float[4 * n];
    coder.encode(gt, 0, pri, 0, t, 0, n);
    float[] back = new float[4 * n];
    coder.decode(t, 0, pri, 0, back, 0, n);
    for (int i = 0; i < 4 * n; i++) {
      assertThat(back[i]).as("coordinate %s", i).isCloseTo(gt[i], within(1e-5f));
    }
    // in place (out == input) gives the same
    coder.decode(t, 0, pri, 0, t, 0, n);
    assertThat(t).containsExactly(back);
  }

  @Test
  void offsetsAndVariancesFromConfig() {
    BoxCoder c = BoxCoder.of(PriorConfig.voc300().toBuilder().variances(0.2, 0.4).build());
    assertThat(c.variance0()).isEqualTo(0.2f);
    assertThat(c.variance1()).isEqualTo(0.4f);
    // cx = 0.5 + 1 * 0.2 * 0.2 = 0.54
    float[] loc = {9, 9, 1, 0, 0, 0};
    float[] pri = {7, 0.5f, 0.5f, 0.2f, 0.4f};
    float[] out = new float[6];
    c.decode(loc, 2, pri, 1, out, 1, 1);
    assertThat(out[0]).isZero();
    assertThat(out[1]).isCloseTo(0.44f, within(1e-6f));
    assertThat(out[3]).isCloseTo(0.64f, within(1e-6f));
    assertThat(out[5]).isZero();
  }

  @Test
  void validation() {
    assertThatThrownBy(() -> new BoxCoder(0, 0.2)).hasMessageContaining("variance0");
    assertThatThrownBy(() -> new BoxCoder(0.1, Double.NaN)).hasMessageContaining("variance1");
    assertThatThrownBy(() -> coder.decode(new float[4], 1, new float[4], 0, new float[4], 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loc: need 4 floats from offset 1, array has 4");
    assertThatThrownBy(() -> coder.decode(new float[] {0, 0, 1000, 0}, PRIOR))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("finite");
  }
}
