package org.fssd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class PreprocessorTest {

  private final ImageLoader loader = ImageLoader.defaults();

  @Test
  void constantImageGivesValueMinusMeanEverywhereInBgrChannelOrder() {
    Preprocessor pre = new Preprocessor(20);
    // Non-square, not a multiple of 20, B, G, R all different.
    try (BgrImage img = loader.fromBufferedImage(TestImages.solidBgr(37, 53, 10, 200, 250), "c")) {
      float[] t = pre.toTensor(img);
      assertThat(t).hasSize(3 * 20 * 20);
      assertThat(pre.tensorLength()).isEqualTo(1200);
      for (int i = 0; i < 400; i++) {
        assertThat(t[i]).as("B plane %d", i).isEqualTo(10f - 104f);
        assertThat(t[400 + i]).as("G plane %d", i).isEqualTo(200f - 117f);
        assertThat(t[800 + i]).as("R plane %d", i).isEqualTo(250f - 123f);
      }
    }
  }

  @Test
  void customMeansAreSubtracted() {
    Preprocessor pre = new Preprocessor(4, 1f, 2f, 3f);
    assertThat(pre.means()).containsExactly(1f, 2f, 3f);
    try (BgrImage img = loader.fromBufferedImage(TestImages.solidBgr(8, 8, 10, 20, 30), "c")) {
      float[] t = pre.toTensor(img);
      assertThat(t[0]).isEqualTo(9f);
      assertThat(t[16]).isEqualTo(18f);
      assertThat(t[47]).isEqualTo(27f);
    }
  }

  @Test
  void sameSizeImageIsCopiedExactlyWithChwLayout() {
    int s = 9;
    Preprocessor pre = new Preprocessor(s);
    try (BgrImage img = loader.fromBufferedImage(TestImages.pattern(s, s), "p")) {
      float[] t = pre.toTensor(img);
      for (int y = 0; y < s; y++) {
        for (int x = 0; x < s; x++) {
          int rgb = TestImages.rgbOfPattern(x, y);
          assertThat(t[(0 * s + y) * s + x]).isEqualTo((rgb & 0xFF) - 104f);
          assertThat(t[(1 * s + y) * s + x]).isEqualTo(((rgb >> 8) & 0xFF) - 117f);
          assertThat(t[(2 * s + y) * s + x]).isEqualTo(((rgb >> 16) & 0xFF) - 123f);
        }
      }
    }
  }

  @Test
  void tinyUpscaleFollowsHalfPixelBilinear() {
    // 2x2 -> 4x4. Half-pixel centres: src = (dst + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25,
    // clamped to [0, 1]: output column weights (on source col 1) are 0, 0.25, 0.75, 1.
    // OpenCV's 8-bit resize works in fixed point (coefficients with a few fractional bits, then
    // rounding back to uint8), so it can differ from the exact float value by one level: +-1.
    byte[] bgr = {
      0, 40, (byte) 200, 100, 80, (byte) 240, (byte) 200, 120, 0, (byte) 255, (byte) 160, 20
    };
    Preprocessor pre = new Preprocessor(4);
    try (BgrImage img = loader.fromBgrBytes(bgr, 2, 2, "2x2")) {
      byte[] resized = pre.resizedBgr(img);
      int[] expected = bilinearReference(bgr, 2, 2, 4);
      for (int i = 0; i < expected.length; i++) {
        assertThat(resized[i] & 0xFF)
            .as("byte %d", i)
            .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1));
      }
      // Corners are exact copies of the source corners (clamped weights 0 or 1).
      assertThat(TestImages.bgrAt(resized, 4, 0, 0)).containsExactly(0, 40, 200);
      assertThat(TestImages.bgrAt(resized, 4, 3, 3)).containsExactly(255, 160, 20);
      // Hand-checked: pixel (1, 0), B = 0.75 * 0 + 0.25 * 100 = 25.
      assertThat(TestImages.bgrAt(resized, 4, 1, 0)[0]).isBetween(24, 26);
    }
  }

  @Test
  void downscaleFollowsHalfPixelBilinearWithinOneLevel() {
    Random random = new Random(7);
    int w = 50;
    int h = 37;
    byte[] bgr = new byte[3 * w * h];
    // smooth-ish content plus noise
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < 3; c++) {
          bgr[3 * (y * w + x) + c] =
              (byte) Math.min(255, (x * 4 + y * 3 * c) % 200 + random.nextInt(50));
        }
      }
    }
    Preprocessor pre = new Preprocessor(16);
    try (BgrImage img = loader.fromBgrBytes(bgr, w, h, "noise")) {
      byte[] resized = pre.resizedBgr(img);
      int[] expected = bilinearReference(bgr, w, h, 16);
      for (int i = 0; i < expected.length; i++) {
        assertThat(resized[i] & 0xFF)
            .as("byte %d", i)
            .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1));
      }
      // and the tensor is exactly the resized bytes minus the means
      float[] t = pre.toTensor(img);
      for (int p = 0; p < 256; p++) {
        assertThat(t[p]).isEqualTo((resized[3 * p] & 0xFF) - 104f);
        assertThat(t[256 + p]).isEqualTo((resized[3 * p + 1] & 0xFF) - 117f);
        assertThat(t[512 + p]).isEqualTo((resized[3 * p + 2] & 0xFF) - 123f);
      }
    }
  }

  @Test
  void resizeReturnsAnIndependentSquareImage() {
    Preprocessor pre = new Preprocessor(12);
    try (BgrImage img = loader.fromBufferedImage(TestImages.pattern(30, 20), "src");
        BgrImage small = pre.resize(img)) {
      assertThat(small.width()).isEqualTo(12);
      assertThat(small.height()).isEqualTo(12);
      assertThat(small.source()).isEqualTo("src");
      assertThat(small.toBgrBytes()).isEqualTo(pre.resizedBgr(img));
    }
  }

  @Test
  void offsetsBuffersAndBatchesAgree() {
    Preprocessor pre = new Preprocessor(8);
    try (BgrImage a = loader.fromBufferedImage(TestImages.pattern(21, 13), "a");
        BgrImage b = loader.fromBufferedImage(TestImages.solidBgr(5, 9, 1, 2, 3), "b")) {
      float[] ta = pre.toTensor(a);
      float[] tb = pre.toTensor(b);

      float[] dst = new float[5 + 2 * 192];
      pre.toTensor(a, dst, 5);
      pre.toTensor(b, dst, 5 + 192);
      assertThat(java.util.Arrays.copyOfRange(dst, 5, 197)).containsExactly(ta);
      assertThat(java.util.Arrays.copyOfRange(dst, 197, 389)).containsExactly(tb);
      assertThat(dst[0]).isZero();

      FloatBuffer heap = FloatBuffer.allocate(200);
      heap.position(3);
      pre.toTensor(a, heap);
      assertThat(heap.position()).isEqualTo(195);
      FloatBuffer direct =
          ByteBuffer.allocateDirect(4 * 192).order(ByteOrder.nativeOrder()).asFloatBuffer();
      pre.toTensor(b, direct);
      assertThat(direct.position()).isEqualTo(192);
      for (int i = 0; i < 192; i++) {
        assertThat(heap.get(3 + i)).isEqualTo(ta[i]);
        assertThat(direct.get(i)).isEqualTo(tb[i]);
      }

      INDArray batch = pre.toBatch(List.of(a, b));
      assertThat(batch.shape()).containsExactly(2, 3, 8, 8);
      assertThat(batch.dataType()).isEqualTo(DataType.FLOAT);
      assertThat(batch.getFloat(0, 0, 0, 0)).isEqualTo(ta[0]);
      assertThat(batch.getFloat(0, 2, 7, 5)).isEqualTo(ta[(2 * 8 + 7) * 8 + 5]);
      assertThat(batch.getFloat(1, 1, 3, 4)).isEqualTo(tb[(8 + 3) * 8 + 4]);
    }
  }

  @Test
  void validatesArgumentsAndClosedImages() {
    assertThatThrownBy(() -> new Preprocessor(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("size")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> new Preprocessor(4, Float.NaN, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
    Preprocessor pre = new Preprocessor(4);
    BgrImage img = loader.fromBufferedImage(TestImages.solidBgr(4, 4, 0, 0, 0), "x");
    assertThatThrownBy(() -> pre.toTensor(img, new float[47], 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("47");
    assertThatThrownBy(() -> pre.toTensor(img, new float[100], -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pre.toBatch(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    img.close();
    assertThatThrownBy(() -> pre.toTensor(img))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("after close");
  }

  /**
   * Exact float INTER_LINEAR with half-pixel centres and border clamping, rounded to uint8: src =
   * (dst + 0.5) * in / out - 0.5, i0 = floor(max(src, 0)), weight of i0 + 1 = src - i0, both
   * indices clamped to the image.
   */
  static int[] bilinearReference(byte[] bgr, int w, int h, int s) {
    int[] out = new int[3 * s * s];
    for (int oy = 0; oy < s; oy++) {
      Tap y = Tap.of(oy, h, s);
      for (int ox = 0; ox < s; ox++) {
        Tap x = Tap.of(ox, w, s);
        for (int c = 0; c < 3; c++) {
          double top =
              (1 - x.f()) * px(bgr, w, x.i0(), y.i0(), c) + x.f() * px(bgr, w, x.i1(), y.i0(), c);
          double bottom =
              (1 - x.f()) * px(bgr, w, x.i0(), y.i1(), c) + x.f() * px(bgr, w, x.i1(), y.i1(), c);
          out[3 * (oy * s + ox) + c] = (int) Math.round((1 - y.f()) * top + y.f() * bottom);
        }
      }
    }
    return out;
  }

  /** The two source pixels of one output pixel along one axis, and the weight of the second. */
  private record Tap(int i0, int i1, double f) {
    static Tap of(int o, int in, int out) {
      double src = Math.max(0, (o + 0.5) * in / out - 0.5);
      int i0 = Math.min((int) Math.floor(src), in - 1);
      int i1 = Math.min(i0 + 1, in - 1);
      return new Tap(i0, i1, i0 == in - 1 ? 0 : src - i0);
    }
  }

  private static int px(byte[] bgr, int w, int x, int y, int c) {
    return bgr[3 * (y * w + x) + c] & 0xFF;
  }
}
