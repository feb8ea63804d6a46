package org.fssd.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fssd.box.Box;
import org.fssd.data.CocoDataset;
import org.fssd.detect.Detection;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CocoResultsFileTest {
  @TempDir Path dir;
  private CocoDataset coco;

  @BeforeEach
  void dataset() throws Exception {
    Path images = Files.createDirectories(dir.resolve("img"));
    Files.createFile(images.resolve("a.jpg"));
    Files.createFile(images.resolve("b.jpg"));
    Path json = dir.resolve("instances.json");
    Files.writeString(
        json,
        "{\"images\": ["
            + "{\"id\": 391895, \"file_name\": \"a.jpg\", \"width\": 100, \"height\": 80},"
            + "{\"id\": 7, \"file_name\": \"b.jpg\", \"width\": 50, \"height\": 40}],"
            + "\"categories\": [{\"id\": 90, \"name\": \"toothbrush\"}, {\"id\": 18, \"name\": \"dog\"}],"
            + "\"annotations\": [{\"id\": 1, \"image_id\": 7, \"category_id\": 18, \"bbox\": [1, 2, 10, 20],"
            + " \"area\": 150}]}");
    coco = CocoDataset.load(json, images);
  }

  private Path file(String body) throws Exception {
    Path p = dir.resolve("dets.json");
    Files.writeString(p, body);
    return p;
  }

  @Test
  void readsInFileOrderAndSkipsUnknownCategories() throws Exception {
    CocoResultsFile.Contents c =
        CocoResultsFile.read(
            file(
                "[\n"
                    + "{\"image_id\": 7, \"category_id\": 90, \"bbox\": [1.5, 2, 3, 4], \"score\": 0.5,"
                    + " \"segmentation\": [[1, 2, 3, 4]]},\n"
                    + "{\"image_id\": 391895, \"category_id\": 3, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},\n"
                    + "{\"image_id\": 7, \"category_id\": 18, \"bbox\": [0, 0, 1e3, 2], \"score\": 7}\n]"),
            coco);
    assertThat(c.detections()).isEqualTo(2);
    assertThat(c.unknownCategory()).isEqualTo(1);
    assertThat(c.byImage()).containsOnlyKeys(1);
    assertThat(c.byImage().get(1))
        .containsExactly(new CocoDet(2, 0.5, 1.5, 2, 3, 4), new CocoDet(1, 7, 0, 0, 1000, 2));
  }

  @Test
  void badFilesNameTheElement() throws Exception {
    assertThatThrownBy(() -> CocoResultsFile.read(file("{\"a\": 1}"), coco))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("not a JSON array");
    assertThatThrownBy(
            () ->
                CocoResultsFile.read(
                    file(
                        "[{\"image_id\": 7, \"category_id\": 18,"
                            + " \"bbox\": [1, 2, 3], \"score\": 0.5}]"),
                    coco))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("element [0]")
        .hasMessageContaining("'bbox' must be an array [x, y, w, h]");
    assertThatThrownBy(
            () ->
                CocoResultsFile.read(
                    file(
                        "[{\"image_id\": 7, \"category_id\": 18,"
                            + " \"bbox\": [1, 2, 3, 4], \"score\": 0.5}, {\"image_id\": 7, \"category_id\": 18,"
                            + " \"bbox\": [1, 2, 3, 4]}]"),
                    coco))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("element [1]")
        .hasMessageContaining("'score' must be a number");
    assertThatThrownBy(
            () ->
                CocoResultsFile.read(
                    file(
                        "[{\"image_id\": \"7\", \"category_id\": 18,"
                            + " \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]"),
                    coco))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("'image_id' must be an integer");
    assertThatThrownBy(
            () ->
                CocoResultsFile.read(
                    file(
                        "[{\"image_id\": 8, \"category_id\": 18,"
                            + " \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]"),
                    coco))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("image_id 8 is not an image of");
    assertThatThrownBy(
            () ->
                CocoResultsFile.read(
                    file(
                        "[{\"image_id\": 7, \"category_id\": 18,"
                            + " \"bbox\": [1, 2, 3, 1e999], \"score\": 0.5}]"),
                    coco))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("'bbox[3]' is not finite");
    assertThatThrownBy(() -> CocoResultsFile.read(file("[{\"image_id\": 7,"), coco))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("malformed JSON");
    assertThatThrownBy(() -> CocoResultsFile.read(dir.resolve("none.json"), coco))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("none.json not found");
  }

  @Test
  void writesDatasetIdsAndTheReferenceBoxConvention() throws Exception {
    Path out = dir.resolve("out.json");
    CocoResultsFile.write(
        out,
        coco,
        Map.of("7", List.of(Detection.of(2, "toothbrush", 0.25f, Box.of(1.5f, 2, 10.5f, 21)))));
    assertThat(Files.readString(out).strip())
        .isEqualTo(
            "[\n{\"image_id\":7,\"category_id\":90,"
                + "\"bbox\":[1.5,2.0,10.0,20.0],\"score\":0.25}\n]");
    assertThat(CocoResultsFile.read(out, coco).byImage().get(1))
        .containsExactly(new CocoDet(2, 0.25, 1.5, 2, 10, 20));
    assertThatThrownBy(() -> CocoResultsFile.write(out, coco, Map.of("8", List.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("image id 8");
  }

  @Test
  void imagesRankByNumericIdThenByName() {
    assertThat(CocoEvaluator.imageRanks(List.of("900", "31", "b", "4000", "a")))
        .containsExactly(1, 0, 4, 2, 3);
  }

  @Test
  void scoreTiesAcrossImagesFollowTheImageIds() {
    // One GT in image "10"; equal-score detections: a FP in image "9" and the TP in image "10".
    // Image 9 ranks first whatever the add order, so precision at recall 1 is 1/2.
    org.fssd.model.Labels one = org.fssd.model.Labels.of("thing");
    for (boolean nineFirst : new boolean[] {true, false}) {
      CocoEvaluator ev = new CocoEvaluator(one);
      List<CocoGt> gt = List.of(new CocoGt(1, 0, 0, 10, 10, 100, false, false));
      List<CocoDet> tp = List.of(new CocoDet(1, 0.5, 0, 0, 10, 10));
      List<CocoDet> fp = List.of(new CocoDet(1, 0.5, 50, 50, 10, 10));
      if (nineFirst) {
        ev.addImage("9", List.of(), fp);
        ev.addImage("10", gt, tp);
      } else {
        ev.addImage("10", gt, tp);
        ev.addImage("9", List.of(), fp);
      }
      assertThat(ev.result().ap())
          .as("9 first: %s", nineFirst)
          .isCloseTo(0.5, org.assertj.core.api.Assertions.within(1e-12));
    }
  }
}
