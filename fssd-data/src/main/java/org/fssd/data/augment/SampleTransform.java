package org.fssd.data.augment;

import java.util.List;
import java.util.SplittableRandom;
import org.fssd.data.GtBox;
import org.fssd.image.BgrImage;

/**
 * Turns a decoded image and its ground truth (pixels) into a network-ready {@link AugmentedSample}.
 * Implementations must be thread-safe and take all randomness from {@code r}.
 */
@FunctionalInterface
public interface SampleTransform {
  /** Transforms one image (not modified). */
  AugmentedSample apply(BgrImage image, List<GtBox> boxes, SplittableRandom r);

  /** Side S of the square output. */
  default int size() {
    return -1;
  }
}
