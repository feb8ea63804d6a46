package org.fssd.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import org.fssd.box.Box;

/**
 * One ground-truth object of an {@link Annotation}: a box in <b>pixels of the original image</b> (x
 * right, y down; the pixel convention of the dataset it came from, see each dataset's Javadoc), its
 * class label in 1..C-1 (0 is background and never a ground-truth label), and two flags.
 *
 * <ul>
 *   <li>{@code difficult}: PASCAL VOC's "difficult" object. Ignored by VOC evaluation (SPEC §10);
 *       used as a training target only when the dataset keeps difficult objects.
 *   <li>{@code crowd}: COCO's {@code iscrowd}. Never a training target; kept for evaluation.
 * </ul>
 *
 * @param box the box in pixels of the original image
 * @param label class label, 1..C-1
 * @param difficult VOC "difficult" flag
 * @param crowd COCO "iscrowd" flag
 */
public record GtBox(Box box, int label, boolean difficult, boolean crowd) {

  /**
   * Validates the object.
   *
   * @throws IllegalArgumentException when {@code label < 1}
   */
  public GtBox {
    checkNotNull(box, "box");
    checkArgument(label >= 1, "label must be >= 1 (0 is background), got %s", label);
  }

  /** A plain object: not difficult, not crowd. */
  public static GtBox of(Box box, int label) {
    return new GtBox(box, label, false, false);
  }

  /**
   * Whether this object is a training target: never when {@link #crowd()}, and when {@link
   * #difficult()} only if {@code keepDifficult}.
   */
  public boolean isTrainingTarget(boolean keepDifficult) {
    return !crowd && (keepDifficult || !difficult);
  }
}
