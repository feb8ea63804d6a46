package org.fssd.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkElementIndex;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.bytedeco.opencv.global.opencv_core.CV_32SC2;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.FILLED;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_8;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.fssd.box.Box;
import org.fssd.image.BgrImage;
import org.fssd.model.Labels;

/**
 * A synthetic dataset for tests, demos and smoke training: coloured shapes (circle, square,
 * triangle, ellipse, cross, star by default, plus hexagon, diamond, ring and arrow in {@link
 * #ALL_SHAPES}; every shape but the circle and ring randomly rotated) on a textured, noisy
 * background, several per image, some overlapping and some small. Everything is rendered with
 * OpenCV drawing functions (no anti-aliasing) and is a pure function of ({@code seed}, index): the
 * same seed gives the same pixels and boxes in any order, on any thread.
 *
 * <p><b>Boxes are tight</b>: each shape is also drawn into a mask and its box is the bounding
 * rectangle of the mask pixels inside the image, as inclusive 0-based pixel indices (x1 = first
 * column, x2 = last column; the VOC convention of {@link VocDataset}). A shape drawn later may
 * cover part of an earlier one; boxes keep the full extent of each shape (like VOC annotations of
 * occluded objects). Shapes whose visible part is smaller than 4 pixels in width or height are not
 * annotated and are not drawn.
 *
 * <p><b>Clutter</b> ({@link Builder#clutter(int)}, used by {@link Preset#HARD}): unlabelled
 * distractors (blobs, strokes, arcs and corners in object colours, 2-25 % of the side) drawn before
 * the shapes, from a random stream of their own, so that turning clutter on changes pixels but
 * never the annotation.
 *
 * <p>Labels: the shape names, in the order of {@link #SHAPES} (or the chosen subset of {@link
 * #ALL_SHAPES}). Immutable and thread-safe.
 */
public final class ShapesDataset implements DetectionDataset {
  /** Named settings of the generator, for {@link Builder#preset(Preset)}. */
  public enum Preset {
    /** The builder's defaults: 1-6 shapes of 6-50 % of the image side, overlapping, noise 12. */
    STANDARD,
    /**
     * The demo model's data: 1-4 shapes of 10-45 % of the side (30-135 px at 300x300, the range of
     * FSSD300's priors), never touching, noise 8.
     */
    SEPARATED,
    /**
     * Harder: ten classes ({@link #ALL_SHAPES}: the six plus hexagon, diamond, ring, arrow), 2-10
     * shapes of 4-50 % of the side (12 px objects, below the smallest prior), overlapping and often
     * partly hidden, 4-12 unlabelled clutter distractors, noise 24.
     */
    HARD
  }

  /** The default shape names, in default label order (the demo model's six classes). */
  public static final ImmutableList<String> SHAPES =
      ImmutableList.of("circle", "square", "triangle", "ellipse", "cross", "star");

  /**
   * Every shape the generator can draw: {@link #SHAPES} followed by hexagon, diamond, ring and
   * arrow (the classes of {@link Preset#HARD}).
   */
  public static final ImmutableList<String> ALL_SHAPES =
      ImmutableList.<String>builder()
          .addAll(SHAPES)
          .add("hexagon", "diamond", "ring", "arrow")
          .build();

  /** Salt of the clutter's random stream, independent of the shapes' stream. */
  private static final long CLUTTER_SALT = 0x5DEECE66DL;

  private final int count;
  private final int width;
  private final int height;
  private final long seed;
  private final int minShapes;
  private final int maxShapes;
  private final double minSize;
  private final double maxSize;
  private final int noise;
  private final boolean texture;
  private final ImmutableList<String> shapes;
  private final boolean overlap;
  private final int maxClutter;
  private final Labels labels;

  private ShapesDataset(Builder b) {
    this.count = b.count;
    this.width = b.width;
    this.height = b.height;
    this.seed = b.seed;
    this.minShapes = b.minShapes;
    this.maxShapes = b.maxShapes;
    this.minSize = b.minSize;
    this.maxSize = b.maxSize;
    this.noise = b.noise;
    this.texture = b.texture;
    this.shapes = b.shapes;
    this.overlap = b.overlap;
    this.maxClutter = b.maxClutter;
    this.labels = Labels.of(shapes);
  }

  /** A builder with defaults: 100 images of 300x300, seed 0, 1..6 shapes, all six shapes. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return "shapes(seed=" + seed + ", n=" + count + ", " + width + "x" + height + ")";
  }

  @Override
  public Labels labels() {
    return labels;
  }

  @Override
  public int size() {
    return count;
  }

  @Override
  public Annotation annotation(int index) {
    try (Sample s = sample(index)) {
      return s.annotation();
    }
  }

  @Override
  public BgrImage loadImage(int index) {
    return sample(index).image();
  }

  /** Renders image {@code index} once, with its annotation. */
  @Override
  public Sample sample(int index) {
    checkElementIndex(index, count, "index");
    SplittableRandom rnd = new SplittableRandom(mix(seed, index));
    Mat img = new Mat(height, width, CV_8UC3);
    List<GtBox> boxes = new ArrayList<>();
    try (Mat mask = new Mat(height, width, CV_8UC1)) {
      int[] bg = {rnd.nextInt(40, 216), rnd.nextInt(40, 216), rnd.nextInt(40, 216)};
      try (Scalar s = new Scalar(bg[0], bg[1], bg[2], 0)) {
        img.put(s);
      }
      if (texture) {
        drawTexture(img, bg, rnd);
      }
      if (maxClutter > 0) {
        drawClutter(img, bg, new SplittableRandom(mix(seed ^ CLUTTER_SALT, index)));
      }
      int n = rnd.nextInt(minShapes, maxShapes + 1);
      for (int k = 0; k < n; k++) {
        int kind = rnd.nextInt(shapes.size());
        double side = Math.min(width, height) * (minSize + (maxSize - minSize) * rnd.nextDouble());
        double cx = rnd.nextDouble() * width;
        double cy = rnd.nextDouble() * height;
        if (!overlap) {
          // Up to PLACEMENT_TRIES centres; a shape whose square footprint (plus a margin) would
          // touch an earlier box is not drawn at all.
          int tries = 1;
          while (touches(boxes, cx, cy, side) && tries < PLACEMENT_TRIES) {
            cx = rnd.nextDouble() * width;
            cy = rnd.nextDouble() * height;
            tries++;
          }
          if (touches(boxes, cx, cy, side)) {
            continue;
          }
        }
        double angle = rnd.nextDouble() * Math.PI;
        int[] color = contrasting(bg, rnd);
        try (Scalar white = new Scalar(255)) {
          try (Scalar zero = new Scalar(0)) {
            mask.put(zero);
          }
          draw(mask, shapes.get(kind), cx, cy, side, angle, white, rnd.split());
          try (Rect r = opencv_imgproc.boundingRect(mask)) {
            if (r.width() < 4 || r.height() < 4) {
              continue;
            }
            try (Scalar c = new Scalar(color[0], color[1], color[2], 0);
                Mat fill = new Mat(height, width, CV_8UC3, c)) {
              fill.copyTo(img, mask);
            }
            boxes.add(
                GtBox.of(
                    Box.of(r.x(), r.y(), r.x() + r.width() - 1, r.y() + r.height() - 1), kind + 1));
          }
        }
      }
      if (noise > 0) {
        addNoise(img, rnd);
      }
    } catch (RuntimeException e) {
      img.close();
      throw e;
    }
    String id = "shape" + index;
    return new Sample(new Annotation(id, "", width, height, boxes), BgrImage.wrap(img, id));
  }

  private static final int PLACEMENT_TRIES = 20;
  private static final double MARGIN = 3;

  /** Whether the square of side {@code side} around (cx, cy), plus a margin, meets a box. */
  private static boolean touches(List<GtBox> boxes, double cx, double cy, double side) {
    double h = side / 2 + MARGIN;
    for (GtBox g : boxes) {
      Box b = g.box();
      if (cx + h >= b.x1() && cx - h <= b.x2() && cy + h >= b.y1() && cy - h <= b.y2()) {
        return true;
      }
    }
    return false;
  }

  private static void draw(
      Mat m,
      String shape,
      double cx,
      double cy,
      double side,
      double angle,
      Scalar color,
      SplittableRandom rnd) {
    double r = side / 2;
    // the polygon shapes differ only in their outline around the centre
    Consumer<double[]> outline = v -> polygon(m, cx, cy, angle, color, v);
    switch (shape) {
      case "circle" -> {
        try (Point c = new Point((int) Math.round(cx), (int) Math.round(cy))) {
          opencv_imgproc.circle(m, c, (int) Math.max(2, Math.round(r)), color, FILLED, LINE_8, 0);
        }
      }
      case "ellipse" -> {
        double ratio = 0.35 + 0.3 * rnd.nextDouble();
        try (Point c = new Point((int) Math.round(cx), (int) Math.round(cy));
            Size axes =
                new Size(
                    (int) Math.max(2, Math.round(r)), (int) Math.max(1, Math.round(r * ratio)))) {
          opencv_imgproc.ellipse(
              m, c, axes, Math.toDegrees(angle), 0, 360, color, FILLED, LINE_8, 0);
        }
      }
      case "square" -> outline.accept(star(4, r, r, Math.PI / 4));
      case "triangle" -> outline.accept(star(3, r, r, -Math.PI / 2));
      case "star" -> outline.accept(star(5, r, r * 0.45, -Math.PI / 2));
      case "cross" -> {
        double a = r;
        double b = r * 0.33;
        outline.accept(
            new double[] {
              -b, -a, b, -a, b, -b, a, -b, a, b, b, b, b, a, -b, a, -b, b, -a, b, -a, -b, -b, -b
            });
      }
      case "hexagon" -> outline.accept(star(6, r, r, 0));
      case "diamond" -> outline.accept(new double[] {0, -r, 0.55 * r, 0, 0, r, -0.55 * r, 0});
      case "ring" -> {
        int outer = (int) Math.max(2, Math.round(r));
        int thickness = (int) Math.max(2, Math.round(r * 0.35));
        // OpenCV centres the stroke on the radius: draw at outer - thickness / 2 so the ring's
        // outer edge is at r, like the circle's
        try (Point c = new Point((int) Math.round(cx), (int) Math.round(cy))) {
          opencv_imgproc.circle(
              m, c, Math.max(1, outer - thickness / 2), color, thickness, LINE_8, 0);
        }
      }
      case "arrow" ->
          outline.accept(
              new double[] {
                -r, -0.15 * r, 0.2 * r, -0.15 * r, 0.2 * r, -0.45 * r, r, 0, 0.2 * r, 0.45 * r,
                0.2 * r, 0.15 * r, -r, 0.15 * r
              });
      default -> throw new IllegalStateException("unknown shape " + shape);
    }
  }

  /** Vertices of a regular polygon (inner == outer) or a star, as x,y pairs around the origin. */
  private static double[] star(int points, double outer, double inner, double phase) {
    boolean isStar = inner != outer;
    int n = isStar ? 2 * points : points;
    double[] v = new double[2 * n];
    for (int i = 0; i < n; i++) {
      double rad = isStar && (i % 2 == 1) ? inner : outer;
      double t = phase + 2 * Math.PI * i / n;
      v[2 * i] = rad * Math.cos(t);
      v[2 * i + 1] = rad * Math.sin(t);
    }
    return v;
  }

  private static void polygon(Mat m, double cx, double cy, double angle, Scalar color, double[] v) {
    int n = v.length / 2;
    int[] pts = new int[2 * n];
    double cos = Math.cos(angle);
    double sin = Math.sin(angle);
    for (int i = 0; i < n; i++) {
      double x = v[2 * i];
      double y = v[2 * i + 1];
      pts[2 * i] = (int) Math.round(cx + x * cos - y * sin);
      pts[2 * i + 1] = (int) Math.round(cy + x * sin + y * cos);
    }
    try (IntPointer ip = new IntPointer(pts);
        Mat poly = new Mat(n, 1, CV_32SC2, ip);
        MatVector polys = new MatVector(poly)) {
      opencv_imgproc.fillPoly(m, polys, color);
    }
  }

  private void drawTexture(Mat img, int[] bg, SplittableRandom rnd) {
    int lines = rnd.nextInt(3, 12);
    for (int i = 0; i < lines; i++) {
      try (Point a = new Point(rnd.nextInt(width), rnd.nextInt(height));
          Point b = new Point(rnd.nextInt(width), rnd.nextInt(height));
          Scalar c = new Scalar(jitter(bg[0], rnd), jitter(bg[1], rnd), jitter(bg[2], rnd), 0)) {
        opencv_imgproc.line(img, a, b, c, rnd.nextInt(1, 4), LINE_8, 0);
      }
    }
  }

  /**
   * 0..maxClutter unlabelled distractors in object-like colours: filled blobs, thick strokes, arcs
   * and right-angle corners of 2-25 % of the shorter side. None of them is one of the shapes (no
   * closed polygon), but they share the shapes' colours and edges.
   */
  private void drawClutter(Mat img, int[] bg, SplittableRandom rnd) {
    int n = rnd.nextInt(maxClutter / 3, maxClutter + 1);
    int side = Math.min(width, height);
    for (int i = 0; i < n; i++) {
      int[] c = contrasting(bg, rnd);
      double size = side * (0.02 + 0.23 * rnd.nextDouble());
      int x = rnd.nextInt(width);
      int y = rnd.nextInt(height);
      double angle = rnd.nextDouble() * 2 * Math.PI;
      int thick = (int) Math.max(1, Math.round(size * (0.05 + 0.15 * rnd.nextDouble())));
      try (Scalar color = new Scalar(c[0], c[1], c[2], 0);
          Point p = new Point(x, y)) {
        switch (rnd.nextInt(4)) {
          case 0 -> { // irregular blob: a small, squashed, rotated, filled ellipse
            try (Size axes =
                new Size(
                    (int) Math.max(1, size / 4),
                    (int) Math.max(1, size / 4 * (0.3 + 0.7 * rnd.nextDouble())))) {
              opencv_imgproc.ellipse(
                  img, p, axes, Math.toDegrees(angle), 0, 360, color, FILLED, LINE_8, 0);
            }
          }
          case 1 -> { // stroke
            try (Point q =
                new Point(
                    (int) Math.round(x + size * Math.cos(angle)),
                    (int) Math.round(y + size * Math.sin(angle)))) {
              opencv_imgproc.line(img, p, q, color, thick, LINE_8, 0);
            }
          }
          case 2 -> { // open arc of 60-240 degrees
            double start = rnd.nextDouble() * 360;
            double sweep = 60 + 180 * rnd.nextDouble();
            try (Size axes = new Size((int) Math.max(1, size / 2), (int) Math.max(1, size / 2))) {
              opencv_imgproc.ellipse(
                  img, p, axes, 0, start, start + sweep, color, thick, LINE_8, 0);
            }
          }
          default -> { // right-angle corner
            try (Point q =
                    new Point(
                        (int) Math.round(x + size * Math.cos(angle)),
                        (int) Math.round(y + size * Math.sin(angle)));
                Point t =
                    new Point(
                        (int) Math.round(x - size * Math.sin(angle)),
                        (int) Math.round(y + size * Math.cos(angle)))) {
              opencv_imgproc.line(img, p, q, color, thick, LINE_8, 0);
              opencv_imgproc.line(img, p, t, color, thick, LINE_8, 0);
            }
          }
        }
      }
    }
  }

  private static int jitter(int v, SplittableRandom rnd) {
    return Math.max(0, Math.min(255, v + rnd.nextInt(-35, 36)));
  }

  private static int[] contrasting(int[] bg, SplittableRandom rnd) {
    while (true) {
      int[] c = {rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256)};
      if (Math.abs(c[0] - bg[0]) + Math.abs(c[1] - bg[1]) + Math.abs(c[2] - bg[2]) >= 160) {
        return c;
      }
    }
  }

  private void addNoise(Mat img, SplittableRandom rnd) {
    byte[] px = new byte[width * height * 3];
    img.data().get(px);
    for (int i = 0; i < px.length; i++) {
      int v = (px[i] & 0xFF) + rnd.nextInt(-noise, noise + 1);
      px[i] = (byte) Math.max(0, Math.min(255, v));
    }
    img.data().put(px);
  }

  /** A 64-bit mix of the seed and the index (SplitMix64 finaliser). */
  static long mix(long seed, long index) {
    long z = seed * 0x9E3779B97F4A7C15L + index + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public String toString() {
    return "ShapesDataset{"
        + name()
        + ", shapes="
        + shapes
        + ", "
        + minShapes
        + ".."
        + maxShapes
        + " per image, size "
        + minSize
        + ".."
        + maxSize
        + ", noise="
        + noise
        + ", texture="
        + texture
        + ", overlap="
        + overlap
        + ", clutter<="
        + maxClutter
        + "}";
  }

  /** Configures a {@link ShapesDataset}. Not thread-safe. */
  public static final class Builder {
    private int count = 100;
    private int width = 300;
    private int height = 300;
    private long seed;
    private int minShapes = 1;
    private int maxShapes = 6;
    private double minSize = 0.06;
    private double maxSize = 0.5;
    private int noise = 12;
    private boolean texture = true;
    private ImmutableList<String> shapes = SHAPES;
    private boolean overlap = true;
    private int maxClutter;

    private Builder() {}

    /**
     * Applies a named preset (count and seed are left alone): {@link Preset#STANDARD} is the
     * builder's defaults, {@link Preset#SEPARATED} and {@link Preset#HARD} are described there.
     */
    public Builder preset(Preset preset) {
      checkNotNull(preset, "preset");
      switch (preset) {
        case STANDARD -> {
          shapesPerImage(1, 6)
              .shapeSize(0.06, 0.5)
              .noise(12)
              .texture(true)
              .overlap(true)
              .shapes(SHAPES)
              .clutter(0);
        }
        case SEPARATED -> {
          shapesPerImage(1, 4)
              .shapeSize(0.1, 0.45)
              .noise(8)
              .texture(true)
              .overlap(false)
              .shapes(SHAPES)
              .clutter(0);
        }
        case HARD -> {
          shapesPerImage(2, 10)
              .shapeSize(0.04, 0.5)
              .noise(24)
              .texture(true)
              .overlap(true)
              .shapes(ALL_SHAPES)
              .clutter(12);
        }
        default -> throw new IllegalStateException("unknown preset " + preset);
      }
      return this;
    }

    /**
     * Whether shapes may overlap (default true; a later shape then hides part of an earlier one,
     * whose box keeps its full extent). With false, a shape is placed only where its footprint
     * keeps a 3-pixel margin to every earlier box (20 random tries, then it is left out).
     */
    public Builder overlap(boolean overlap) {
      this.overlap = overlap;
      return this;
    }

    /** Number of images (>= 1). */
    public Builder count(int count) {
      checkArgument(count >= 1, "count must be >= 1, got %s", count);
      this.count = count;
      return this;
    }

    /** Image size in pixels (each side 16..8192). */
    public Builder imageSize(int width, int height) {
      checkArgument(width >= 16 && width <= 8192, "width must be in 16..8192, got %s", width);
      checkArgument(height >= 16 && height <= 8192, "height must be in 16..8192, got %s", height);
      this.width = width;
      this.height = height;
      return this;
    }

    /** The seed. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Shapes per image, {@code 0 <= min <= max <= 50}. */
    public Builder shapesPerImage(int min, int max) {
      checkArgument(
          min >= 0 && min <= max && max <= 50,
          "need 0 <= min <= max <= 50, got min=%s max=%s",
          min,
          max);
      this.minShapes = min;
      this.maxShapes = max;
      return this;
    }

    /** Shape size as a fraction of the shorter image side, {@code 0 < min <= max <= 1}. */
    public Builder shapeSize(double min, double max) {
      checkArgument(
          min > 0 && min <= max && max <= 1,
          "need 0 < min <= max <= 1, got min=%s max=%s",
          min,
          max);
      this.minSize = min;
      this.maxSize = max;
      return this;
    }

    /** Uniform per-channel pixel noise amplitude 0..100 (0 = none; default 12). */
    public Builder noise(int amplitude) {
      checkArgument(
          amplitude >= 0 && amplitude <= 100, "noise must be in 0..100, got %s", amplitude);
      this.noise = amplitude;
      return this;
    }

    /** Whether to draw background texture lines (default true). */
    public Builder texture(boolean texture) {
      this.texture = texture;
      return this;
    }

    /**
     * The shapes to use, a non-empty subset of {@link #ALL_SHAPES} without repeats (default {@link
     * #SHAPES}); labels follow this order.
     */
    public Builder shapes(List<String> shapes) {
      checkNotNull(shapes, "shapes");
      checkArgument(!shapes.isEmpty(), "shapes must not be empty");
      for (String s : shapes) {
        checkArgument(ALL_SHAPES.contains(s), "unknown shape '%s', known: %s", s, ALL_SHAPES);
      }
      checkArgument(
          shapes.stream().distinct().count() == shapes.size(),
          "shapes must not repeat, got %s",
          shapes);
      this.shapes = ImmutableList.copyOf(shapes);
      return this;
    }

    /**
     * Up to this many unlabelled clutter distractors per image (0..100, default 0 = none; at least
     * a third of it are drawn when positive).
     */
    public Builder clutter(int max) {
      checkArgument(max >= 0 && max <= 100, "clutter must be in 0..100, got %s", max);
      this.maxClutter = max;
      return this;
    }

    /** The dataset. */
    public ShapesDataset build() {
      return new ShapesDataset(this);
    }
  }
}
