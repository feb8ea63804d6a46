package org.fssd.data;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * One COCO annotation exactly as the instances JSON holds it, for the official evaluation (SPEC
 * §10): the {@code bbox} {@code [x, y, w, h]} as doubles (not clipped, not rounded to float), the
 * annotation's {@code area} (COCO's segmentation area, which decides small/medium/large; the box
 * area {@code w * h} when the file has no {@code area}) and {@code iscrowd}.
 *
 * @param annotationId the annotation's {@code id}, or -1 when the file has none
 * @param label the dataset label of its category, 1..K
 * @param x left edge in pixels
 * @param y top edge in pixels
 * @param w width in pixels, >= 0
 * @param h height in pixels, >= 0
 * @param area the area for the area ranges, >= 0
 * @param crowd {@code iscrowd != 0}
 */
public record CocoObject(
    long annotationId,
    int label,
    double x,
    double y,
    double w,
    double h,
    double area,
    boolean crowd) {

  /**
   * Validates the object.
   *
   * @throws IllegalArgumentException when the label is below 1 or a value is not finite or a size
   *     or the area negative
   */
  public CocoObject {
    checkArgument(label >= 1, "label must be >= 1, got %s", label);
    CocoBoxes.checkXywh(x, y, w, h, area);
  }
}
