package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;

import org.fssd.data.CocoBoxes;
import org.fssd.data.CocoObject;
import org.fssd.data.GtBox;

/**
 * SPEC §10: one ground-truth object as the COCO protocol sees it: a box {@code [x, y, w, h]} in
 * pixels, an area (the annotation's {@code area}, which decides small/medium/large), and the {@code
 * iscrowd} and {@code ignore} flags.
 *
 * @param classIndex class label, 1..C-1
 * @param x left edge
 * @param y top edge
 * @param w width, >= 0
 * @param h height, >= 0
 * @param area the object's area for the area ranges, >= 0
 * @param crowd COCO {@code iscrowd}: IoU uses the detection's area as denominator, may be matched
 *     many times, and matched detections are ignored
 * @param ignore ignored like a crowd object but with the usual IoU (used for VOC "difficult")
 */
public record CocoGt(
    int classIndex,
    double x,
    double y,
    double w,
    double h,
    double area,
    boolean crowd,
    boolean ignore) {

  /**
   * Validates the object.
   *
   * @throws IllegalArgumentException when the label is below 1, or a value is not finite or a size
   *     negative
   */
  public CocoGt {
    checkArgument(classIndex >= 1, "classIndex must be >= 1, got %s", classIndex);
    CocoBoxes.checkXywh(x, y, w, h, area);
  }

  /**
   * A COCO annotation exactly as the instances JSON holds it: its own {@code bbox} and {@code area}
   * (the segmentation area, which decides small/medium/large as in the official code) and {@code
   * iscrowd}.
   */
  public static CocoGt of(CocoObject o) {
    return new CocoGt(o.label(), o.x(), o.y(), o.w(), o.h(), o.area(), o.crowd(), false);
  }

  /**
   * A dataset object: its inclusive pixel corners become {@code [x1, y1, x2 - x1 + 1, y2 - y1 + 1]}
   * (for {@link org.fssd.data.CocoDataset} this gives back the file's box unless the loader clipped
   * it), area {@code w * h} (the box area; for COCO data {@link #of(CocoObject)} has the file's own
   * area); VOC "difficult" becomes {@code ignore}.
   */
  public static CocoGt of(GtBox g) {
    double w = (double) g.box().x2() - g.box().x1() + 1.0;
    double h = (double) g.box().y2() - g.box().y1() + 1.0;
    return new CocoGt(g.label(), g.box().x1(), g.box().y1(), w, h, w * h, g.crowd(), g.difficult());
  }
}
