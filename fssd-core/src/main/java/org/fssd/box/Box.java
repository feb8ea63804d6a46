package org.fssd.box;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.base.Strings;

/**
 * An axis-aligned box in point form: {@code (x1, y1)} is the top-left corner and {@code (x2, y2)}
 * the bottom-right corner; x grows to the right, y grows downwards.
 *
 * <p><b>Units.</b> A box carries no unit of its own; the producer states it. A {@link
 * org.fssd.detect.Detection} box is in <b>pixels of the original image</b> (float, not rounded, not
 * clipped unless the detector was asked to clip). Boxes used for training targets and matching are
 * relative to the network input ([0, 1]).
 *
 * <p>Two overlap measures are offered:
 *
 * <ul>
 *   <li>{@link #iou(Box)}: the continuous measure, area = (x2 - x1)(y2 - y1), used for matching
 *       priors to ground truth (SPEC §5) on relative coordinates;
 *   <li>{@link #iouPixel(Box)}: the PASCAL VOC / NMS pixel convention, area = (x2 - x1 + 1)(y2 - y1
 *       + 1), used by {@link Nms} (SPEC §9) and VOC evaluation (SPEC §10) on pixel coordinates.
 * </ul>
 *
 * Both are symmetric, give 1 for a box with itself (when its area under that convention is
 * positive), 0 for disjoint boxes, and are never NaN: a pair whose union is not positive gives 0.
 * Both compute in float32 like the reference.
 *
 * <p>Immutable and thread-safe. Coordinates must be finite with {@code x1 <= x2} and {@code y1 <=
 * y2} (zero width or height is allowed). {@code -0.0f} is stored as {@code 0.0f}, so {@link
 * #equals} agrees with {@code ==} on every coordinate.
 */
public final class Box {
  private final float x1;
  private final float y1;
  private final float x2;
  private final float y2;

  private Box(float x1, float y1, float x2, float y2) {
    if (!(Float.isFinite(x1) && Float.isFinite(y1) && Float.isFinite(x2) && Float.isFinite(y2))) {
      throw new IllegalArgumentException(
          Strings.lenientFormat(
              "box coordinates must be finite, got (x1=%s, y1=%s, x2=%s, y2=%s)", x1, y1, x2, y2));
    }
    if (!(x1 <= x2 && y1 <= y2)) {
      throw new IllegalArgumentException(
          Strings.lenientFormat(
              "box needs x1 <= x2 and y1 <= y2, got (x1=%s, y1=%s, x2=%s, y2=%s)", x1, y1, x2, y2));
    }
    // + 0.0f turns -0.0f into 0.0f so that equals/hashCode agree with ==.
    this.x1 = x1 + 0.0f;
    this.y1 = y1 + 0.0f;
    this.x2 = x2 + 0.0f;
    this.y2 = y2 + 0.0f;
  }

  /**
   * A box from its corners.
   *
   * @param x1 left edge
   * @param y1 top edge
   * @param x2 right edge, {@code >= x1}
   * @param y2 bottom edge, {@code >= y1}
   * @throws IllegalArgumentException if a coordinate is not finite or the corners are swapped
   */
  public static Box of(float x1, float y1, float x2, float y2) {
    return new Box(x1, y1, x2, y2);
  }

  /**
   * A box from its centre and size: {@code (cx - w/2, cy - h/2, cx + w/2, cy + h/2)} in float.
   *
   * @throws IllegalArgumentException if the result is not finite or {@code w} or {@code h} is
   *     negative
   */
  public static Box ofCenter(float cx, float cy, float w, float h) {
    return new Box(cx - w / 2f, cy - h / 2f, cx + w / 2f, cy + h / 2f);
  }

  /** Left edge. */
  public float x1() {
    return x1;
  }

  /** Top edge. */
  public float y1() {
    return y1;
  }

  /** Right edge. */
  public float x2() {
    return x2;
  }

  /** Bottom edge. */
  public float y2() {
    return y2;
  }

  /** Width {@code x2 - x1} (continuous convention, no +1). */
  public float width() {
    return x2 - x1;
  }

  /** Height {@code y2 - y1} (continuous convention, no +1). */
  public float height() {
    return y2 - y1;
  }

  /** Area {@code width() * height()} (continuous convention, no +1). */
  public float area() {
    return width() * height();
  }

  /** Centre x {@code (x1 + x2) / 2}. */
  public float centerX() {
    return (x1 + x2) / 2f;
  }

  /** Centre y {@code (y1 + y2) / 2}. */
  public float centerY() {
    return (y1 + y2) / 2f;
  }

  /**
   * Continuous intersection over union (area = (x2 - x1)(y2 - y1), no +1), as used for matching
   * (SPEC §5). Symmetric; 1 for a box with itself when its area is positive; 0 when disjoint,
   * merely touching, or when both boxes have zero area; never NaN.
   */
  public float iou(Box other) {
    return iou(x1, y1, x2, y2, other.x1, other.y1, other.x2, other.y2, 0f);
  }

  /**
   * Intersection over union in the PASCAL VOC pixel convention (area = (x2 - x1 + 1)(y2 - y1 + 1),
   * intersection sides {@code max(0, min(x2) - max(x1) + 1)}), the convention of NMS (SPEC §9) and
   * VOC evaluation (SPEC §10). Symmetric; 1 for a box with itself; 0 when disjoint by at least one
   * pixel; never NaN.
   */
  public float iouPixel(Box other) {
    return iou(x1, y1, x2, y2, other.x1, other.y1, other.x2, other.y2, 1f);
  }

  /**
   * IoU of two boxes in float32 with {@code plus} added to every side length (0 or 1). The union is
   * computed as {@code areaA + areaB - inter}; a non-positive union gives 0. If float32 overflows
   * on huge coordinates the ratio is recomputed in double, so the result is never NaN.
   */
  static float iou(
      float ax1,
      float ay1,
      float ax2,
      float ay2,
      float bx1,
      float by1,
      float bx2,
      float by2,
      float plus) {
    float iw = Math.max(0f, Math.min(ax2, bx2) - Math.max(ax1, bx1) + plus);
    float ih = Math.max(0f, Math.min(ay2, by2) - Math.max(ay1, by1) + plus);
    float inter = iw * ih;
    float areaA = (ax2 - ax1 + plus) * (ay2 - ay1 + plus);
    float areaB = (bx2 - bx1 + plus) * (by2 - by1 + plus);
    float union = areaA + areaB - inter;
    float r = inter / union;
    if (r >= 0f && r <= 1f && union > 0f) {
      return r;
    }
    // Overflow, zero union or rounding outside [0, 1]: redo in double.
    double diw = Math.max(0d, Math.min((double) ax2, bx2) - Math.max((double) ax1, bx1) + plus);
    double dih = Math.max(0d, Math.min((double) ay2, by2) - Math.max((double) ay1, by1) + plus);
    double dInter = diw * dih;
    double dUnion =
        ((double) ax2 - ax1 + plus) * ((double) ay2 - ay1 + plus)
            + ((double) bx2 - bx1 + plus) * ((double) by2 - by1 + plus)
            - dInter;
    if (!(dUnion > 0d) || !(dInter > 0d)) {
      return 0f;
    }
    return (float) Math.min(1d, dInter / dUnion);
  }

  /** Whether {@code other} lies entirely inside this box (edges may touch). */
  public boolean contains(Box other) {
    return other.x1 >= x1 && other.y1 >= y1 && other.x2 <= x2 && other.y2 <= y2;
  }

  /**
   * This box with x multiplied by {@code sx} and y by {@code sy} (float multiply), e.g. relative
   * coordinates to pixels of an image {@code sx} wide and {@code sy} high.
   *
   * @throws IllegalArgumentException if a factor is not finite and positive
   */
  public Box scale(float sx, float sy) {
    checkArgument(Float.isFinite(sx) && sx > 0f, "sx must be finite and > 0, got %s", sx);
    checkArgument(Float.isFinite(sy) && sy > 0f, "sy must be finite and > 0, got %s", sy);
    return new Box(x1 * sx, y1 * sy, x2 * sx, y2 * sy);
  }

  /**
   * This box clamped to {@code [0, maxX] x [0, maxY]} (e.g. {@code [0, W] x [0, H]} for an image W
   * pixels wide and H high).
   *
   * @throws IllegalArgumentException if a bound is negative or not finite
   */
  public Box clip(float maxX, float maxY) {
    checkArgument(Float.isFinite(maxX) && maxX >= 0f, "maxX must be finite and >= 0, got %s", maxX);
    checkArgument(Float.isFinite(maxY) && maxY >= 0f, "maxY must be finite and >= 0, got %s", maxY);
    return new Box(clamp(x1, maxX), clamp(y1, maxY), clamp(x2, maxX), clamp(y2, maxY));
  }

  private static float clamp(float v, float max) {
    return Math.min(Math.max(v, 0f), max);
  }

  /** Equal when all four coordinates are equal (exactly; {@code -0.0f} counts as {@code 0.0f}). */
  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof Box b && x1 == b.x1 && y1 == b.y1 && x2 == b.x2 && y2 == b.y2);
  }

  @Override
  public int hashCode() {
    int h = Float.floatToIntBits(x1);
    h = 31 * h + Float.floatToIntBits(y1);
    h = 31 * h + Float.floatToIntBits(x2);
    return 31 * h + Float.floatToIntBits(y2);
  }

  /** {@code Box[x1, y1, x2, y2]} with the exact float values. */
  @Override
  public String toString() {
    return "Box[" + x1 + ", " + y1 + ", " + x2 + ", " + y2 + "]";
  }
}
