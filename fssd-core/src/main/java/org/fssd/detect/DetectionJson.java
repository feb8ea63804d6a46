package org.fssd.detect;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;

/**
 * The detection JSON of one image, the same for every front-end ({@code fssd detect}, the HTTP
 * service's {@code POST /v1/detect}):
 *
 * <pre>{@code
 * {"image": "dog.jpg", "width": 640, "height": 480,
 *  "detections": [{"class": 12, "label": "dog", "score": 0.93, "box": [x1, y1, x2, y2]}]}
 * }</pre>
 *
 * <p>{@code class} is the 1-based class index (0 is background and never reported), {@code box} the
 * corners in pixels of the original image, detections in the order given (score-descending from a
 * detector). An image that could not be read is {@code {"image": NAME, "error": MESSAGE}}. Numbers
 * are written as Jackson writes a float (shortest text that reads back the same float). Stateless
 * and thread-safe.
 */
public final class DetectionJson {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private DetectionJson() {}

  /** The JSON of one image's detections ({@code width} and {@code height} in pixels). */
  public static ObjectNode image(String name, int width, int height, List<Detection> found) {
    Objects.requireNonNull(name, "name");
    ObjectNode o = NODES.objectNode();
    o.put("image", name);
    o.put("width", width);
    o.put("height", height);
    ArrayNode dets = o.putArray("detections");
    for (Detection d : found) {
      dets.add(detection(d));
    }
    return o;
  }

  /** The JSON of one detection: {@code {"class", "label", "score", "box": [x1, y1, x2, y2]}}. */
  public static ObjectNode detection(Detection d) {
    ObjectNode j = NODES.objectNode();
    j.put("class", d.classIndex());
    j.put("label", d.label());
    j.put("score", d.score());
    j.putArray("box").add(d.box().x1()).add(d.box().y1()).add(d.box().x2()).add(d.box().y2());
    return j;
  }

  /** The entry of an image that could not be read: {@code {"image": name, "error": message}}. */
  public static ObjectNode error(String name, String message) {
    return NODES
        .objectNode()
        .put("image", Objects.requireNonNull(name, "name"))
        .put("error", message);
  }
}
