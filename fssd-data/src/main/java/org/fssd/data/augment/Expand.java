package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkArgument;
import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;

import java.util.SplittableRandom;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * SPEC §8 step 3, zoom out. With probability p (default 0.6; skipped when {@code U[0,1) > p}), up
 * to 50 tries of: {@code scale ~ U(1, 4)}, {@code ratio = sqrt(U(max(0.5, 1/scale^2), min(2,
 * scale^2)))}, {@code ws = scale * ratio}, {@code hs = scale / ratio}; a try with {@code ws < 1} or
 * {@code hs < 1} is retried; else the canvas is {@code int(ws * W) x int(hs * H)} filled with the
 * mean colour (B, G, R) = (104, 117, 123), the image placed at a uniform integer offset (both ends
 * inclusive) and the boxes shifted by it.
 *
 * <p>Immutable and thread-safe.
 */
public final class Expand {
  private final double p;
  private final double[] fill;

  /** The reference's expand: p = 0.6, fill (104, 117, 123). */
  public Expand() {
    this(0.6, new double[] {104, 117, 123});
  }

  /** An expand with probability {@code p} and fill colour {@code fillBgr}. */
  public Expand(double p, double[] fillBgr) {
    checkArgument(p >= 0 && p <= 1, "p must be in [0, 1], got %s", p);
    checkArgument(fillBgr.length == 3, "fillBgr needs 3 values, got %s", fillBgr.length);
    this.p = p;
    this.fill = fillBgr.clone();
  }

  /** Applies the step to {@code s}. */
  public void apply(AugmentedImage s, SplittableRandom r) {
    if (r.nextDouble() > p) {
      return;
    }
    int width = s.width();
    int height = s.height();
    for (int attempt = 0; attempt < 50; attempt++) {
      double scale = Rng.uniform(r, 1, 4);
      double minRatio = Math.max(0.5, 1.0 / scale / scale);
      double maxRatio = Math.min(2, scale * scale);
      double ratio = Math.sqrt(Rng.uniform(r, minRatio, maxRatio));
      double ws = scale * ratio;
      double hs = scale / ratio;
      if (ws < 1 || hs < 1) {
        continue;
      }
      int w = (int) (ws * width);
      int h = (int) (hs * height);
      int left = Rng.randint(r, 0, w - width);
      int top = Rng.randint(r, 0, h - height);
      Mat out = new Mat();
      try (Scalar value = new Scalar(fill[0], fill[1], fill[2], 0)) {
        opencv_core.copyMakeBorder(
            s.image(), out, top, h - height - top, left, w - width - left, BORDER_CONSTANT, value);
      }
      float[] b = s.boxes();
      for (int i = 0; i < b.length; i += 4) {
        b[i] += left;
        b[i + 1] += top;
        b[i + 2] += left;
        b[i + 3] += top;
      }
      s.replaceImage(out);
      return;
    }
  }
}
