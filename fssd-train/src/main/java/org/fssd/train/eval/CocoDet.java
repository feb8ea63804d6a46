package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;

import org.fssd.box.Box;

/**
 * One detection as the COCO protocol sees it (SPEC §10): a class label, a score and a box {@code
 * [x, y, w, h]} in pixels, as a COCO results file holds it.
 *
 * @param classIndex class label, 1..C-1
 * @param score the detection score, finite
 * @param x left edge
 * @param y top edge
 * @param w width (the official code does not check it; any finite value)
 * @param h height (any finite value)
 */
public record CocoDet(int classIndex, double score, double x, double y, double w, double h) {

  /**
   * Validates the detection.
   *
   * @throws IllegalArgumentException when the class is below 1 or a number is not finite
   */
  public CocoDet {
    checkArgument(classIndex >= 1, "classIndex must be >= 1 (0 is background), got %s", classIndex);
    checkArgument(Double.isFinite(score), "score must be finite, got %s", score);
    checkArgument(
        Double.isFinite(x) && Double.isFinite(y) && Double.isFinite(w) && Double.isFinite(h),
        "bbox must be finite, got [%s, %s, %s, %s]",
        x,
        y,
        w,
        h);
  }

  /**
   * A detection with 0-based inclusive-style corners, converted as the reference writes COCO
   * results: {@code [x1, y1, x2 - x1 + 1, y2 - y1 + 1]} (in double).
   */
  public static CocoDet of(ScoredBox d) {
    Box b = d.box();
    return new CocoDet(
        d.classIndex(),
        d.score(),
        b.x1(),
        b.y1(),
        (double) b.x2() - b.x1() + 1.0,
        (double) b.y2() - b.y1() + 1.0);
  }
}
