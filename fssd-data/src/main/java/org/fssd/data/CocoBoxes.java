package org.fssd.data;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * What COCO's instances file and a COCO results file have in common: boxes as {@code [x, y, w, h]}
 * doubles with an area, and JSON that can be malformed. Shared by the dataset loader and the
 * evaluation so that both accept the same boxes and report a bad file in the same words.
 */
public final class CocoBoxes {
  private CocoBoxes() {}

  /**
   * Checks an {@code [x, y, w, h]} box and its area.
   *
   * @throws IllegalArgumentException when a value is not finite or a size or the area negative
   */
  public static void checkXywh(double x, double y, double w, double h, double area) {
    checkArgument(
        Double.isFinite(x) && Double.isFinite(y), "x, y must be finite, got %s, %s", x, y);
    checkArgument(
        Double.isFinite(w) && Double.isFinite(h) && w >= 0 && h >= 0,
        "w, h must be finite and >= 0, got %s, %s",
        w,
        h);
    checkArgument(Double.isFinite(area) && area >= 0, "area must be finite and >= 0, got %s", area);
  }

  /**
   * Where and why Jackson gave up on a file: {@code malformed JSON at line L, column C: reason}, to
   * follow the file's name in an exception message.
   */
  public static String malformed(JsonProcessingException e) {
    return "malformed JSON at line "
        + e.getLocation().getLineNr()
        + ", column "
        + e.getLocation().getColumnNr()
        + ": "
        + e.getOriginalMessage();
  }
}
