package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.fssd.data.GtBox;
import org.fssd.data.ShapesDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The COCO paths of {@code fssd eval} and {@code fssd eval-detections}. */
class CocoEvalCliTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
  private static final Path GOLDEN =
      ROOT.resolve("fssd-train/src/test/resources/org/fssd/train/eval/coco-golden");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** An image folder with an (empty, never decoded) file for each image of the instances file. */
  private Path images(Path instances) throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    for (JsonNode im : JSON.readTree(instances.toFile()).get("images")) {
      Files.createFile(images.resolve(im.get("file_name").asText()));
    }
    return images;
  }

  /** The twelve numbers of the summary lines, in order. */
  private static double[] stats(String out) {
    List<Double> v = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.startsWith(" Average ")) {
        String n = line.substring(line.lastIndexOf('=') + 1).trim();
        v.add(n.equals("n/a") ? Double.NaN : Double.parseDouble(n));
      }
    }
    assertThat(v).hasSize(12);
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** Runs {@code fssd eval-detections} with the COCO metric on a COCO set and a results file. */
  private static CliRun evalDetectionsCoco(Path instances, Path images, Path results) {
    return CliRun.run(
        "eval-detections",
        "--dataset",
        "coco",
        "--coco-json",
        instances.toString(),
        "--coco-images",
        images.toString(),
        "--results",
        results.toString(),
        "--metric",
        "coco");
  }

  @Test
  void evalDetectionsScoresAResultsFileAsPycocotools() throws Exception {
    Path instances = GOLDEN.resolve("instances.json");
    CliRun r = evalDetectionsCoco(instances, images(instances), GOLDEN.resolve("dets.json"));
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode want = JSON.readTree(GOLDEN.resolve("expected.json").toFile()).get("stats");
    double[] got = stats(r.out());
    for (int i = 0; i < 12; i++) {
      // printed with 4 decimals
      assertThat(got[i]).as("line %s", i + 1).isCloseTo(want.get(i).asDouble(), within(5.001e-5));
    }
    assertThat(r.out().strip())
        .endsWith(String.format(java.util.Locale.ROOT, "mAP: %.4f", want.get(0).asDouble()));
    assertThat(r.err()).contains("with a category_id not in");
  }

  @Test
  void evalDetectionsNamesTheBadElementAndTheWrongDataset() throws Exception {
    Path instances = GOLDEN.resolve("instances.json");
    Path bad = dir.resolve("bad.json");
    Files.writeString(
        bad,
        "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], " + "\"score\": 0.5}]");
    CliRun r = evalDetectionsCoco(instances, images(instances), bad);
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("element [0]").contains("image_id 1 is not an image");
    CliRun s =
        CliRun.run(
            "eval-detections",
            "--dataset",
            "shapes",
            "--shapes-count",
            "2",
            "--results",
            bad.toString(),
            "--metric",
            "coco");
    assertThat(s.code()).isEqualTo(1);
    assertThat(s.err()).contains("needs --dataset coco");
  }

  @Test
  void evalWritesTheResultsFileThatEvalDetectionsScoresTheSame() throws Exception {
    // Two sample images of the shipped demo model as a COCO set with non-contiguous ids.
    int[] catIds = {2, 5, 9, 11, 40, 77}; // ascending: the model's label order
    ObjectNode gt = JSON.createObjectNode();
    ArrayNode images = gt.putArray("images");
    ArrayNode anns = gt.putArray("annotations");
    ArrayNode cats = gt.putArray("categories");
    for (int k = 0; k < catIds.length; k++) {
      cats.addObject().put("id", catIds[k]).put("name", ShapesDataset.SHAPES.get(k));
    }
    Path imageDir = Files.createDirectories(dir.resolve("shapes"));
    long[] imageIds = {900, 31}; // not in ascending order
    for (int n = 0; n < imageIds.length; n++) {
      long seed = 300 + n;
      Path img = imageDir.resolve("s" + seed + ".png");
      CliRun made =
          CliRun.run("sample-image", "--seed", Long.toString(seed), "--out", img.toString());
      assertThat(made.code()).as(made.err()).isZero();
      images
          .addObject()
          .put("id", imageIds[n])
          .put("file_name", img.getFileName().toString())
          .put("width", 300)
          .put("height", 300);
      List<GtBox> boxes = CliRun.sampleImageBoxes(seed);
      for (GtBox g : boxes) {
        double w = g.box().x2() - g.box().x1() + 1;
        double h = g.box().y2() - g.box().y1() + 1;
        ObjectNode a =
            anns.addObject()
                .put("id", anns.size() + 1)
                .put("image_id", imageIds[n])
                .put("category_id", catIds[g.label() - 1])
                .put("area", 0.6 * w * h)
                .put("iscrowd", 0);
        a.putArray("bbox").add(g.box().x1()).add(g.box().y1()).add(w).add(h);
      }
    }
    Path instances = dir.resolve("instances.json");
    JSON.writeValue(instances.toFile(), gt);
    Path model = ROOT.resolve("models/demo-shapes.zip");
    Path dets = dir.resolve("dets.json");
    CliRun e =
        CliRun.run(
            "eval",
            "--model",
            model.toString(),
            "--dataset",
            "coco",
            "--coco-json",
            instances.toString(),
            "--coco-images",
            imageDir.toString(),
            "--metric",
            "coco",
            "--results",
            dets.toString(),
            "--batch",
            "1");
    assertThat(e.code()).as(e.err()).isZero();
    JsonNode written = JSON.readTree(dets.toFile());
    assertThat(written.size()).isPositive();
    for (JsonNode d : written) {
      assertThat(d.get("image_id").asLong()).isIn(900L, 31L);
      assertThat(d.get("category_id").asInt()).isIn(2, 5, 9, 11, 40, 77);
      assertThat(d.get("bbox")).hasSize(4);
      assertThat(d.get("score").asDouble()).isBetween(0.0, 1.0);
    }
    assertThat(stats(e.out())[0]).isGreaterThan(0.3); // the demo model finds its shapes
    CliRun s = evalDetectionsCoco(instances, imageDir, dets);
    assertThat(s.code()).as(s.err()).isZero();
    // the whole summary, per-class table included, is the same
    assertThat(s.out()).isEqualTo(e.out());
  }
}
