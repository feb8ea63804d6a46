package org.fssd.train.eval;

import java.util.List;
import org.fssd.box.Box;
import org.fssd.data.GtBox;

/**
 * SPEC §10: the PASCAL VOC matching rule for the detections of one class in one image.
 * Package-private: {@link ApAccumulator} is the public entry.
 */
final class VocMatcher {
  /** What one detection counted as. */
  enum Outcome {
    TP,
    FP,
    IGNORED
  }

  /** Overlap needed: strictly more than this. */
  static final double IOU_THRESHOLD = 0.5;

  private VocMatcher() {}

  /**
   * The IoU of the published evaluation code for two proper boxes: the detection written 1-based
   * ({@code x + 1}), the ground truth as in the VOC XML (the stored 0-based value + 1).
   */
  static double iou(Box det, Box gt) {
    return iou(det.x1() + 1.0, det.y1() + 1.0, det.x2() + 1.0, det.y2() + 1.0, gt);
  }

  /**
   * The overlap {@code voc_eval} computes between a detection {@code bb} as written in a result
   * file (1-based, in double, corners possibly swapped) and one ground-truth box, operation for
   * operation in float64 as numpy does:
   *
   * <pre>
   * iw = max(min(gx2, bx2) - max(gx1, bx1) + 1, 0);  ih likewise
   * inters = iw * ih
   * uni = (bx2 - bx1 + 1) * (by2 - by1 + 1) + (gx2 - gx1 + 1) * (gy2 - gy1 + 1) - inters
   * overlap = inters / uni
   * </pre>
   *
   * <p>For a proper box ({@code x1 <= x2, y1 <= y2}) the union is positive and this is the pixel
   * IoU. For swapped corners the detection's own "area" term may be zero or negative and the
   * division is done anyway, with IEEE results identical to numpy's: {@code uni < 0} gives a
   * negative or {@code -0.0} overlap, {@code uni == 0} gives {@code +inf} when {@code inters > 0}
   * (which happens when a corner is swapped by less than one pixel: {@code iw = x1 - x2 + 1 > 0})
   * and {@code NaN} when {@code inters == 0}. {@link #match} then treats them as {@code
   * np.max}/{@code np.argmax} do.
   */
  static double iou(double bx1, double by1, double bx2, double by2, Box gt) {
    double gx1 = gt.x1() + 1.0;
    double gy1 = gt.y1() + 1.0;
    double gx2 = gt.x2() + 1.0;
    double gy2 = gt.y2() + 1.0;
    double iw = Math.max(Math.min(gx2, bx2) - Math.max(gx1, bx1) + 1.0, 0.0);
    double ih = Math.max(Math.min(gy2, by2) - Math.max(gy1, by1) + 1.0, 0.0);
    double inter = iw * ih;
    double union =
        (bx2 - bx1 + 1.0) * (by2 - by1 + 1.0) + (gx2 - gx1 + 1.0) * (gy2 - gy1 + 1.0) - inter;
    return inter / union;
  }

  /**
   * Matches detections, already in evaluation order (descending score), against the ground truth of
   * their class in their image. Each detection takes the single GT with the highest overlap ({@link
   * #iou(double, double, double, double, Box)}; the first one on a tie, as {@code numpy.argmax});
   * if that overlap is strictly above 0.5: a difficult (or crowd) GT makes it {@link
   * Outcome#IGNORED}, an unused GT makes it a {@link Outcome#TP} and marks the GT used, a used GT
   * makes it a {@link Outcome#FP} (no fallback to the second best). Otherwise, or when there is no
   * GT, it is a FP. As {@code np.max} propagates NaN, an overlap of NaN with any GT makes the
   * maximum NaN, which is not above 0.5: a FP; {@code +inf} is a maximum like any other (only
   * swapped corners produce either).
   */
  static Outcome[] match(List<ScoredBox> detections, List<GtBox> gts) {
    Outcome[] out = new Outcome[detections.size()];
    boolean[] used = new boolean[gts.size()];
    for (int d = 0; d < out.length; d++) {
      ScoredBox det = detections.get(d);
      double best = Double.NEGATIVE_INFINITY;
      int jmax = -1;
      boolean nan = false;
      for (int j = 0; j < gts.size(); j++) {
        double o = iou(det.vocX1(), det.vocY1(), det.vocX2(), det.vocY2(), gts.get(j).box());
        if (Double.isNaN(o)) {
          nan = true;
        } else if (o > best) {
          best = o;
          jmax = j;
        }
      }
      if (!nan && jmax >= 0 && best > IOU_THRESHOLD) {
        GtBox g = gts.get(jmax);
        if (g.difficult() || g.crowd()) {
          out[d] = Outcome.IGNORED;
        } else if (!used[jmax]) {
          used[jmax] = true;
          out[d] = Outcome.TP;
        } else {
          out[d] = Outcome.FP;
        }
      } else {
        out[d] = Outcome.FP;
      }
    }
    return out;
  }
}
