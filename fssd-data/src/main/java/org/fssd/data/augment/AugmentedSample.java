package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

/**
 * A sample ready for the network: the image as a float CHW tensor {@code [3][S][S]} (channel 0 = B,
 * means subtracted; element {@code (c * S + y) * S + x}), and its boxes in <b>relative [0, 1]
 * coordinates of that square</b> (point form, 4 floats per box), labels 1..C-1 and a per-box weight
 * (1 from {@link TrainTransform}; lam or 1 - lam from {@link Mixup}).
 *
 * <p>The arrays are owned by the record; callers must not modify them.
 *
 * @param image the CHW tensor, {@code 3 * size * size} floats
 * @param size S
 * @param boxes relative point-form boxes, {@code 4 * labels.length} floats
 * @param labels labels 1..C-1
 * @param weights per-box weights, {@code labels.length} floats
 */
public record AugmentedSample(
    float[] image, int size, float[] boxes, int[] labels, float[] weights) {

  /** Validates the array lengths. */
  public AugmentedSample {
    checkNotNull(image, "image");
    checkArgument(
        image.length == 3 * size * size,
        "image has %s floats, expected 3*%s*%s",
        image.length,
        size,
        size);
    checkArgument(
        boxes.length == 4 * labels.length && weights.length == labels.length,
        "inconsistent lengths: %s box floats, %s labels, %s weights",
        boxes.length,
        labels.length,
        weights.length);
  }

  /** Number of boxes. */
  public int count() {
    return labels.length;
  }
}
