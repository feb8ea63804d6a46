package org.fssd.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.spark.sql.Row;
import org.fssd.box.Box;
import org.fssd.detect.Detection;
import org.fssd.detect.DetectionJson;
import org.junit.jupiter.api.Test;

/** The JSON line of one image's rows is DetectionJson's object for the same detections. */
class JsonLinesTest {
  @Test
  void rowsInAnyOrderGiveTheDetectorsScoreOrderedLine() {
    Detection cat = Detection.of(8, "cat", 0.5f, Box.of(1.5f, 2f, 30.25f, 40f));
    Detection dog = Detection.of(12, "dog", 0.9f, Box.of(10f, 20f, 300f, 200f));
    String line =
        JsonLines.line(
            "file:/a.jpg",
            List.of(
                    OutputRows.detection("file:/a.jpg", cat, 640, 480),
                    OutputRows.detection("file:/a.jpg", dog, 640, 480))
                .iterator());
    assertThat(line)
        .isEqualTo(DetectionJson.image("file:/a.jpg", 640, 480, List.of(dog, cat)).toString())
        .startsWith("{\"image\":\"file:/a.jpg\",\"width\":640,\"height\":480,")
        .contains("\"label\":\"dog\"");
    assertThat(line.indexOf("dog")).isLessThan(line.indexOf("cat"));
  }

  @Test
  void anErrorRowGivesTheErrorObject() {
    Row error = OutputRows.error("file:/b.jpg", "not an image");
    assertThat(JsonLines.line("file:/b.jpg", List.of(error).iterator()))
        .isEqualTo(DetectionJson.error("file:/b.jpg", "not an image").toString())
        .isEqualTo("{\"image\":\"file:/b.jpg\",\"error\":\"not an image\"}");
  }
}
