package org.fssd.data.augment;

import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2HSV;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_HSV2BGR;

import java.util.SplittableRandom;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * SPEC §8 step 2, photometric distortion, each part with p = 0.5 in this order: brightness {@code +
 * U(-32, 32)}; contrast {@code x U(0.5, 1.5)}; then in OpenCV 8-bit HSV (hue 0..179): hue {@code +
 * randint(-18, 18) mod 180}; saturation {@code x U(0.5, 1.5)}; back to BGR. After each arithmetic
 * step values are clamped to 0..255 and truncated to 8 bits (as the reference's numpy assignment
 * does). Boxes are unchanged.
 *
 * <p>Stateless and thread-safe.
 */
public final class PhotometricDistort {

  /** Applies the step to {@code s}. */
  public void apply(AugmentedImage s, SplittableRandom r) {
    Mat img = s.image();
    int len = 3 * s.width() * s.height();
    byte[] px = new byte[len];
    if (img.isContinuous()) {
      img.data().get(px);
    } else {
      try (Mat c = img.clone()) {
        c.data().get(px);
      }
    }
    if (Rng.coin(r)) {
      convert(px, 0, 1, 1.0, Rng.uniform(r, -32, 32));
    }
    if (Rng.coin(r)) {
      convert(px, 0, 1, Rng.uniform(r, 0.5, 1.5), 0);
    }
    boolean hue = Rng.coin(r);
    int hueDelta = hue ? Rng.randint(r, -18, 18) : 0;
    boolean sat = Rng.coin(r);
    double satAlpha = sat ? Rng.uniform(r, 0.5, 1.5) : 1;
    Mat out = new Mat(s.height(), s.width(), img.type());
    out.data().put(px);
    // The reference always converts to HSV and back (a lossy round trip even with no change).
    try (Mat hsv = new Mat()) {
      opencv_imgproc.cvtColor(out, hsv, COLOR_BGR2HSV);
      byte[] h = new byte[len];
      hsv.data().get(h);
      if (hue) {
        for (int i = 0; i < len; i += 3) {
          h[i] = (byte) Math.floorMod((h[i] & 0xFF) + hueDelta, 180);
        }
      }
      if (sat) {
        convert(h, 1, 3, satAlpha, 0);
      }
      hsv.data().put(h);
      opencv_imgproc.cvtColor(hsv, out, COLOR_HSV2BGR);
    }
    s.replaceImage(out);
  }

  /** {@code v = trunc(clamp(v * alpha + beta, 0, 255))} for every {@code step}-th byte. */
  static void convert(byte[] px, int start, int step, double alpha, double beta) {
    for (int i = start; i < px.length; i += step) {
      double v = (px[i] & 0xFF) * alpha + beta;
      px[i] = (byte) (int) Math.max(0, Math.min(255, v));
    }
  }
}
