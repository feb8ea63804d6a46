package org.fssd.image;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.fssd.Checks.atLeast;

/**
 * One box for {@link Annotator} to draw: corners in <b>pixels of the image drawn on</b> (x right, y
 * down, (x1, y1) top-left, (x2, y2) bottom-right; fractional values are rounded, values outside the
 * image are clipped when drawing), the class index that picks the colour, and a caption (for
 * example "dog 0.87"; empty for none).
 *
 * @param x1 left edge, pixels
 * @param y1 top edge, pixels
 * @param x2 right edge, pixels
 * @param y2 bottom edge, pixels
 * @param classIndex class index, at least 0; picks the colour from {@link Annotator}'s palette
 * @param caption text drawn above the box; Hershey fonts draw ASCII only (others show as '?')
 */
public record AnnotatedBox(float x1, float y1, float x2, float y2, int classIndex, String caption) {

  /**
   * Validates the box.
   *
   * @throws IllegalArgumentException when a coordinate is not finite, {@code x2 < x1}, {@code y2 <
   *     y1} or {@code classIndex < 0}
   */
  public AnnotatedBox {
    checkArgument(
        Float.isFinite(x1) && Float.isFinite(y1) && Float.isFinite(x2) && Float.isFinite(y2),
        "box corners must be finite, got (%s, %s, %s, %s)",
        x1,
        y1,
        x2,
        y2);
    checkArgument(
        x2 >= x1 && y2 >= y1,
        "box needs x2 >= x1 and y2 >= y1, got (%s, %s, %s, %s)",
        x1,
        y1,
        x2,
        y2);
    atLeast("classIndex", 0, classIndex);
    checkNotNull(caption, "caption");
  }
}
