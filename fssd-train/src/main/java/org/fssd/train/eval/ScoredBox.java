package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import org.fssd.box.Box;
import org.fssd.detect.Detection;

/**
 * One detection as the evaluators see it: a class label, a score and a box in <b>0-based pixels of
 * the original image</b> (the frame of {@link Detection#box()} and of the stored ground truth).
 * Unlike {@link Detection} the score may be any finite number (result files of other detectors may
 * hold logits); only the order of scores matters to the evaluation.
 *
 * @param classIndex class label, 1..C-1
 * @param score the detection score, finite
 * @param box the box in 0-based pixels of the original image
 */
public record ScoredBox(int classIndex, double score, Box box) {

  /**
   * Validates the detection.
   *
   * @throws IllegalArgumentException when the class is below 1 or the score is not finite
   */
  public ScoredBox {
    checkArgument(classIndex >= 1, "classIndex must be >= 1 (0 is background), got %s",
        classIndex);
    checkArgument(Double.isFinite(score), "score must be finite, got %s", score);
    checkNotNull(box, "box");
  }

  /** The evaluation view of a detector's output (score widened to double exactly). */
  public static ScoredBox of(Detection d) {
    return new ScoredBox(d.classIndex(), d.score(), d.box());
  }
}
