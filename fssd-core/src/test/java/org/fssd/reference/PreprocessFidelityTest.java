package org.fssd.reference;

import static org.assertj.core.api.Assertions.assertThat;

import org.fssd.image.BgrImage;
import org.fssd.image.ImageLoader;
import org.fssd.image.Preprocessor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** SPEC §1 against the reference: cv2.resize(INTER_LINEAR) of image.png, byte for byte. */
class PreprocessFidelityTest {

  @Test
  void resizedImageEqualsOpenCvInTheReference() {
    int[] expected =
        ReferenceFixtures.npy("input_300_bgr.npy").castTo(DataType.INT32).data().asInt();
    try (BgrImage img = ImageLoader.defaults().load(ReferenceFixtures.file("image.png"))) {
      assertThat(img.width()).isEqualTo(500);
      assertThat(img.height()).isEqualTo(375);
      byte[] resized = new Preprocessor(300).resizedBgr(img);
      assertThat(resized).hasSize(expected.length);
      int differing = 0;
      for (int i = 0; i < resized.length; i++) {
        if ((resized[i] & 0xff) != expected[i]) {
          differing++;
        }
      }
      // Java's OpenCV is 4.5.5, the reference's 4.6.0: the fixed-point INTER_LINEAR is the same.
      assertThat(differing).isZero();
    }
  }

  @Test
  void tensorIsMeanSubtractedChannelMajorBgr() {
    int[] hwc = ReferenceFixtures.npy("input_300_bgr.npy").castTo(DataType.INT32).data().asInt();
    try (BgrImage img = ImageLoader.defaults().load(ReferenceFixtures.file("image.png"))) {
      float[] t = new Preprocessor(300).toTensor(img);
      float[] means = {104f, 117f, 123f};
      for (int c = 0; c < 3; c++) {
        for (int p = 0; p < 300 * 300; p += 997) {
          assertThat(t[c * 90000 + p]).isEqualTo(hwc[p * 3 + c] - means[c]);
        }
      }
    }
  }
}
