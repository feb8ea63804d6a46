package org.fssd.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.MapGroupsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.fssd.detect.Detection;
import org.fssd.detect.DetectionJson;

/**
 * The JSON-lines form of the detection rows ({@link FssdSpark#OUTPUT_SCHEMA}): one line per image,
 * written by {@link DetectionJson}, so a line is exactly what {@code fssd detect --json} and the
 * HTTP service write for that image ({@code image}, {@code width}, {@code height}, {@code
 * detections} score-descending; an image that failed is {@code {"image", "error"}}). The rows are
 * grouped by image first because the Dataset has one row per detection; an image without any row
 * (no detection above the threshold) has no line, as it has no row.
 */
final class JsonLines {
  private JsonLines() {}

  /** One JSON line per image of {@code rows} (lazily computed, like any Dataset). */
  static Dataset<String> of(Dataset<Row> rows) {
    return rows.groupByKey((MapFunction<Row, String>) OutputRows::image, Encoders.STRING())
        .mapGroups((MapGroupsFunction<String, Row, String>) JsonLines::line, Encoders.STRING());
  }

  /** The line of image {@code image} from its rows (all with that image). */
  static String line(String image, Iterator<Row> rows) {
    List<Detection> found = new ArrayList<>();
    int width = 0;
    int height = 0;
    while (rows.hasNext()) {
      Row r = rows.next();
      String error = OutputRows.errorOrNull(r);
      if (error != null) {
        return DetectionJson.error(image, error).toString();
      }
      width = OutputRows.width(r);
      height = OutputRows.height(r);
      found.add(OutputRows.toDetection(r));
    }
    // Spark gives a group's rows in no particular order; the detector's order is by score.
    found.sort(Comparator.comparingDouble(Detection::score).reversed());
    ObjectNode json = DetectionJson.image(image, width, height, found);
    return json.toString();
  }
}
