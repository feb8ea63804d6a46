package org.fssd.data;

/**
 * The box sanity rule shared by all file datasets. A box in pixels of a W x H image is accepted
 * when it is finite, has {@code x2 > x1} and {@code y2 > y1}, and lies inside {@code [-1, W] x [-1,
 * H]} (one pixel of slack for the 1-based/0-based and float rounding conventions of real annotation
 * files). Accepted boxes are stored unchanged.
 */
final class BoxChecks {
  private BoxChecks() {}

  /** Null when the box is acceptable, else what is wrong with it. */
  static String problem(float x1, float y1, float x2, float y2, int width, int height) {
    String box = "box (" + x1 + ", " + y1 + ", " + x2 + ", " + y2 + ")";
    if (!(Float.isFinite(x1) && Float.isFinite(y1) && Float.isFinite(x2) && Float.isFinite(y2))) {
      return box + " is not finite";
    }
    if (!(x2 > x1 && y2 > y1)) {
      return box + " is degenerate (needs x2 > x1 and y2 > y1)";
    }
    if (x1 < -1f || y1 < -1f || x2 > width || y2 > height) {
      return box + " lies outside the " + width + "x" + height + " image";
    }
    return null;
  }
}
