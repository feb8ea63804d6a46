package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.fssd.data.GtBox;
import org.fssd.image.BgrImage;
import org.fssd.image.Preprocessor;

/**
 * Mixup for detection (Zhang et al. 2019, "Bag of Freebies for Training Object Detection Neural
 * Networks"), on top of the SPEC §8 pipeline of a {@link TrainTransform}:
 *
 * <ol>
 *   <li>both images go through the transform's geometric stage on their own (crop, photometric
 *       distortion, expand, mirror — mirror only for {@link TrainTransform#light}), each with its
 *       own random stream;
 *   <li>both are placed at the top-left corner of a canvas of <b>max width x max height</b> of the
 *       two, and every pixel becomes {@code lam * a + (1 - lam) * b} (float arithmetic, no
 *       rounding). <b>Padding</b>: where a pixel lies outside one image, that image counts as the
 *       mean colour of the preprocessor (104, 117, 123), so after the mean subtraction it adds
 *       exactly zero to the network input (the same fill as the SPEC §8 expand step);
 *   <li>the float canvas is resized to S x S with an interpolation drawn as in {@link
 *       RandomResize}, and the means are subtracted;
 *   <li>the boxes of both images are kept, relative to the canvas, with per-box weights {@code lam}
 *       (image a's) and {@code 1 - lam} (image b's); boxes with relative width or height {@code <=
 *       0.01} of the canvas are dropped, the rest clamped to [0, 1]. If none remains the sample has
 *       no boxes (all priors background).
 * </ol>
 *
 * {@code lam ~ Beta(alpha, alpha)}, drawn as {@code X / (X + Y)} of two Gamma(alpha) draws
 * (Marsaglia-Tsang, normals by Box-Muller) from a {@link SplittableRandom}, so a mixed sample is a
 * function of the seed alone. The per-box weights travel through {@link
 * org.fssd.data.target.PriorMatcher} (each positive prior takes the weight of its ground truth)
 * into the MultiBox loss, which scales that prior's loc and conf terms.
 *
 * <p>{@link org.fssd.data.batch.FssdDataSetIterator} draws the decisions of sample i of epoch e
 * from {@link #random(long, long, long) random(seed, e, i)} (a stream independent of the sample's
 * own augmentation stream, so probability 0 reproduces training without Mixup exactly): {@link
 * #plan} (mixed or not, the partner, lam), then the partner's geometric stage.
 *
 * <p>Immutable and thread-safe.
 */
public final class Mixup {
  private static final long STREAM = 0x6D69787570L; // "mixup"

  private final TrainTransform transform;
  private final MixupOptions options;

  /** Mixup on top of {@code transform} with {@code options}. */
  public Mixup(TrainTransform transform, MixupOptions options) {
    this.transform = checkNotNull(transform, "transform");
    this.options = checkNotNull(options, "options");
  }

  /** The settings. */
  public MixupOptions options() {
    return options;
  }

  /** Side S of the output. */
  public int size() {
    return transform.size();
  }

  /** The decisions of one sample: its partner (a dataset index) and the blend factor lam. */
  public record Plan(int partner, float lambda) {}

  /**
   * The random stream of the Mixup decisions of sample {@code index} of {@code epoch}, independent
   * of {@link Rng#forSample(long, long, long)} of the same arguments.
   */
  public static SplittableRandom random(long seed, long epoch, long index) {
    return Rng.forSample(Rng.mix(seed, STREAM), epoch, index);
  }

  /**
   * Draws, in this order, whether sample {@code index} is mixed (probability p), its partner
   * (uniform over the other {@code datasetSize - 1} images; itself in a dataset of one) and lam.
   *
   * @return the plan, or null when the sample is not mixed
   */
  public Plan plan(SplittableRandom r, int index, int datasetSize) {
    checkArgument(
        datasetSize >= 1 && index >= 0 && index < datasetSize,
        "index %s out of a dataset of %s",
        index,
        datasetSize);
    if (!(r.nextDouble() < options.probability())) {
      return null;
    }
    int partner = datasetSize == 1 ? index : (index + 1 + r.nextInt(datasetSize - 1)) % datasetSize;
    float lam = (float) beta(r, options.alpha(), options.alpha());
    return new Plan(partner, lam);
  }

  /**
   * A mixed sample of image {@code a} (weight {@code lambda}) and image {@code b} (weight {@code 1
   * - lambda}), neither modified.
   *
   * @param ra the random stream of a's geometric stage and of the interpolation
   * @param rb the random stream of b's geometric stage
   */
  public AugmentedSample apply(
      BgrImage a,
      List<GtBox> boxesA,
      BgrImage b,
      List<GtBox> boxesB,
      float lambda,
      SplittableRandom ra,
      SplittableRandom rb) {
    checkArgument(lambda >= 0 && lambda <= 1, "lambda must be in [0, 1], got %s", lambda);
    try (AugmentedImage ga = transform.geometric(a.mat(), pixelBoxes(boxesA), labels(boxesA), ra);
        AugmentedImage gb = transform.geometric(b.mat(), pixelBoxes(boxesB), labels(boxesB), rb)) {
      int interpolation =
          RandomResize.INTERPOLATIONS[ra.nextInt(RandomResize.INTERPOLATIONS.length)];
      return mix(ga, gb, lambda, transform.preprocessor(), interpolation);
    }
  }

  /**
   * Steps 2-4 of the class description on two already augmented images, with a given OpenCV
   * interpolation.
   */
  static AugmentedSample mix(
      AugmentedImage a, AugmentedImage b, float lambda, Preprocessor pre, int interpolation) {
    int w = Math.max(a.width(), b.width());
    int h = Math.max(a.height(), b.height());
    float[] means = pre.means();
    byte[] pa = pixels(a.image());
    byte[] pb = pixels(b.image());
    float mu = 1f - lambda;
    float[] canvas = new float[3 * w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        boolean inA = x < a.width() && y < a.height();
        boolean inB = x < b.width() && y < b.height();
        for (int c = 0; c < 3; c++) {
          float va = inA ? (pa[3 * (y * a.width() + x) + c] & 0xFF) : means[c];
          float vb = inB ? (pb[3 * (y * b.width() + x) + c] & 0xFF) : means[c];
          canvas[3 * (y * w + x) + c] = lambda * va + mu * vb;
        }
      }
    }
    int s = pre.size();
    float[] resized = new float[3 * s * s];
    try (Mat src = new Mat(h, w, CV_32FC3);
        Mat dst = new Mat();
        Size dsize = new Size(s, s)) {
      try (FloatPointer fp = new FloatPointer(src.data())) {
        fp.put(canvas, 0, canvas.length);
      }
      opencv_imgproc.resize(src, dst, dsize, 0, 0, interpolation);
      try (FloatPointer fp = new FloatPointer(dst.data())) {
        fp.get(resized, 0, resized.length);
      }
    }
    int plane = s * s;
    float[] tensor = new float[3 * plane];
    for (int c = 0; c < 3; c++) {
      for (int p = 0; p < plane; p++) {
        tensor[c * plane + p] = resized[3 * p + c] - means[c];
      }
    }
    int n = a.count() + b.count();
    float[] boxes = new float[4 * n];
    int[] labels = new int[n];
    float[] weights = new float[n];
    int k = 0;
    for (int from = 0; from < 2; from++) {
      AugmentedImage img = from == 0 ? a : b;
      float[] rel = TrainTransform.relative(img.boxes(), w, h);
      for (int i = 0; i < img.count(); i++) {
        if (Math.min(rel[4 * i + 2] - rel[4 * i], rel[4 * i + 3] - rel[4 * i + 1]) > 0.01f) {
          System.arraycopy(rel, 4 * i, boxes, 4 * k, 4);
          labels[k] = img.labels()[i];
          weights[k++] = from == 0 ? lambda : mu;
        }
      }
    }
    boxes = Arrays.copyOf(boxes, 4 * k);
    TrainTransform.clamp01(boxes);
    return new AugmentedSample(
        tensor, s, boxes, Arrays.copyOf(labels, k), Arrays.copyOf(weights, k));
  }

  private static byte[] pixels(Mat m) {
    byte[] out = new byte[3 * m.rows() * m.cols()];
    if (m.isContinuous()) {
      m.data().get(out);
    } else {
      try (Mat c = m.clone();
          BytePointer d = c.data()) {
        d.get(out);
      }
    }
    return out;
  }

  /** A Beta(a, b) draw {@code X / (X + Y)}, X ~ Gamma(a), Y ~ Gamma(b), both from {@code r}. */
  public static double beta(SplittableRandom r, double a, double b) {
    checkArgument(a > 0 && b > 0, "Beta parameters must be > 0, got %s and %s", a, b);
    double x = gamma(r, a);
    double y = gamma(r, b);
    return x + y > 0 ? x / (x + y) : 0.5;
  }

  /**
   * A Gamma(shape, 1) draw: Marsaglia and Tsang (2000) for shape &ge; 1; for shape &lt; 1, {@code
   * Gamma(shape + 1) * U^(1/shape)}.
   */
  static double gamma(SplittableRandom r, double shape) {
    if (shape < 1) {
      double u = 1 - r.nextDouble(); // (0, 1]
      return gamma(r, shape + 1) * Math.pow(u, 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = normal(r);
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = 1 - r.nextDouble();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        return d * v;
      }
    }
  }

  /** A standard normal draw (Box-Muller, one of the pair). */
  static double normal(SplittableRandom r) {
    double u1 = 1 - r.nextDouble(); // (0, 1]
    double u2 = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private static float[] pixelBoxes(List<GtBox> boxes) {
    float[] b = new float[4 * boxes.size()];
    for (int i = 0; i < boxes.size(); i++) {
      GtBox g = boxes.get(i);
      b[4 * i] = g.box().x1();
      b[4 * i + 1] = g.box().y1();
      b[4 * i + 2] = g.box().x2();
      b[4 * i + 3] = g.box().y2();
    }
    return b;
  }

  private static int[] labels(List<GtBox> boxes) {
    int[] l = new int[boxes.size()];
    for (int i = 0; i < l.length; i++) {
      l[i] = boxes.get(i).label();
    }
    return l;
  }

  @Override
  public String toString() {
    return "Mixup{" + options + ", on " + transform + "}";
  }
}
