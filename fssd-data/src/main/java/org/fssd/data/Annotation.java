package org.fssd.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * The annotation of one image: an id (VOC file stem, COCO image id, file name, ...), where the
 * image lives (a path or another locator; empty for generated images), the original image size in
 * pixels and its ground-truth objects.
 *
 * @param id image id, unique within its dataset
 * @param image the image location (a file path as a string), or {@code ""} for generated images
 * @param width original image width in pixels, at least 1
 * @param height original image height in pixels, at least 1
 * @param boxes the objects, in file order (an immutable copy is stored)
 */
public record Annotation(String id, String image, int width, int height, List<GtBox> boxes) {

  /**
   * Validates the annotation and stores an immutable copy of the boxes.
   *
   * @throws IllegalArgumentException when width or height is not positive
   */
  public Annotation {
    checkNotNull(id, "id");
    checkNotNull(image, "image");
    checkArgument(
        width >= 1 && height >= 1, "image %s: size must be positive, got %sx%s", id, width, height);
    boxes = ImmutableList.copyOf(checkNotNull(boxes, "boxes"));
  }

  /** The objects that are training targets ({@link GtBox#isTrainingTarget(boolean)}). */
  public List<GtBox> trainingBoxes(boolean keepDifficult) {
    ImmutableList.Builder<GtBox> b = ImmutableList.builder();
    for (GtBox g : boxes) {
      if (g.isTrainingTarget(keepDifficult)) {
        b.add(g);
      }
    }
    return b.build();
  }
}
