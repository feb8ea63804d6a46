package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.SplittableRandom;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * SPEC §8 step 4, horizontal mirror with probability p (default 0.5): the image is flipped
 * left-right and each box becomes {@code (W - x2, y1, W - x1, y2)}, as in the reference.
 *
 * <p>Immutable and thread-safe.
 */
public final class Mirror {
  private final double p;

  /** The reference's mirror, p = 0.5. */
  public Mirror() {
    this(0.5);
  }

  /** A mirror applied with probability {@code p}. */
  public Mirror(double p) {
    checkArgument(p >= 0 && p <= 1, "p must be in [0, 1], got %s", p);
    this.p = p;
  }

  /** Applies the step to {@code s}. */
  public void apply(AugmentedImage s, SplittableRandom r) {
    boolean flip = p == 0.5 ? Rng.coin(r) : r.nextDouble() < p;
    if (flip) {
      flip(s);
    }
  }

  /** Mirrors {@code s} unconditionally. */
  public static void flip(AugmentedImage s) {
    Mat out = new Mat();
    opencv_core.flip(s.image(), out, 1);
    int w = s.width();
    float[] b = s.boxes();
    for (int i = 0; i < b.length; i += 4) {
      float x1 = b[i];
      b[i] = w - b[i + 2];
      b[i + 2] = w - x1;
    }
    s.replaceImage(out);
  }
}
