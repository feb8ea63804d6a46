package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fssd.data.CocoBoxes;
import org.fssd.data.CocoDataset;
import org.fssd.detect.Detection;
import org.fssd.io.AtomicFiles;

/**
 * SPEC §10: the standard COCO detection results file, a JSON array of {@code {"image_id",
 * "category_id", "bbox": [x, y, w, h], "score"}} with the dataset's own image and category ids, as
 * the official evaluation ({@code COCO.loadRes}) reads it.
 *
 * <p><b>Writing</b> converts fssd4j's 0-based inclusive-style corners as the reference's COCO
 * writer does: {@code bbox = [x1, y1, x2 - x1 + 1, y2 - y1 + 1]}. The numbers are written so that
 * they read back as the exact doubles the in-memory evaluation used (box values in full double
 * precision; scores as the shortest decimal of their float, which keeps their order and ties), so
 * scoring the written file gives the numbers of {@code fssd eval} exactly.
 *
 * <p><b>Reading</b> accepts any such file (from any detector): detections keep the file order
 * (which breaks score ties, as in the official code), boxes are used unchanged; a detection whose
 * {@code category_id} is not a category of the dataset is skipped and counted (the official code
 * never evaluates it); an {@code image_id} the dataset does not have is an error (the official code
 * refuses such a file too). Extra fields (e.g. {@code "segmentation"}) are ignored.
 *
 * <p>Stateless and thread-safe.
 */
public final class CocoResultsFile {
  private CocoResultsFile() {}

  /**
   * The detections of a results file by dataset image index, and how many were skipped.
   *
   * @param byImage dataset image index -> detections in file order (images without detections
   *     absent)
   * @param detections number of detections kept
   * @param unknownCategory number skipped because their category is not in the dataset
   */
  public record Contents(Map<Integer, List<CocoDet>> byImage, int detections, int unknownCategory) {
    /** Wraps the map (not copied: this class builds it). */
    public Contents {
      checkNotNull(byImage, "byImage");
    }
  }

  /**
   * Writes the detections of {@code dataset}'s images, in dataset order.
   *
   * @param detections dataset image id ({@link org.fssd.data.Annotation#id()}) -> detections in
   *     0-based pixels of the original image; images absent have none
   * @throws IllegalArgumentException when an id is not a dataset image or a class not a label
   * @throws org.fssd.FssdException naming the file when writing fails
   */
  public static void write(
      Path file, CocoDataset dataset, Map<String, List<Detection>> detections) {
    checkNotNull(file, "file");
    checkNotNull(dataset, "dataset");
    checkNotNull(detections, "detections");
    Map<String, Integer> index = new LinkedHashMap<>();
    for (int i = 0; i < dataset.size(); i++) {
      index.put(dataset.annotation(i).id(), i);
    }
    for (String id : detections.keySet()) {
      checkArgument(index.containsKey(id), "image id %s is not an image of %s", id, dataset.name());
    }
    int classes = dataset.labels().numClasses();
    AtomicFiles.write(
        file,
        tmp -> {
          try (JsonGenerator g =
              new JsonFactory().createGenerator(tmp.toFile(), JsonEncoding.UTF8)) {
            g.writeStartArray();
            for (int i = 0; i < dataset.size(); i++) {
              List<Detection> ds = detections.get(dataset.annotation(i).id());
              if (ds == null) {
                continue;
              }
              for (Detection d : ds) {
                checkArgument(
                    d.classIndex() >= 1 && d.classIndex() < classes,
                    "image %s: class %s is not in 1..%s",
                    dataset.annotation(i).id(),
                    d.classIndex(),
                    classes - 1);
                CocoDet c = CocoDet.of(ScoredBox.of(d));
                g.writeRaw('\n');
                g.writeStartObject();
                g.writeNumberField("image_id", dataset.imageId(i));
                g.writeNumberField("category_id", dataset.categoryId(d.classIndex()));
                g.writeArrayFieldStart("bbox");
                g.writeNumber(c.x());
                g.writeNumber(c.y());
                g.writeNumber(c.w());
                g.writeNumber(c.h());
                g.writeEndArray();
                g.writeNumberField("score", d.score());
                g.writeEndObject();
              }
            }
            g.writeRaw('\n');
            g.writeEndArray();
            g.writeRaw('\n');
          }
        });
  }

  /**
   * Reads a results file for {@code dataset}.
   *
   * @throws EvalException naming the file (and the array element, 0-based) when the file is missing
   *     or not a JSON array of result objects, a field is missing or not a number, a number is not
   *     finite, a {@code bbox} has not 4 numbers, or an {@code image_id} is not an image of the
   *     dataset
   */
  public static Contents read(Path file, CocoDataset dataset) {
    checkNotNull(file, "file");
    checkNotNull(dataset, "dataset");
    Map<Integer, List<CocoDet>> out = new LinkedHashMap<>();
    int kept = 0;
    int unknownCategory = 0;
    ObjectMapper mapper = new ObjectMapper();
    try (InputStream in = Files.newInputStream(file);
        JsonParser p = new JsonFactory(mapper).createParser(in)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new EvalException("COCO results file " + file + ": not a JSON array");
      }
      int n = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        if (p.currentToken() == null) {
          throw new EvalException("COCO results file " + file + ": ends inside the array");
        }
        JsonNode e = p.readValueAsTree();
        String where = "COCO results file " + file + ", element [" + n + "]";
        n++;
        if (e == null || !e.isObject()) {
          throw new EvalException(where + ": not a JSON object");
        }
        long imageId = integral(e, "image_id", where);
        long cat = integral(e, "category_id", where);
        double score = number(e.get("score"), "score", where);
        JsonNode bb = e.get("bbox");
        if (bb == null || !bb.isArray() || bb.size() != 4) {
          throw new EvalException(where + ": 'bbox' must be an array [x, y, w, h], got " + bb);
        }
        double[] v = new double[4];
        for (int k = 0; k < 4; k++) {
          v[k] = number(bb.get(k), "bbox[" + k + "]", where);
        }
        int image = dataset.indexOfImageId(imageId);
        if (image < 0) {
          throw new EvalException(
              where + ": image_id " + imageId + " is not an image of " + dataset.name());
        }
        int label = cat == (int) cat ? dataset.labelOfCategoryId((int) cat) : -1;
        if (label < 0) {
          unknownCategory++;
          continue;
        }
        out.computeIfAbsent(image, k -> new ArrayList<>())
            .add(new CocoDet(label, score, v[0], v[1], v[2], v[3]));
        kept++;
      }
      if (p.nextToken() != null) {
        throw new EvalException("COCO results file " + file + ": data after the array");
      }
    } catch (JsonProcessingException e) {
      throw new EvalException("COCO results file " + file + ": " + CocoBoxes.malformed(e), e);
    } catch (NoSuchFileException e) {
      throw new EvalException("COCO results file " + file + " not found", e);
    } catch (IOException e) {
      throw new EvalException("COCO results file " + file + ": cannot read: " + e, e);
    }
    return new Contents(out, kept, unknownCategory);
  }

  private static long integral(JsonNode e, String key, String where) {
    JsonNode v = e.get(key);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new EvalException(where + ": '" + key + "' must be an integer, got " + v);
    }
    return v.asLong();
  }

  private static double number(JsonNode v, String key, String where) {
    if (v == null || !v.isNumber()) {
      throw new EvalException(where + ": '" + key + "' must be a number, got " + v);
    }
    double d = v.asDouble();
    if (!Double.isFinite(d)) {
      throw new EvalException(where + ": '" + key + "' is not finite: " + v);
    }
    return d;
  }
}
