package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkNotNull;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_CUBIC;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LANCZOS4;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_NEAREST;

import java.util.SplittableRandom;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.fssd.image.Preprocessor;

/**
 * SPEC §8 step 5: resize the 8-bit image to S x S with an interpolation drawn uniformly from
 * (linear, cubic, area, nearest, Lanczos-4), then subtract the means and lay out as CHW through
 * {@link Preprocessor#bgrToTensor(byte[], float[], int)}. Boxes are not touched (the caller makes
 * them relative).
 *
 * <p>Immutable and thread-safe.
 */
public final class RandomResize {
  /** The interpolations, in the reference's order. */
  static final int[] INTERPOLATIONS = {
    INTER_LINEAR, INTER_CUBIC, INTER_AREA, INTER_NEAREST, INTER_LANCZOS4
  };

  private final Preprocessor pre;

  /** A resize to {@code pre.size()} with {@code pre}'s means. */
  public RandomResize(Preprocessor pre) {
    this.pre = checkNotNull(pre, "pre");
  }

  /** Writes the CHW tensor of {@code image} into {@code dst} from {@code offset}. */
  public void apply(Mat image, SplittableRandom r, float[] dst, int offset) {
    resize(image, INTERPOLATIONS[r.nextInt(INTERPOLATIONS.length)], pre, dst, offset);
  }

  /** Resizes with the given OpenCV interpolation and writes the CHW tensor. */
  static void resize(Mat image, int interpolation, Preprocessor pre, float[] dst, int offset) {
    int size = pre.size();
    byte[] bgr = new byte[3 * size * size];
    try (Mat out = new Mat();
        Size dsize = new Size(size, size)) {
      opencv_imgproc.resize(image, out, dsize, 0, 0, interpolation);
      out.data().get(bgr);
    }
    pre.bgrToTensor(bgr, dst, offset);
  }
}
