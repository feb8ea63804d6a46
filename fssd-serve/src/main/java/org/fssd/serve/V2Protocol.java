package org.fssd.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.fssd.detect.Detection;

/**
 * The JSON tensors of the Open Inference Protocol (KServe v2) as this server speaks them: model
 * metadata, and the request and response of {@code POST /v2/models/NAME/infer}.
 *
 * <p>The served "model" is the whole detector (decoding, resizing, network, box decoding and NMS),
 * so its one input is the encoded image: {@code image}, datatype {@code BYTES}, shape {@code [N]},
 * each element one JPEG/PNG/... file as a base64 string (a JSON tensor carries {@code BYTES}
 * elements as strings, and base64 is how binary files travel in them). Its outputs are the
 * detections of all N images in one ragged list of D rows: {@code boxes} FP32 {@code [D, 4]} (x1,
 * y1, x2, y2 in pixels of the image), {@code scores} FP32 {@code [D]}, {@code classes} INT32 {@code
 * [D]} (the index /v1/detect reports), {@code labels} BYTES {@code [D]} and {@code image_index}
 * INT32 {@code [D]} (which input image the row belongs to). Request {@code parameters} {@code
 * threshold} and {@code max} act as /v1/detect's query parameters, per image. The binary tensor
 * extension and preprocessed FP32 input are not offered (see the README).
 */
final class V2Protocol {
  static final String INPUT = "image";
  static final List<String> OUTPUTS =
      List.of("boxes", "scores", "classes", "labels", "image_index");

  private V2Protocol() {}

  /** A parsed inference request. */
  record Request(String id, List<byte[]> images, float threshold, int max, Set<String> outputs) {}

  /** The model metadata answer of {@code GET /v2/models/NAME}. */
  static ObjectNode metadata(ObjectMapper mapper, String name) {
    ObjectNode o = mapper.createObjectNode();
    o.put("name", name);
    o.put("platform", "fssd4j");
    tensor(o.putArray("inputs"), INPUT, "BYTES", -1);
    ArrayNode out = o.putArray("outputs");
    tensor(out, "boxes", "FP32", -1, 4);
    tensor(out, "scores", "FP32", -1);
    tensor(out, "classes", "INT32", -1);
    tensor(out, "labels", "BYTES", -1);
    tensor(out, "image_index", "INT32", -1);
    return o;
  }

  private static void tensor(ArrayNode list, String name, String datatype, int... shape) {
    ObjectNode t = list.addObject();
    t.put("name", name);
    t.put("datatype", datatype);
    ArrayNode s = t.putArray("shape");
    for (int d : shape) {
      s.add(d);
    }
  }

  /**
   * Parses an inference request body.
   *
   * @throws ApiException 400 {@code bad_request} naming what is wrong
   */
  static Request parse(ObjectMapper mapper, byte[] body, float defaultThreshold) {
    JsonNode root;
    try {
      root = mapper.readTree(body);
    } catch (JsonProcessingException e) {
      throw bad("the body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw bad("the body could not be read as JSON: " + e);
    }
    if (root == null || !root.isObject()) {
      throw bad("the body must be a JSON object with \"inputs\"");
    }
    String id = root.hasNonNull("id") ? root.get("id").asText() : null;
    JsonNode inputs = root.get("inputs");
    if (inputs == null || !inputs.isArray() || inputs.size() != 1) {
      throw bad("\"inputs\" must be an array of exactly one tensor, named '" + INPUT + "'");
    }
    JsonNode in = inputs.get(0);
    if (!INPUT.equals(in.path("name").asText())) {
      throw bad(
          "the input is named '"
              + in.path("name").asText()
              + "'; this model's input is '"
              + INPUT
              + "'");
    }
    if (!"BYTES".equals(in.path("datatype").asText())) {
      throw bad(
          "input '"
              + INPUT
              + "' has datatype "
              + in.path("datatype")
              + "; it must be BYTES"
              + " (encoded images as base64 strings)");
    }
    if (in.path("parameters").has("binary_data_size")) {
      throw bad(
          "the binary tensor data extension is not supported; send the images as base64 strings");
    }
    JsonNode shape = in.get("shape");
    if (shape == null || !shape.isArray() || shape.isEmpty()) {
      throw bad("input '" + INPUT + "' needs a \"shape\" such as [N]");
    }
    long elements = 1;
    for (JsonNode d : shape) {
      if (!d.canConvertToInt() || !d.isIntegralNumber() || d.asInt() < 0) {
        throw bad("the shape " + shape + " must hold whole numbers >= 0");
      }
      elements *= d.asInt();
    }
    List<String> data = new ArrayList<>();
    flatten(in.get("data"), data);
    if (data.size() != elements) {
      throw bad(
          "the shape "
              + shape
              + " asks for "
              + elements
              + " element(s) but \"data\" has "
              + data.size());
    }
    if (data.isEmpty()) {
      throw bad("no image in input '" + INPUT + "'");
    }
    List<byte[]> images = new ArrayList<>(data.size());
    for (int i = 0; i < data.size(); i++) {
      try {
        images.add(Base64.getDecoder().decode(data.get(i)));
      } catch (IllegalArgumentException e) {
        throw bad("element " + i + " of input '" + INPUT + "' is not base64: " + e.getMessage());
      }
    }
    JsonNode params = root.path("parameters");
    float threshold = defaultThreshold;
    if (params.has("threshold")) {
      JsonNode t = params.get("threshold");
      if (!t.isNumber() || t.asDouble() < 0 || t.asDouble() > 1) {
        throw bad("parameter threshold=" + t + " is not a number in [0, 1]");
      }
      threshold = (float) t.asDouble();
    }
    int max = Integer.MAX_VALUE;
    if (params.has("max")) {
      JsonNode m = params.get("max");
      if (!m.isIntegralNumber() || !m.canConvertToInt() || m.asInt() < 0) {
        throw bad("parameter max=" + m + " is not a whole number >= 0");
      }
      max = m.asInt();
    }
    Set<String> outputs = new LinkedHashSet<>(OUTPUTS);
    JsonNode wanted = root.get("outputs");
    if (wanted != null && !wanted.isNull()) {
      if (!wanted.isArray()) {
        throw bad("\"outputs\" must be an array of {\"name\": ...}");
      }
      outputs.clear();
      for (JsonNode o : wanted) {
        String n = o.path("name").asText();
        if (!OUTPUTS.contains(n)) {
          throw bad("no output named '" + n + "'; the outputs are " + OUTPUTS);
        }
        if (o.path("parameters").path("binary_data").asBoolean(false)) {
          throw bad("the binary tensor data extension is not supported (output '" + n + "')");
        }
        outputs.add(n);
      }
    }
    return new Request(id, images, threshold, max, outputs);
  }

  /** The tensor's elements in row-major order: strings, flat or nested in arrays as the shape. */
  private static void flatten(JsonNode node, List<String> out) {
    if (node == null || !node.isArray()) {
      throw bad("input '" + INPUT + "' needs \"data\", an array of base64 strings");
    }
    for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
      JsonNode e = it.next();
      if (e.isArray()) {
        flatten(e, out);
      } else if (e.isTextual()) {
        out.add(e.asText());
      } else {
        throw bad("the elements of a BYTES tensor are strings, got " + e.getNodeType());
      }
    }
  }

  /** The inference answer: the detections of every image, in the outputs asked for. */
  static ObjectNode response(
      ObjectMapper mapper, String model, Request request, List<List<Detection>> perImage) {
    int rows = perImage.stream().mapToInt(List::size).sum();
    ObjectNode o = mapper.createObjectNode();
    o.put("model_name", model);
    if (request.id() != null) {
      o.put("id", request.id());
    }
    ArrayNode outputs = o.putArray("outputs");
    for (String name : request.outputs()) {
      ObjectNode t = outputs.addObject();
      t.put("name", name);
      ArrayNode data;
      switch (name) {
        case "boxes" -> {
          header(t, "FP32", rows, 4);
          data = t.putArray("data");
          for (List<Detection> ds : perImage) {
            for (Detection d : ds) {
              data.add(d.box().x1()).add(d.box().y1()).add(d.box().x2()).add(d.box().y2());
            }
          }
        }
        case "scores" -> {
          header(t, "FP32", rows);
          data = t.putArray("data");
          perImage.forEach(ds -> ds.forEach(d -> data.add(d.score())));
        }
        case "classes" -> {
          header(t, "INT32", rows);
          data = t.putArray("data");
          perImage.forEach(ds -> ds.forEach(d -> data.add(d.classIndex())));
        }
        case "labels" -> {
          header(t, "BYTES", rows);
          data = t.putArray("data");
          perImage.forEach(ds -> ds.forEach(d -> data.add(d.label())));
        }
        case "image_index" -> {
          header(t, "INT32", rows);
          data = t.putArray("data");
          for (int i = 0; i < perImage.size(); i++) {
            for (int k = 0; k < perImage.get(i).size(); k++) {
              data.add(i);
            }
          }
        }
        default -> throw new IllegalStateException("unknown output " + name);
      }
    }
    return o;
  }

  private static void header(ObjectNode t, String datatype, int... shape) {
    t.put("datatype", datatype);
    ArrayNode s = t.putArray("shape");
    for (int d : shape) {
      s.add(d);
    }
  }

  private static ApiException bad(String detail) {
    return new ApiException(400, "bad_request", detail);
  }
}
