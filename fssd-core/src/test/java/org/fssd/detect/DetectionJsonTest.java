package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.fssd.box.Box;
import org.junit.jupiter.api.Test;

class DetectionJsonTest {
  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  void imageWithDetectionsInTheGivenOrder() throws Exception {
    List<Detection> found =
        List.of(
            Detection.of(12, "dog", 0.75f, Box.of(1.5f, 2f, 30f, 40.25f)),
            Detection.of(3, "bird", 0.5f, Box.of(-1f, 0f, 5f, 6f)));
    String json = mapper.writeValueAsString(DetectionJson.image("a/dog.jpg", 640, 480, found));
    assertThat(json)
        .isEqualTo(
            "{\"image\":\"a/dog.jpg\",\"width\":640,\"height\":480,\"detections\":["
                + "{\"class\":12,\"label\":\"dog\",\"score\":0.75,\"box\":[1.5,2.0,30.0,40.25]},"
                + "{\"class\":3,\"label\":\"bird\",\"score\":0.5,\"box\":[-1.0,0.0,5.0,6.0]}]}");
  }

  @Test
  void imageWithoutDetectionsHasAnEmptyList() throws Exception {
    assertThat(mapper.writeValueAsString(DetectionJson.image("upload", 3, 2, List.of())))
        .isEqualTo("{\"image\":\"upload\",\"width\":3,\"height\":2,\"detections\":[]}");
  }

  @Test
  void errorEntry() throws Exception {
    assertThat(mapper.writeValueAsString(DetectionJson.error("x.png", "image x.png: not an image")))
        .isEqualTo("{\"image\":\"x.png\",\"error\":\"image x.png: not an image\"}");
  }
}
