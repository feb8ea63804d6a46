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
    checkEach(imageId, numClasses, gts, gtLabel, "ground-truth label");
    checkEach(imageId, numClasses, detections, detClass, "detection class");
  }

  private static <T> void checkEach(
      String imageId, int numClasses, List<T> items, ToIntFunction<T> cls, String what) {
    for (T item : items) {
      int k = cls.applyAsInt(item);
      checkArgument(
          k < numClasses, "image %s: %s %s is not in 1..%s", imageId, what, k, numClasses - 1);
    }
  }
}
