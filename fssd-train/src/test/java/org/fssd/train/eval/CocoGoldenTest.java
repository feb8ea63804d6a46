package org.fssd.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fssd.data.CocoDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares {@link CocoEvaluation} with pycocotools' {@code COCOeval} on the golden set of {@code
 * tools/reference/make_coco_golden.py} ({@code coco-golden/}: segmentation areas unlike the box
 * areas, crowd objects, non-contiguous category ids, images without annotations, more than 100
 * detections of a category in an image, tied scores, detections of categories without ground truth
 * or outside the category list). The expected numbers are pycocotools' own, committed.
 */
class CocoGoldenTest {
  /** The required agreement; in fact they differ by summation order only (below 1e-15). */
  private static final double TOL = 1e-4;

  @TempDir static Path dir;
  private static CocoDataset coco;
  private static JsonNode expected;

  @BeforeAll
  static void load() throws Exception {
    Path json = copy("instances.json");
    copy("dets.json");
    JsonNode gt = new ObjectMapper().readTree(json.toFile());
    Path images = Files.createDirectories(dir.resolve("images"));
    for (JsonNode im : gt.get("images")) {
      Files.createFile(images.resolve(im.get("file_name").asText())); // never decoded
    }
    coco = CocoDataset.load(json, images);
    try (InputStream in = CocoGoldenTest.class.getResourceAsStream("coco-golden/expected.json")) {
      expected = new ObjectMapper().readTree(in);
    }
  }

  private static Path copy(String name) throws Exception {
    Path p = dir.resolve(name);
    try (InputStream in = CocoGoldenTest.class.getResourceAsStream("coco-golden/" + name)) {
      Files.copy(in, p);
    }
    return p;
  }

  static double[] expectedStats() {
    double[] s = new double[12];
    for (int i = 0; i < 12; i++) {
      s[i] = expected.get("stats").get(i).asDouble();
    }
    return s;
  }

  @Test
  void twelveNumbersAndClassApsEqualPycocotools() {
    CocoResultsFile.Contents dets = CocoResultsFile.read(dir.resolve("dets.json"), coco);
    assertThat(dets.unknownCategory()).isPositive(); // category 99 is in the file
    CocoResult r = CocoEvaluation.evaluate(coco, dets.byImage());
    double[] want = expectedStats();
    double[] got = r.stats();
    for (int i = 0; i < 12; i++) {
      assertThat(got[i]).as("stats[%s]", i).isCloseTo(want[i], within(TOL));
    }
    for (int label = 1; label < coco.labels().numClasses(); label++) {
      double ap = expected.get("class_ap").get(Integer.toString(coco.categoryId(label))).asDouble();
      if (ap == -1) {
        assertThat(r.classAp(label)).as("category %s", coco.categoryId(label)).isNaN();
      } else {
        assertThat(r.classAp(label))
            .as("category %s", coco.categoryId(label))
            .isCloseTo(ap, within(TOL));
      }
    }
    assertThat(r.images()).isEqualTo(40);
  }

  @Test
  void theBoxAreaWouldMoveObjectsBetweenSizes() {
    // The golden set's areas differ from the box areas: the old split (box area) must not agree,
    // else the test above would not show that the annotation area is used.
    CocoResultsFile.Contents dets = CocoResultsFile.read(dir.resolve("dets.json"), coco);
    CocoEvaluator ev = new CocoEvaluator(coco.labels());
    for (int i = 0; i < coco.size(); i++) {
      List<CocoGt> g = new ArrayList<>();
      for (var o : coco.cocoObjects(i)) {
        g.add(new CocoGt(o.label(), o.x(), o.y(), o.w(), o.h(), o.w() * o.h(), o.crowd(), false));
      }
      ev.addImage(coco.annotation(i).id(), g, dets.byImage().getOrDefault(i, List.of()));
    }
    double[] boxArea = ev.result().stats();
    double[] want = expectedStats();
    assertThat(boxArea[0]).isCloseTo(want[0], within(TOL)); // all-area numbers do not use it
    assertThat(Math.abs(boxArea[3] - want[3])).isGreaterThan(0.01);
  }

  @Test
  void writtenResultsReadBackToTheSameNumbers() {
    // Detections converted to fssd4j's inclusive corners and written again: the file's numbers
    // equal the in-memory evaluation's exactly.
    CocoResultsFile.Contents dets = CocoResultsFile.read(dir.resolve("dets.json"), coco);
    Map<String, List<org.fssd.detect.Detection>> byId = new HashMap<>();
    for (var e : dets.byImage().entrySet()) {
      List<org.fssd.detect.Detection> ds = new ArrayList<>();
      for (CocoDet d : e.getValue()) {
        ds.add(
            org.fssd.detect.Detection.of(
                d.classIndex(),
                coco.labels().name(d.classIndex()),
                (float) d.score(),
                org.fssd.box.Box.of(
                    (float) d.x(),
                    (float) d.y(),
                    (float) (d.x() + d.w() - 1),
                    (float) (d.y() + d.h() - 1))));
      }
      byId.put(coco.annotation(e.getKey()).id(), ds);
    }
    CocoResult inMemory = CocoEvaluation.evaluateDetections(coco, byId);
    Path out = dir.resolve("written.json");
    CocoResultsFile.write(out, coco, byId);
    CocoResultsFile.Contents back = CocoResultsFile.read(out, coco);
    assertThat(back.detections()).isEqualTo(dets.detections());
    assertThat(back.unknownCategory()).isZero();
    assertThat(CocoEvaluation.evaluate(coco, back.byImage()).stats())
        .containsExactly(inMemory.stats());
    // float32 boxes and scores: still pycocotools' numbers up to the tolerance
    double[] want = expectedStats();
    for (int i = 0; i < 12; i++) {
      assertThat(inMemory.stats()[i]).as("stats[%s]", i).isCloseTo(want[i], within(TOL));
    }
  }
}
