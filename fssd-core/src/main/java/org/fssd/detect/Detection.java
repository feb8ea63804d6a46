package org.fssd.detect;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Locale;
import org.fssd.box.Box;
import org.fssd.image.AnnotatedBox;
import org.fssd.model.Labels;

/**
 * One detected object: class index, class name, score and box.
 *
 * <p><b>Coordinates.</b> The {@link #box()} is in <b>pixels of the original image</b> (the image
 * given to the detector, before any resizing): x grows to the right, y grows downwards, {@code (x1,
 * y1)} is the top-left and {@code (x2, y2)} the bottom-right corner. Coordinates are floats, not
 * rounded, and not clipped to the image unless the detector was configured to clip (then they lie
 * in {@code [0, width] x [0, height]}). They are 0-based; the PASCAL VOC result files add 1.
 *
 * <p>Immutable and thread-safe. {@link #equals} compares all four fields exactly.
 */
public final class Detection {
  private final int classIndex;
  private final String label;
  private final float score;
  private final Box box;

  private Detection(int classIndex, String label, float score, Box box) {
    checkArgument(classIndex >= 1, "classIndex must be >= 1 (0 is background), got %s", classIndex);
    checkNotNull(label, "label");
    checkArgument(score >= 0f && score <= 1f, "score must be in [0, 1], got %s", score);
    this.classIndex = classIndex;
    this.label = label;
    this.score = score + 0.0f; // -0.0f -> 0.0f
    this.box = checkNotNull(box, "box");
  }

  /**
   * A detection.
   *
   * @param classIndex the network's class index, >= 1 (0 is background, never reported)
   * @param label the class name
   * @param score the class probability, in [0, 1]
   * @param box the box in pixels of the original image
   * @throws IllegalArgumentException if the index or score is out of range
   */
  public static Detection of(int classIndex, String label, float score, Box box) {
    return new Detection(classIndex, label, score, box);
  }

  /** The network's class index, >= 1 (see {@link Labels}). */
  public int classIndex() {
    return classIndex;
  }

  /** The class name. */
  public String label() {
    return label;
  }

  /** The class probability (softmax output), in [0, 1]. */
  public float score() {
    return score;
  }

  /** The box in pixels of the original image (see the class Javadoc). */
  public Box box() {
    return box;
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof Detection d
            && classIndex == d.classIndex
            && score == d.score
            && label.equals(d.label)
            && box.equals(d.box));
  }

  @Override
  public int hashCode() {
    int h = classIndex;
    h = 31 * h + label.hashCode();
    h = 31 * h + Float.floatToIntBits(score);
    return 31 * h + box.hashCode();
  }

  /** E.g. {@code Detection{15 person 0.93 Box[12.0, 30.5, 200.25, 410.0]}}. */
  @Override
  public String toString() {
    return "Detection{" + classIndex + " " + label + " " + score + " " + box + "}";
  }

  /**
   * This detection as a box to draw ({@link org.fssd.image.Annotator}): the corners ordered (a
   * degenerate box drawn as a line, not refused), the class index for the colour, and the caption
   * {@code "label 0.93"}. The one place the CLI and the service turn detections into pictures.
   */
  public AnnotatedBox annotated() {
    return new AnnotatedBox(
        box.x1(),
        box.y1(),
        Math.max(box.x1(), box.x2()),
        Math.max(box.y1(), box.y2()),
        classIndex,
        String.format(Locale.ROOT, "%s %.2f", label, score));
  }
}
