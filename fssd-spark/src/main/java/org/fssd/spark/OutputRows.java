package org.fssd.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.fssd.box.Box;
import org.fssd.detect.Detection;

/**
 * The rows of {@link FssdSpark#OUTPUT_SCHEMA} made and read in one place, so that the column order
 * is written down once: image, class, label, score, x1, y1, x2, y2, error, width, height.
 */
final class OutputRows {
  private static final int IMAGE = 0;
  private static final int CLASS = 1;
  private static final int LABEL = 2;
  private static final int SCORE = 3;
  private static final int X1 = 4;
  private static final int ERROR = 8;
  private static final int WIDTH = 9;
  private static final int HEIGHT = 10;

  private OutputRows() {}

  /** The row of one detection in an image of {@code width} x {@code height} pixels. */
  static Row detection(String image, Detection d, int width, int height) {
    Box b = d.box();
    return RowFactory.create(
        image,
        d.classIndex(),
        d.label(),
        d.score(),
        b.x1(),
        b.y1(),
        b.x2(),
        b.y2(),
        null,
        width,
        height);
  }

  /** The one row of an image that could not be processed: every other column null. */
  static Row error(String image, String message) {
    return RowFactory.create(image, null, null, null, null, null, null, null, message, null, null);
  }

  static String image(Row r) {
    return r.getString(IMAGE);
  }

  /** The error message of an error row, or null for a detection row. */
  static String errorOrNull(Row r) {
    return r.isNullAt(ERROR) ? null : r.getString(ERROR);
  }

  static int width(Row r) {
    return r.getInt(WIDTH);
  }

  static int height(Row r) {
    return r.getInt(HEIGHT);
  }

  /** The detection of a detection row. */
  static Detection toDetection(Row r) {
    return Detection.of(
        r.getInt(CLASS),
        r.getString(LABEL),
        r.getFloat(SCORE),
        Box.of(r.getFloat(X1), r.getFloat(X1 + 1), r.getFloat(X1 + 2), r.getFloat(X1 + 3)));
  }
}
