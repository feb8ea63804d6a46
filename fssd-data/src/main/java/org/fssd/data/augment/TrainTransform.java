package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.opencv.opencv_core.Mat;
import org.fssd.data.GtBox;
import org.fssd.image.BgrImage;
import org.fssd.image.Preprocessor;

/**
 * SPEC §8: the reference's training augmentation, in order: {@link RandomIoUCrop}, {@link
 * PhotometricDistort}, {@link Expand} (p = 0.6), {@link Mirror} (p = 0.5), {@link RandomResize}
 * (random interpolation, means subtracted), then boxes divided by the augmented image's width and
 * height and those with relative width or height {@code <= 0.01} dropped. If none remains, the
 * <b>un-augmented</b> image (resized with a random interpolation) and all its original boxes are
 * used instead, as the reference does. An image without boxes is only resized (random
 * interpolation) and gets no boxes.
 *
 * <p>Relative boxes are finally clamped to [0, 1] (a no-op for boxes inside the image, which all
 * dataset boxes are up to the one pixel of slack the loaders allow).
 *
 * <p>All randomness comes from the {@link SplittableRandom} passed in ({@link Rng#forSample}), so
 * (seed, epoch, index) reproduces a sample. Immutable and thread-safe.
 */
public final class TrainTransform implements SampleTransform {
  private final Preprocessor pre;
  private final RandomIoUCrop crop = new RandomIoUCrop();
  private final PhotometricDistort distort = new PhotometricDistort();
  private final Expand expand;
  private final Mirror mirror = new Mirror();
  private final RandomResize resize;
  private final boolean light;

  /** The reference pipeline for S x S inputs with the reference means. */
  public TrainTransform(int size) {
    this(new Preprocessor(size));
  }

  /** The reference pipeline with {@code pre}'s size and means (the expand fill = the means). */
  public TrainTransform(Preprocessor pre) {
    this(pre, false);
  }

  /**
   * A light pipeline, not the reference's: only {@link Mirror} (p = 0.5) and {@link RandomResize}
   * (no crop, colour distortion or expansion). For data that already varies enough, like the
   * synthetic shapes where every image is new: it trains several times faster per image and
   * converges in far fewer iterations, at the price of less scale/colour invariance.
   */
  public static TrainTransform light(Preprocessor pre) {
    return new TrainTransform(pre, true);
  }

  /**
   * The pipeline a command-line name selects for S x S inputs: {@code "ssd"} (the reference's,
   * {@link #TrainTransform(int)}) or {@code "light"} ({@link #light}).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static TrainTransform named(String name, int size) {
    checkNotNull(name, "name");
    return switch (name) {
      case "ssd" -> new TrainTransform(size);
      case "light" -> light(new Preprocessor(size));
      default ->
          throw new IllegalArgumentException(
              "unknown augmentation '" + name + "' (expected ssd or light)");
    };
  }

  private TrainTransform(Preprocessor pre, boolean light) {
    this.light = light;
    this.pre = checkNotNull(pre, "pre");
    float[] m = pre.means();
    this.expand = new Expand(0.6, new double[] {m[0], m[1], m[2]});
    this.resize = new RandomResize(pre);
  }

  /** S. */
  @Override
  public int size() {
    return pre.size();
  }

  /**
   * Augments one image (not modified) with its ground-truth boxes (pixels of the image).
   *
   * @param image the decoded image
   * @param boxes the training targets
   * @param r the sample's random generator
   */
  @Override
  public AugmentedSample apply(BgrImage image, List<GtBox> boxes, SplittableRandom r) {
    int n = boxes.size();
    float[] b = new float[4 * n];
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      GtBox g = boxes.get(i);
      b[4 * i] = g.box().x1();
      b[4 * i + 1] = g.box().y1();
      b[4 * i + 2] = g.box().x2();
      b[4 * i + 3] = g.box().y2();
      l[i] = g.label();
    }
    return apply(image.mat(), b, l, r);
  }

  /** Augments an 8-bit BGR Mat (not modified) with point-form pixel boxes and labels. */
  public AugmentedSample apply(Mat image, float[] boxes, int[] labels, SplittableRandom r) {
    int size = pre.size();
    float[] tensor = new float[3 * size * size];
    if (labels.length == 0) {
      resize.apply(image, r, tensor, 0);
      return new AugmentedSample(tensor, size, new float[0], new int[0], new float[0]);
    }
    float[] kept;
    int[] keptLabels;
    try (AugmentedImage s = new AugmentedImage(image.clone(), boxes, labels)) {
      if (!light) {
        crop.apply(s, r);
        distort.apply(s, r);
        expand.apply(s, r);
      }
      mirror.apply(s, r);
      resize.apply(s.image(), r, tensor, 0);
      float[] rel = relative(s.boxes(), s.width(), s.height());
      int n = s.count();
      kept = new float[4 * n];
      keptLabels = new int[n];
      int k = 0;
      for (int i = 0; i < n; i++) {
        float bw = rel[4 * i + 2] - rel[4 * i];
        float bh = rel[4 * i + 3] - rel[4 * i + 1];
        if (Math.min(bw, bh) > 0.01f) {
          System.arraycopy(rel, 4 * i, kept, 4 * k, 4);
          keptLabels[k++] = s.labels()[i];
        }
      }
      kept = Arrays.copyOf(kept, 4 * k);
      keptLabels = Arrays.copyOf(keptLabels, k);
    }
    if (keptLabels.length == 0) {
      resize.apply(image, r, tensor, 0);
      kept = relative(boxes, image.cols(), image.rows());
      keptLabels = labels.clone();
    }
    clamp01(kept);
    float[] w = new float[keptLabels.length];
    Arrays.fill(w, 1f);
    return new AugmentedSample(tensor, size, kept, keptLabels, w);
  }

  /**
   * The geometric stage for {@link Mixup}: the steps before the resize (crop, distortion, expand
   * and mirror; mirror only for the light pipeline) on a copy of {@code image}, with pixel boxes of
   * the result. If no box keeps a relative width and height {@code > 0.01} of the augmented image,
   * the un-augmented image and its boxes are returned instead (as {@link #apply} does). An image
   * without boxes is returned unchanged. The caller closes the result.
   */
  AugmentedImage geometric(Mat image, float[] boxes, int[] labels, SplittableRandom r) {
    AugmentedImage s = new AugmentedImage(image.clone(), boxes, labels);
    if (labels.length == 0) {
      return s;
    }
    if (!light) {
      crop.apply(s, r);
      distort.apply(s, r);
      expand.apply(s, r);
    }
    mirror.apply(s, r);
    float[] rel = relative(s.boxes(), s.width(), s.height());
    for (int i = 0; i < s.count(); i++) {
      if (Math.min(rel[4 * i + 2] - rel[4 * i], rel[4 * i + 3] - rel[4 * i + 1]) > 0.01f) {
        return s;
      }
    }
    s.close();
    return new AugmentedImage(image.clone(), boxes, labels);
  }

  /** The preprocessor (size and means). */
  Preprocessor preprocessor() {
    return pre;
  }

  static float[] relative(float[] px, int width, int height) {
    float[] out = new float[px.length];
    for (int i = 0; i < px.length; i += 4) {
      out[i] = px[i] / width;
      out[i + 1] = px[i + 1] / height;
      out[i + 2] = px[i + 2] / width;
      out[i + 3] = px[i + 3] / height;
    }
    return out;
  }

  static void clamp01(float[] a) {
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.min(1f, Math.max(0f, a[i]));
    }
  }

  @Override
  public String toString() {
    String steps = light ? "light: mirror(p=0.5)," : "crop, distort, expand(p=0.6), mirror(p=0.5),";
    return "TrainTransform{size="
        + pre.size()
        + ", "
        + steps
        + " random-interpolation resize, means "
        + Arrays.toString(pre.means())
        + "}";
  }
}
