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
   * The IoU of the published evaluation code: the detection written 1-based ({@code x + 1}), the
   * ground truth as in the VOC XML (the stored 0-based value + 1), side lengths {@code x2 - x1 + 1},
   * in double. Both boxes shift by the same 1, so this equals the pixel IoU of the 0-based boxes;
   * the shift is kept so the arithmetic is the published one operation for operation.
   */
  static double iou(Box det, Box gt) {
    double bx1 = det.x1() + 1.0;
    double by1 = det.y1() + 1.0;
    double bx2 = det.x2() + 1.0;
    double by2 = det.y2() + 1.0;
    double gx1 = gt.x1() + 1.0;
    double gy1 = gt.y1() + 1.0;
    double gx2 = gt.x2() + 1.0;
    double gy2 = gt.y2() + 1.0;
    double iw = Math.max(Math.min(gx2, bx2) - Math.max(gx1, bx1) + 1.0, 0.0);
    double ih = Math.max(Math.min(gy2, by2) - Math.max(gy1, by1) + 1.0, 0.0);
    double inter = iw * ih;
    double union = (bx2 - bx1 + 1.0) * (by2 - by1 + 1.0) + (gx2 - gx1 + 1.0) * (gy2 - gy1 + 1.0)
        - inter;
    return union > 0 ? inter / union : 0.0;
  }

  /**
   * Matches detections, already in evaluation order (descending score), against the ground truth
   * of their class in their image. Each detection takes the single GT with the highest IoU (the
   * first one on a tie, as {@code numpy.argmax}); if that IoU is strictly above 0.5: a difficult
   * (or crowd) GT makes it {@link Outcome#IGNORED}, an unused GT makes it a {@link Outcome#TP} and
   * marks the GT used, a used GT makes it a {@link Outcome#FP} (no fallback to the second best).
   * Otherwise, or when there is no GT, it is a FP.
   */
  static Outcome[] match(List<Box> detections, List<GtBox> gts) {
    Outcome[] out = new Outcome[detections.size()];
    boolean[] used = new boolean[gts.size()];
    for (int d = 0; d < out.length; d++) {
      Box box = detections.get(d);
      double best = Double.NEGATIVE_INFINITY;
      int jmax = -1;
      for (int j = 0; j < gts.size(); j++) {
        double o = iou(box, gts.get(j).box());
        if (o > best) {
          best = o;
          jmax = j;
        }
      }
      if (jmax >= 0 && best > IOU_THRESHOLD) {
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
