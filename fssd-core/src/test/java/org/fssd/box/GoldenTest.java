package org.fssd.box;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * Priors and decode against the PyTorch transcription of the reference in {@code
 * src/test/resources/org/fssd/box/make_golden.py} (torch 1.13 CPU, float32).
 */
class GoldenTest {

  static float[] read(String name) throws IOException {
    try (InputStream in = GoldenTest.class.getResourceAsStream(name)) {
      assertThat(in).as("resource %s", name).isNotNull();
      byte[] bytes = in.readAllBytes();
      float[] out = new float[bytes.length / 4];
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }
  }

  @Test
  void voc300PriorsAreBitExact() throws IOException {
    float[] expected = read("priors_voc300.f32");
    float[] actual = PriorBoxes.generate(PriorConfig.voc300());
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      assertThat(actual[i]).as("prior float %s", i).isEqualTo(expected[i]);
    }
  }

  /**
   * Tolerance: 4e-7 x max(1, |value|), a couple of float ulps of the operands (a coordinate near 0
   * comes from the cancellation cx - w/2). The arithmetic order is the reference's; only {@code
   * exp} may differ by an ulp (torch's vectorised float exp vs the correctly rounded {@code (float)
   * Math.exp}).
   */
  @Test
  void decodeMatchesTorch() throws IOException {
    float[] loc = read("decode_loc.f32");
    float[] priors = read("decode_priors.f32");
    float[] expected = read("decode_out.f32");
    float[] actual = new float[expected.length];
    new BoxCoder().decode(loc, 0, priors, 0, actual, 0, loc.length / 4);
    int exact = 0;
    for (int i = 0; i < actual.length; i++) {
      assertThat(Math.abs(actual[i] - expected[i]))
          .as("decoded float %s: %s vs torch %s", i, actual[i], expected[i])
          .isLessThanOrEqualTo(4e-7f * Math.max(1f, Math.abs(expected[i])));
      if (actual[i] == expected[i]) {
        exact++;
      }
    }
    org.slf4j.LoggerFactory.getLogger(GoldenTest.class)
        .info("decode: {} of {} coordinates bit-exact with torch", exact, actual.length);
    assertThat(exact).as("bit-exact coordinates").isGreaterThan(actual.length * 9 / 10);
  }
}
