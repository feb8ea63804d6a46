package org.fssd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;

class BgrImageTest {

  @Test
  void wrapsAMatAndExposesItsPixels() {
    try (Scalar fill = new Scalar(1, 2, 3, 0);
        BgrImage img = BgrImage.wrap(new Mat(2, 5, CV_8UC3, fill), "m")) {
      assertThat(img.width()).isEqualTo(5);
      assertThat(img.height()).isEqualTo(2);
      assertThat(img.pixels()).isEqualTo(10);
      assertThat(img.source()).isEqualTo("m");
      assertThat(img.toString()).contains("5x2").contains("m");
      byte[] bgr = img.toBgrBytes();
      assertThat(bgr).hasSize(30);
      assertThat(TestImages.bgrAt(bgr, 5, 4, 1)).containsExactly(1, 2, 3);
    }
  }

  @Test
  void nonContinuousMatIsReadRowByRow() {
    try (Scalar fill = new Scalar(9, 8, 7, 0);
        Mat big = new Mat(6, 6, CV_8UC3, fill);
        Mat roi = big.apply(new org.bytedeco.opencv.opencv_core.Rect(1, 1, 3, 4))) {
      assertThat(roi.isContinuous()).isFalse();
      BgrImage img = BgrImage.wrap(roi.clone(), "roi");
      // clone() is continuous; test the raw helper on the ROI too
      byte[] out = new byte[3 * 3 * 4];
      BgrImage.copyBgrBytes(roi, out);
      for (int i = 0; i < out.length; i += 3) {
        assertThat(new int[] {out[i], out[i + 1], out[i + 2]}).containsExactly(9, 8, 7);
      }
      assertThat(img.toBgrBytes()).isEqualTo(out);
      img.close();
    }
  }

  @Test
  void rejectsWrongMats() {
    assertThatThrownBy(() -> BgrImage.wrap(new Mat(), "empty"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> BgrImage.wrap(new Mat(3, 3, CV_8UC1), "gray"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gray")
        .hasMessageContaining("CV_8UC3");
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseNamesTheCall() {
    BgrImage img = BgrImage.wrap(new Mat(2, 2, CV_8UC3), "c.png");
    BgrImage copy = img.copy();
    img.close();
    img.close();
    assertThat(img.isClosed()).isTrue();
    assertThat(img.width()).isEqualTo(2);
    assertThatThrownBy(img::mat)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mat()")
        .hasMessageContaining("c.png");
    assertThatThrownBy(img::toBgrBytes).hasMessageContaining("toBgrBytes()");
    assertThatThrownBy(img::copy).hasMessageContaining("copy()");
    assertThatThrownBy(img::toBufferedImage).hasMessageContaining("toBufferedImage()");
    // the copy is independent
    assertThat(copy.toBgrBytes()).hasSize(12);
    copy.close();
  }
}
