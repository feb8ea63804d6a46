package org.fssd.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.fssd.box.PriorConfig;

/**
 * {@link FssdConfig} to and from JSON, field by field (no reflection, so renaming a Java field can
 * never silently change the file format). Missing or mistyped fields raise {@link
 * IllegalArgumentException} naming the field.
 */
public final class ConfigJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ConfigJson() {}

  /** The JSON form of a configuration. */
  public static ObjectNode toJson(FssdConfig c) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("inputSize", c.inputSize());
    n.put("numClasses", c.numClasses());
    n.put("batchNorm", c.batchNorm());
    n.put("fusionBatchNorm", c.fusionBatchNorm());
    Widths w = c.widths();
    ObjectNode wn = n.putObject("widths");
    ints(wn.putArray("base"), w.base());
    wn.put("conv6", w.conv6());
    wn.put("conv7", w.conv7());
    ints(wn.putArray("extras"), w.extras());
    ints(wn.putArray("fusion"), w.fusion());
    ints(wn.putArray("pyramid"), w.pyramid());
    PriorConfig p = c.priors();
    ObjectNode pn = n.putObject("priors");
    pn.put("imageSize", p.imageSize());
    ints(pn.putArray("featureMaps"), p.featureMaps());
    doubles(pn.putArray("steps"), p.steps());
    doubles(pn.putArray("minSizes"), p.minSizes());
    doubles(pn.putArray("maxSizes"), p.maxSizes());
    ArrayNode ratios = pn.putArray("aspectRatios");
    for (int[] r : p.aspectRatios()) {
      ints(ratios.addArray(), r);
    }
    doubles(pn.putArray("variances"), p.variances());
    pn.put("clip", p.clip());
    return n;
  }

  /** Parses the JSON form; throws {@link IllegalArgumentException} naming a bad field. */
  public static FssdConfig fromJson(JsonNode n) {
    JsonNode wn = field(n, "widths");
    Widths widths =
        Widths.of(
            intArray(wn, "base"),
            intField(wn, "conv6"),
            intField(wn, "conv7"),
            intArray(wn, "extras"),
            intArray(wn, "fusion"),
            intArray(wn, "pyramid"));
    JsonNode pn = field(n, "priors");
    JsonNode ratiosNode = field(pn, "aspectRatios");
    if (!ratiosNode.isArray()) {
      throw new IllegalArgumentException("priors.aspectRatios must be an array");
    }
    int[][] ratios = new int[ratiosNode.size()][];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = toInts(ratiosNode.get(i), "priors.aspectRatios[" + i + "]");
    }
    double[] variances = doubleArray(pn, "variances");
    if (variances.length != 2) {
      throw new IllegalArgumentException(
          "priors.variances must have 2 values, got " + variances.length);
    }
    PriorConfig priors =
        PriorConfig.builder()
            .imageSize(intField(pn, "imageSize"))
            .featureMaps(intArray(pn, "featureMaps"))
            .steps(doubleArray(pn, "steps"))
            .minSizes(doubleArray(pn, "minSizes"))
            .maxSizes(doubleArray(pn, "maxSizes"))
            .aspectRatios(ratios)
            .variances(variances[0], variances[1])
            .clip(boolField(pn, "clip"))
            .build();
    return FssdConfig.builder()
        .inputSize(intField(n, "inputSize"))
        .numClasses(intField(n, "numClasses"))
        .batchNorm(boolField(n, "batchNorm"))
        .fusionBatchNorm(n.has("fusionBatchNorm") && boolField(n, "fusionBatchNorm"))
        .widths(widths)
        .priors(priors)
        .build();
  }

  private static void ints(ArrayNode a, int[] v) {
    for (int x : v) {
      a.add(x);
    }
  }

  private static void doubles(ArrayNode a, double[] v) {
    for (double x : v) {
      a.add(x);
    }
  }

  private static JsonNode field(JsonNode n, String name) {
    JsonNode f = n == null ? null : n.get(name);
    if (f == null || f.isNull()) {
      throw new IllegalArgumentException("missing field '" + name + "'");
    }
    return f;
  }

  private static int intField(JsonNode n, String name) {
    JsonNode f = field(n, name);
    if (!f.canConvertToInt() || !f.isIntegralNumber()) {
      throw new IllegalArgumentException("field '" + name + "' must be an integer, got " + f);
    }
    return f.intValue();
  }

  private static boolean boolField(JsonNode n, String name) {
    JsonNode f = field(n, name);
    if (!f.isBoolean()) {
      throw new IllegalArgumentException("field '" + name + "' must be true or false, got " + f);
    }
    return f.booleanValue();
  }

  private static int[] intArray(JsonNode n, String name) {
    return toInts(field(n, name), name);
  }

  private static int[] toInts(JsonNode a, String name) {
    return elements(
            a, name, "integers", "an integer", e -> e.isIntegralNumber() && e.canConvertToInt())
        .stream()
        .mapToInt(JsonNode::intValue)
        .toArray();
  }

  private static double[] doubleArray(JsonNode n, String name) {
    return elements(field(n, name), name, "numbers", "a number", JsonNode::isNumber).stream()
        .mapToDouble(JsonNode::doubleValue)
        .toArray();
  }

  /**
   * The elements of the array field {@code name}, each accepted by {@code ok}; a message names the
   * field (or element) and what it must be: an array of {@code kinds}, each {@code kind}.
   */
  private static List<JsonNode> elements(
      JsonNode a, String name, String kinds, String kind, Predicate<JsonNode> ok) {
    if (!a.isArray()) {
      throw new IllegalArgumentException(
          "field '" + name + "' must be an array of " + kinds + ", got " + a);
    }
    List<JsonNode> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      JsonNode e = a.get(i);
      if (!ok.test(e)) {
        throw new IllegalArgumentException(
            "field '" + name + "[" + i + "]' must be " + kind + ", got " + e);
      }
      out.add(e);
    }
    return out;
  }
}
