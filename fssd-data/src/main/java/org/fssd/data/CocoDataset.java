package org.fssd.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.primitives.Ints;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fssd.box.Box;
import org.fssd.image.ImageLoader;
import org.fssd.model.Labels;

/**
 * MS COCO from an instances JSON file ({@code instances_train2014.json} ...) and its image
 * directory (SPEC §10). The JSON is read with Jackson's streaming parser, one element of {@code
 * images}, {@code annotations} and {@code categories} at a time, so the 300 MB training file does
 * not become one tree.
 *
 * <ul>
 *   <li><b>Labels</b>: the category ids (1..90 with gaps) map, in ascending id order, to labels
 *       1..80; names come from the file. {@link #categoryId(int)} maps back for result files.
 *   <li><b>Image ids</b> are preserved: {@link Annotation#id()} is the COCO image id as a string,
 *       {@link #imageId(int)} as a number. Images in the file order; images without objects are
 *       kept.
 *   <li><b>Boxes</b>: {@code [x, y, w, h]} in pixels become, like the reference loader, {@code x1 =
 *       max(0, x)}, {@code y1 = max(0, y)}, {@code x2 = min(W - 1, x1 + max(0, w - 1))}, {@code y2
 *       = min(H - 1, y1 + max(0, h - 1))} (inclusive pixel corners, the VOC convention); a box
 *       whose result has {@code x2 <= x1} or {@code y2 <= y1} (real COCO has a few sub-pixel boxes)
 *       is bad input (use {@link BadInputPolicy#SKIP} for the full sets).
 *   <li><b>Crowd</b> ({@code iscrowd = 1}) objects are kept with {@link GtBox#crowd()} set: they
 *       are never training targets, evaluation may use them.
 *   <li><b>Evaluation objects</b>: {@link #cocoObjects(int)} keeps each annotation as the file has
 *       it (double {@code bbox}, the annotation {@code area}, or {@code w * h} without one, {@code
 *       iscrowd}), which the official COCO evaluation needs.
 * </ul>
 *
 * <p>Malformed JSON, a missing field, an unknown image or category id, or a missing image file
 * follows the {@link BadInputPolicy}; messages name the file and the element (e.g. "annotations[12]
 * (id 9071)").
 */
public final class CocoDataset extends FileDataset {
  private final int[] categoryIds; // label - 1 -> category id
  private final long[] imageIds;
  private final List<List<CocoObject>> objects;
  private final Map<Long, Integer> indexOfImageId;
  private final Map<Integer, Integer> labelOfCategory;

  private CocoDataset(
      String name,
      Labels labels,
      List<Annotation> annotations,
      DataProblems problems,
      ImageLoader loader,
      int[] categoryIds,
      long[] imageIds,
      List<List<CocoObject>> objects) {
    super(name, labels, annotations, true, problems, loader);
    this.categoryIds = categoryIds;
    this.imageIds = imageIds;
    this.objects = List.copyOf(objects);
    Map<Long, Integer> byId = new java.util.HashMap<>();
    for (int i = 0; i < imageIds.length; i++) {
      byId.put(imageIds[i], i);
    }
    this.indexOfImageId = java.util.Collections.unmodifiableMap(byId);
    Map<Integer, Integer> byCat = new java.util.HashMap<>();
    for (int i = 0; i < categoryIds.length; i++) {
      byCat.put(categoryIds[i], i + 1);
    }
    this.labelOfCategory = java.util.Collections.unmodifiableMap(byCat);
  }

  /**
   * The objects of image {@code index} exactly as the JSON holds them, for the official COCO
   * evaluation: raw {@code bbox}, {@code area} and {@code iscrowd}, in file order. Unlike {@link
   * #annotation(int)}'s boxes these are neither clipped nor converted, and with {@link
   * BadInputPolicy#SKIP} they include objects whose box was rejected as a training target (a
   * sub-pixel box, one outside the image) but whose image, category and numbers are valid.
   */
  public List<CocoObject> cocoObjects(int index) {
    return objects.get(
        com.google.common.base.Preconditions.checkElementIndex(index, objects.size()));
  }

  /** Index of the image with COCO id {@code imageId}, or -1 when the dataset has none. */
  public int indexOfImageId(long imageId) {
    Integer i = indexOfImageId.get(imageId);
    return i == null ? -1 : i;
  }

  /** Label (1..K) of a COCO category id, or -1 when the file has no such category. */
  public int labelOfCategoryId(int categoryId) {
    Integer l = labelOfCategory.get(categoryId);
    return l == null ? -1 : l;
  }

  /** COCO category id of a label in 1..80. */
  public int categoryId(int label) {
    checkArgument(
        label >= 1 && label <= categoryIds.length,
        "label must be in 1..%s, got %s",
        categoryIds.length,
        label);
    return categoryIds[label - 1];
  }

  /** COCO image id of image {@code index}. */
  public long imageId(int index) {
    return imageIds[com.google.common.base.Preconditions.checkElementIndex(index, imageIds.length)];
  }

  /**
   * Reads {@code instancesJson}, images under {@code imageDir}, failing on bad input.
   *
   * @throws DatasetFormatException naming the file and element when anything is malformed
   */
  public static CocoDataset load(Path instancesJson, Path imageDir) {
    return load(instancesJson, imageDir, BadInputPolicy.FAIL, ImageLoader.defaults());
  }

  /**
   * Reads {@code instancesJson}, images under {@code imageDir}.
   *
   * @param policy what to do with bad elements
   * @param loader the image loader for {@link #loadImage(int)}
   * @throws DatasetFormatException naming the file and element when the JSON is not well-formed,
   *     has no categories, or (FAIL policy) any element is bad
   */
  public static CocoDataset load(
      Path instancesJson, Path imageDir, BadInputPolicy policy, ImageLoader loader) {
    checkNotNull(instancesJson, "instancesJson");
    checkNotNull(imageDir, "imageDir");
    DataProblems problems = new DataProblems(checkNotNull(policy, "policy"));
    String file = instancesJson.toString();
    ObjectMapper mapper = new ObjectMapper();
    List<JsonNode> images = new ArrayList<>();
    List<JsonNode> anns = new ArrayList<>();
    List<JsonNode> cats = new ArrayList<>();
    try (InputStream in = Files.newInputStream(instancesJson);
        JsonParser p = new JsonFactory(mapper).createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new DatasetFormatException("COCO file " + file + ": top level is not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.getCurrentName();
        JsonToken t = p.nextToken();
        List<JsonNode> target =
            switch (field) {
              case "images" -> images;
              case "annotations" -> anns;
              case "categories" -> cats;
              default -> null;
            };
        if (target == null) {
          p.skipChildren();
          continue;
        }
        if (t != JsonToken.START_ARRAY) {
          throw new DatasetFormatException(
              "COCO file " + file + ": '" + field + "' is not an array");
        }
        while (p.nextToken() != JsonToken.END_ARRAY) {
          target.add(p.readValueAsTree());
        }
      }
    } catch (JsonProcessingException e) {
      throw new DatasetFormatException("COCO file " + file + ": " + CocoBoxes.malformed(e), e);
    } catch (IOException e) {
      throw new DatasetFormatException("COCO file " + file + ": cannot read: " + e, e);
    }

    // Categories, ascending id -> labels 1..K.
    TreeMap<Integer, String> catNames = new TreeMap<>();
    for (int i = 0; i < cats.size(); i++) {
      JsonNode c = cats.get(i);
      String where = "COCO file " + file + ", categories[" + i + "]";
      int id = intField(c, "id", where);
      String n = textField(c, "name", where);
      if (catNames.put(id, n) != null) {
        throw new DatasetFormatException(where + ": duplicate category id " + id);
      }
    }
    if (catNames.isEmpty()) {
      throw new DatasetFormatException("COCO file " + file + ": no categories");
    }
    Map<Integer, Integer> labelOf = new LinkedHashMap<>();
    for (int id : catNames.keySet()) {
      labelOf.put(id, labelOf.size() + 1);
    }
    Labels labels = Labels.of(new ArrayList<>(catNames.values()));

    // Images.
    Map<Long, Integer> imageIndex = new LinkedHashMap<>();
    List<long[]> imageInfo = new ArrayList<>(); // id, width, height
    List<String> imagePaths = new ArrayList<>();
    List<List<GtBox>> boxes = new ArrayList<>();
    List<List<CocoObject>> objects = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      JsonNode im = images.get(i);
      String where = "COCO file " + file + ", images[" + i + "]";
      try {
        long id = longField(im, "id", where);
        where += " (id " + id + ")";
        String fn = textField(im, "file_name", where);
        int w = intField(im, "width", where);
        int h = intField(im, "height", where);
        if (w < 1 || h < 1) {
          throw new DatasetFormatException(where + ": size " + w + "x" + h + " is not positive");
        }
        if (fn.contains("..")) {
          throw new DatasetFormatException(where + ": file_name '" + fn + "' leaves the image dir");
        }
        Path path = imageDir.resolve(fn);
        if (!Files.isRegularFile(path)) {
          throw new DatasetFormatException(where + ": image " + path + " not found");
        }
        if (imageIndex.containsKey(id)) {
          throw new DatasetFormatException(where + ": duplicate image id " + id);
        }
        imageIndex.put(id, imageInfo.size());
        imageInfo.add(new long[] {id, w, h});
        imagePaths.add(path.toString());
        boxes.add(new ArrayList<>());
        objects.add(new ArrayList<>());
      } catch (DatasetFormatException e) {
        problems.badImage(e.getMessage(), e);
      }
    }

    // Annotations.
    for (int i = 0; i < anns.size(); i++) {
      JsonNode a = anns.get(i);
      String where = "COCO file " + file + ", annotations[" + i + "]";
      try {
        if (a.has("id")) {
          where += " (id " + a.get("id").asText() + ")";
        }
        long imageId = longField(a, "image_id", where);
        int cat = intField(a, "category_id", where);
        Integer idx = imageIndex.get(imageId);
        if (idx == null) {
          // The image was skipped (counted already) or never listed.
          if (problems.policy() == BadInputPolicy.SKIP) {
            continue;
          }
          throw new DatasetFormatException(where + ": unknown image_id " + imageId);
        }
        Integer label = labelOf.get(cat);
        if (label == null) {
          throw new DatasetFormatException(where + ": unknown category_id " + cat);
        }
        JsonNode bb = a.get("bbox");
        if (bb == null || !bb.isArray() || bb.size() != 4) {
          throw new DatasetFormatException(where + ": bbox must be an array [x, y, w, h]");
        }
        double[] v = new double[4];
        for (int k = 0; k < 4; k++) {
          if (!bb.get(k).isNumber()) {
            throw new DatasetFormatException(where + ": bbox[" + k + "] is not a number");
          }
          v[k] = bb.get(k).asDouble();
        }
        long[] info = imageInfo.get(idx);
        int w = (int) info[1];
        int h = (int) info[2];
        double area = v[2] * v[3];
        if (a.has("area") && !a.get("area").isNull()) {
          if (!a.get("area").isNumber()) {
            throw new DatasetFormatException(where + ": 'area' is not a number: " + a.get("area"));
          }
          area = a.get("area").asDouble();
        }
        if (!(v[2] >= 0
            && v[3] >= 0
            && area >= 0
            && Double.isFinite(area)
            && Double.isFinite(v[0] + v[1] + v[2] + v[3]))) {
          throw new DatasetFormatException(
              where + ": bbox " + bb + " / area " + area + " must be finite with w, h, area >= 0");
        }
        boolean crowd = a.has("iscrowd") && a.get("iscrowd").asInt() != 0;
        long annId = a.has("id") && a.get("id").isIntegralNumber() ? a.get("id").asLong() : -1;
        // Kept before the training-box checks below: the evaluation sees every object, as the
        // official code does, even one too small to be a training target (SKIP policy).
        objects.get(idx).add(new CocoObject(annId, label, v[0], v[1], v[2], v[3], area, crowd));
        float x1 = (float) Math.max(0, v[0]);
        float y1 = (float) Math.max(0, v[1]);
        float x2 = (float) Math.min(w - 1, x1 + Math.max(0, v[2] - 1));
        float y2 = (float) Math.min(h - 1, y1 + Math.max(0, v[3] - 1));
        String bad = BoxChecks.problem(x1, y1, x2, y2, w, h);
        if (bad != null) {
          throw new DatasetFormatException(where + ": bbox " + bb + " -> " + bad);
        }
        boxes.get(idx).add(new GtBox(Box.of(x1, y1, x2, y2), label, false, crowd));
      } catch (DatasetFormatException e) {
        problems.badObject(e.getMessage());
      }
    }

    List<Annotation> out = new ArrayList<>(imageInfo.size());
    long[] ids = new long[imageInfo.size()];
    for (int i = 0; i < imageInfo.size(); i++) {
      long[] info = imageInfo.get(i);
      ids[i] = info[0];
      out.add(
          new Annotation(
              Long.toString(info[0]),
              imagePaths.get(i),
              (int) info[1],
              (int) info[2],
              boxes.get(i)));
    }
    String name = "COCO:" + instancesJson.getFileName();
    List<List<CocoObject>> frozen = new ArrayList<>(objects.size());
    for (List<CocoObject> o : objects) {
      frozen.add(List.copyOf(o));
    }
    return new CocoDataset(
        name, labels, out, problems, loader, Ints.toArray(labelOf.keySet()), ids, frozen);
  }

  private static JsonNode field(JsonNode n, String key, String where) {
    if (n == null || !n.isObject()) {
      throw new DatasetFormatException(where + ": not a JSON object");
    }
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      throw new DatasetFormatException(where + ": missing '" + key + "'");
    }
    return v;
  }

  private static long longField(JsonNode n, String key, String where) {
    JsonNode v = field(n, key, where);
    if (!v.canConvertToLong() || !v.isIntegralNumber()) {
      throw new DatasetFormatException(where + ": '" + key + "' is not an integer: " + v);
    }
    return v.asLong();
  }

  private static int intField(JsonNode n, String key, String where) {
    JsonNode v = field(n, key, where);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new DatasetFormatException(where + ": '" + key + "' is not an integer: " + v);
    }
    return v.asInt();
  }

  private static String textField(JsonNode n, String key, String where) {
    JsonNode v = field(n, key, where);
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new DatasetFormatException(where + ": '" + key + "' is not a non-empty string");
    }
    return v.asText();
  }
}
