package org.fssd.data;

import java.util.List;
import org.fssd.image.BgrImage;
import org.fssd.model.Labels;

/**
 * A list of annotated images for training or evaluating a detector. Index {@code i} in {@code 0 ..
 * size()-1} names one image; annotations are held in memory, images are decoded on demand.
 *
 * <p>Implementations are immutable after construction and thread-safe: {@link #annotation(int)} and
 * {@link #loadImage(int)} may be called from many threads at once (the batching iterator does).
 */
public interface DetectionDataset {

  /** A short name for logs and reports, e.g. {@code "VOC2007-trainval+VOC2012-trainval"}. */
  String name();

  /** Class names; ground-truth labels are 1..{@code labels().numClasses()-1}. */
  Labels labels();

  /** Number of images. */
  int size();

  /**
   * The annotation of image {@code index}: boxes in pixels of the original image.
   *
   * @throws IndexOutOfBoundsException when index is not in {@code 0 .. size()-1}
   */
  Annotation annotation(int index);

  /**
   * Decodes image {@code index} as 8-bit BGR (the caller closes it). Its size equals the
   * annotation's width and height (datasets check this and throw when a file disagrees).
   *
   * @throws org.fssd.ImageDecodeException when the image cannot be read
   * @throws IndexOutOfBoundsException when index is not in {@code 0 .. size()-1}
   */
  BgrImage loadImage(int index);

  /**
   * Image {@code index} with its annotation (the caller closes it). The default calls {@link
   * #annotation(int)} and {@link #loadImage(int)}; generated datasets render once.
   */
  default Sample sample(int index) {
    return new Sample(annotation(index), loadImage(index));
  }

  /**
   * Whether VOC "difficult" objects are training targets. {@code true} in the reference (its VOC
   * loader keeps them); crowd objects never are.
   */
  default boolean keepDifficult() {
    return true;
  }

  /** The training targets of image {@code index} ({@link Annotation#trainingBoxes(boolean)}). */
  default List<GtBox> trainingBoxes(int index) {
    return annotation(index).trainingBoxes(keepDifficult());
  }

  /** What was skipped while loading (empty for generated datasets). */
  default DataProblems problems() {
    return new DataProblems(BadInputPolicy.FAIL);
  }
}
