package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Locale;
import org.fssd.box.Box;
import org.fssd.detect.Detection;

/**
 * One detection as the evaluators see it: a class label, a score and a box in <b>0-based pixels of
 * the original image</b> (the frame of {@link Detection#box()} and of the stored ground truth).
 * Unlike {@link Detection} the score may be any finite number (result files of other detectors may
 * hold logits); only the order of scores matters to the evaluation.
 *
 * <p><b>Coordinates as written.</b> The VOC evaluation works on the 1-based coordinates of a result
 * file in double ({@link #vocX1()} ...), as the published {@code voc_eval} does. A detection made
 * from a {@link Box} has them as {@code box + 1.0}. One read from a result file ({@link
 * #ofFileCoordinates}) keeps the numbers of the file exactly, including a box whose corners are
 * swapped ({@code x1 > x2} or {@code y1 > y2}), which the reference scores (see {@link
 * VocMatcher#iou}); {@link #box()} is then the box with sorted corners, for consumers that need a
 * proper box, and {@link #swapped()} is true.
 *
 * <p>Immutable and thread-safe; equality is by class, score and the four 1-based coordinates.
 */
public final class ScoredBox {
  private final int classIndex;
  private final double score;
  private final Box box;
  private final double vx1;
  private final double vy1;
  private final double vx2;
  private final double vy2;

  /**
   * A detection with a proper box.
   *
   * @param classIndex class label, 1..C-1
   * @param score the detection score, finite
   * @param box the box in 0-based pixels of the original image
   * @throws IllegalArgumentException when the class is below 1 or the score is not finite
   */
  public ScoredBox(int classIndex, double score, Box box) {
    this(
        classIndex,
        score,
        checkNotNull(box, "box"),
        box.x1() + 1.0,
        box.y1() + 1.0,
        box.x2() + 1.0,
        box.y2() + 1.0);
  }

  private ScoredBox(
      int classIndex, double score, Box box, double vx1, double vy1, double vx2, double vy2) {
    checkArgument(classIndex >= 1, "classIndex must be >= 1 (0 is background), got %s", classIndex);
    checkArgument(Double.isFinite(score), "score must be finite, got %s", score);
    this.classIndex = classIndex;
    this.score = score;
    this.box = box;
    this.vx1 = vx1;
    this.vy1 = vy1;
    this.vx2 = vx2;
    this.vy2 = vy2;
  }

  /** The evaluation view of a detector's output (score widened to double exactly). */
  public static ScoredBox of(Detection d) {
    return new ScoredBox(d.classIndex(), d.score(), d.box());
  }

  /**
   * A detection as a VOC result file states it: 1-based coordinates, kept exactly (in double),
   * corners possibly swapped. {@link #box()} is {@code (min - 1, ..., max - 1)} in float.
   *
   * @throws IllegalArgumentException when the class is below 1, the score or a coordinate is not
   *     finite, or a coordinate minus 1 is out of float range
   */
  public static ScoredBox ofFileCoordinates(
      int classIndex, double score, double x1, double y1, double x2, double y2) {
    checkArgument(
        Double.isFinite(x1) && Double.isFinite(y1) && Double.isFinite(x2) && Double.isFinite(y2),
        "coordinates must be finite, got %s %s %s %s",
        x1,
        y1,
        x2,
        y2);
    Box b =
        Box.of(
            (float) (Math.min(x1, x2) - 1.0),
            (float) (Math.min(y1, y2) - 1.0),
            (float) (Math.max(x1, x2) - 1.0),
            (float) (Math.max(y1, y2) - 1.0));
    return new ScoredBox(classIndex, score, b, x1, y1, x2, y2);
  }

  /** Class label, 1..C-1. */
  public int classIndex() {
    return classIndex;
  }

  /** The detection score. */
  public double score() {
    return score;
  }

  /** The box in 0-based pixels (corners sorted when the file had them swapped). */
  public Box box() {
    return box;
  }

  /** Left edge, 1-based, as written (voc_eval's {@code bb[0]}). */
  public double vocX1() {
    return vx1;
  }

  /** Top edge, 1-based, as written (voc_eval's {@code bb[1]}). */
  public double vocY1() {
    return vy1;
  }

  /** Right edge, 1-based, as written (voc_eval's {@code bb[2]}). */
  public double vocX2() {
    return vx2;
  }

  /** Bottom edge, 1-based, as written (voc_eval's {@code bb[3]}). */
  public double vocY2() {
    return vy2;
  }

  /** Whether the corners as written are swapped ({@code x1 > x2} or {@code y1 > y2}). */
  public boolean swapped() {
    return vx1 > vx2 || vy1 > vy2;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScoredBox s
        && s.classIndex == classIndex
        && Double.compare(s.score, score) == 0
        && Double.compare(s.vx1, vx1) == 0
        && Double.compare(s.vy1, vy1) == 0
        && Double.compare(s.vx2, vx2) == 0
        && Double.compare(s.vy2, vy2) == 0;
  }

  @Override
  public int hashCode() {
    int h = Integer.hashCode(classIndex);
    for (double v : new double[] {score, vx1, vy1, vx2, vy2}) {
      h = 31 * h + Double.hashCode(v);
    }
    return h;
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "ScoredBox[class=%d, score=%s, 1-based (%s, %s, %s, %s)]",
        classIndex,
        score,
        vx1,
        vy1,
        vx2,
        vy2);
  }
}
