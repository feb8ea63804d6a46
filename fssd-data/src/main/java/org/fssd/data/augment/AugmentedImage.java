package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The working state of one sample while the SPEC §8 steps run: an 8-bit BGR image (an OpenCV {@link
 * Mat} owned by this object), its boxes in <b>pixels of that image</b> (point form, 4 floats per
 * box) and their labels. Steps replace the image ({@link #replaceImage(Mat)} closes the old one)
 * and the box arrays.
 *
 * <p>Not thread-safe: one sample is augmented by one thread.
 */
public final class AugmentedImage implements AutoCloseable {
  private Mat image;
  private float[] boxes;
  private int[] labels;

  /**
   * Takes ownership of {@code image}.
   *
   * @param image a non-empty CV_8UC3 Mat
   * @param boxes point-form pixel boxes, {@code 4 * labels.length} floats (copied)
   * @param labels labels 1..C-1 (copied)
   */
  public AugmentedImage(Mat image, float[] boxes, int[] labels) {
    checkNotNull(image, "image");
    checkArgument(!image.empty() && image.type() == CV_8UC3, "image must be a non-empty CV_8UC3");
    checkBoxesFitLabels(boxes, labels);
    this.image = image;
    this.boxes = boxes.clone();
    this.labels = labels.clone();
  }

  /** The current image (owned by this object). */
  public Mat image() {
    return image;
  }

  /** Current width in pixels. */
  public int width() {
    return image.cols();
  }

  /** Current height in pixels. */
  public int height() {
    return image.rows();
  }

  /** The boxes (pixels of the current image), the live array. */
  public float[] boxes() {
    return boxes;
  }

  /** The labels, the live array. */
  public int[] labels() {
    return labels;
  }

  /** Number of boxes. */
  public int count() {
    return labels.length;
  }

  /** Replaces the image, closing the old one unless it is the same object. */
  public void replaceImage(Mat next) {
    checkNotNull(next, "next");
    if (next != image) {
      image.close();
      image = next;
    }
  }

  /** Replaces boxes and labels. */
  public void setBoxes(float[] boxes, int[] labels) {
    checkBoxesFitLabels(boxes, labels);
    this.boxes = boxes;
    this.labels = labels;
  }

  private static void checkBoxesFitLabels(float[] boxes, int[] labels) {
    checkArgument(
        boxes.length == 4 * labels.length,
        "boxes has %s floats for %s labels",
        boxes.length,
        labels.length);
  }

  /** Closes the image. */
  @Override
  public void close() {
    image.close();
  }
}
