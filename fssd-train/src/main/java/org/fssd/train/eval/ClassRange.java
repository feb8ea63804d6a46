package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The class-index check both evaluators make before taking an image: a label outside the detector's
 * classes would index past the per-class lists, so it is refused with the image named.
 */
final class ClassRange {
  private ClassRange() {}

  /**
   * @throws IllegalArgumentException when a ground-truth label or detection class is not below
   *     {@code numClasses}
   */
  static <G, D> void check(
      String imageId,
      int numClasses,
      List<G> gts,
      ToIntFunction<G> gtLabel,
      List<D> detections,
      ToIntFunction<D> detClass) {
    for (G g : gts) {
      int label = gtLabel.applyAsInt(g);
      checkArgument(
          label < numClasses,
          "image %s: ground-truth label %s is not in 1..%s",
          imageId,
          label,
          numClasses - 1);
    }
    for (D d : detections) {
      int cls = detClass.applyAsInt(d);
      checkArgument(
          cls < numClasses,
          "image %s: detection class %s is not in 1..%s",
          imageId,
          cls,
          numClasses - 1);
    }
  }
}
