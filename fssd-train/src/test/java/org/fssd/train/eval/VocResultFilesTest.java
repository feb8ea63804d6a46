package org.fssd.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.fssd.train.eval.EvalFixtures.box;
import static org.fssd.train.eval.EvalFixtures.difficult;
import static org.fssd.train.eval.EvalFixtures.gt;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fssd.box.Box;
import org.fssd.data.Annotation;
import org.fssd.data.DetectionDataset;
import org.fssd.detect.Detection;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocResultFilesTest {
  private static final Labels LABELS = Labels.of("cat", "dog");

  @TempDir Path dir;

  private static Map<String, List<Detection>> detections() {
    Map<String, List<Detection>> m = new LinkedHashMap<>();
    m.put(
        "2007/000001",
        List.of(
            Detection.of(1, "cat", 0.9f, Box.of(0f, 1f, 9f, 9f)),
            Detection.of(2, "dog", 0.123456f, Box.of(10.26f, 20.5f, 30.75f, 40.125f))));
    m.put("2007/000002", List.of(Detection.of(1, "cat", 0.25f, Box.of(-3.5f, 0f, 4f, 7.33f))));
    return m;
  }

  @Test
  void publishedFormatIsOneBasedWithFixedDecimals() throws Exception {
    List<Path> files =
        VocResultFiles.write(dir, "test", LABELS, detections(), VocResultFiles.Format.PUBLISHED);
    assertThat(files)
        .extracting(p -> p.getFileName().toString())
        .containsExactly("comp4_det_test_cat.txt", "comp4_det_test_dog.txt");
    assertThat(Files.readAllLines(files.get(0), StandardCharsets.UTF_8))
        .containsExactly("000001 0.900 1.0 2.0 10.0 10.0", "000002 0.250 -2.5 1.0 5.0 8.3");
    assertThat(Files.readAllLines(files.get(1), StandardCharsets.UTF_8))
        .containsExactly("000001 0.123 11.3 21.5 31.8 41.1");
    // no temporary files left behind
    try (var s = Files.list(dir)) {
      assertThat(s.count()).isEqualTo(2);
    }
  }

  @Test
  void exactFormatRoundTripsToTheSameZeroBasedBoxes() {
    Map<String, List<Detection>> in = detections();
    VocResultFiles.write(dir, "test", LABELS, in, VocResultFiles.Format.EXACT);
    Map<String, List<ScoredBox>> back = VocResultFiles.readAll(dir, "test", LABELS);
    assertThat(back.keySet()).containsExactly("000001", "000002");
    assertThat(back.get("000001"))
        .containsExactly(
            ScoredBox.of(in.get("2007/000001").get(0)), ScoredBox.of(in.get("2007/000001").get(1)));
    assertThat(back.get("000002")).containsExactly(ScoredBox.of(in.get("2007/000002").get(0)));
  }

  @Test
  void publishedFormatRoundTripsWithinRounding() {
    Map<String, List<Detection>> in = detections();
    VocResultFiles.write(dir, "test", LABELS, in, VocResultFiles.Format.PUBLISHED);
    ScoredBox d = VocResultFiles.readAll(dir, "test", LABELS).get("000001").get(1);
    Box want = in.get("2007/000001").get(1).box();
    assertThat(d.classIndex()).isEqualTo(2);
    assertThat(d.score()).isCloseTo(0.123, within(1e-12));
    assertThat(d.box().x1()).isCloseTo(want.x1(), within(0.051f));
    assertThat(d.box().y2()).isCloseTo(want.y2(), within(0.051f));
  }

  @Test
  void rewriteReplacesTheFiles() throws Exception {
    VocResultFiles.write(dir, "test", LABELS, detections(), VocResultFiles.Format.PUBLISHED);
    VocResultFiles.write(dir, "test", LABELS, Map.of(), VocResultFiles.Format.PUBLISHED);
    assertThat(Files.size(dir.resolve("comp4_det_test_cat.txt"))).isZero();
  }

  @Test
  void malformedLineNamesFileAndLine() throws Exception {
    Path f = dir.resolve("comp4_det_test_cat.txt");
    Files.writeString(f, "000001 0.9 1 1 10 10\n\n000002 0.8 1 1 ten 10\n");
    assertThatThrownBy(() -> VocResultFiles.read(f, 1))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("line 3")
        .hasMessageContaining("x2 'ten' is not a number");
    Files.writeString(f, "000001 0.9 1 1 10\n");
    assertThatThrownBy(() -> VocResultFiles.read(f, 1))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("line 1")
        .hasMessageContaining("expected 6 fields");
    Files.writeString(f, "000001 NaN 1 1 10 10\n");
    assertThatThrownBy(() -> VocResultFiles.read(f, 1)).hasMessageContaining("not finite");
    // swapped corners are read as written: the reference scores them (SwappedCornersTest)
    Files.writeString(f, "000001 0.5 10 1 2 10\n");
    assertThat(VocResultFiles.read(f, 1).get(0).detection().swapped()).isTrue();
  }

  @Test
  void missingFileIsNamed() {
    assertThatThrownBy(() -> VocResultFiles.readAll(dir, "test", LABELS))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("comp4_det_test_cat.txt")
        .hasMessageContaining("does not exist");
  }

  @Test
  void writerRejectsIdsThatClashOrHoldSpaces() {
    Map<String, List<Detection>> clash = new LinkedHashMap<>();
    clash.put("2007/000001", List.of());
    clash.put("2012/000001", List.of());
    assertThatThrownBy(
            () -> VocResultFiles.write(dir, "test", LABELS, clash, VocResultFiles.Format.EXACT))
        .hasMessageContaining("000001");
    assertThatThrownBy(
            () ->
                VocResultFiles.write(
                    dir, "test", LABELS, Map.of("a b", List.of()), VocResultFiles.Format.EXACT))
        .hasMessageContaining("white space");
  }

  @Test
  void filesScoreLikeTheInMemoryEvaluation() {
    Box a = box(0, 0, 9, 9);
    List<Annotation> anns =
        List.of(
            new Annotation("2007/000001", "", 50, 50, List.of(gt(1, a), difficult(2, a))),
            new Annotation(
                "2007/000002", "", 50, 50, List.of(gt(1, a), gt(2, box(20, 20, 30, 30)))));
    DetectionDataset ds = EvalFixtures.dataset(LABELS, anns);
    Map<String, List<Detection>> dets = new LinkedHashMap<>();
    dets.put(
        "2007/000001",
        List.of(Detection.of(1, "cat", 0.6f, a), Detection.of(2, "dog", 0.7f, box(0, 0, 8.5f, 9))));
    dets.put(
        "2007/000002",
        List.of(
            Detection.of(1, "cat", 0.8f, box(0, 0, 9, 3)),
            Detection.of(2, "dog", 0.4f, box(20.2f, 19.7f, 30, 31))));
    ApAccumulator acc = new ApAccumulator(LABELS);
    for (Annotation an : anns) {
      acc.add(an, dets.get(an.id()));
    }
    EvalResult mem = acc.result(ApMethod.VOC10_ALL_POINT);
    VocResultFiles.write(dir, "test", LABELS, dets, VocResultFiles.Format.EXACT);
    EvalResult files = VocEvaluation.evaluateFiles(ds, dir, "test", ApMethod.VOC10_ALL_POINT);
    // cat: 2 positives; FP (0.8, IoU 0.4) then TP -> recall 0.5 at precision 0.5 -> AP 0.25;
    // dog: the difficult GT match is ignored, then TP -> AP 1.
    assertThat(mem.ap(1)).isCloseTo(0.25, within(1e-12));
    assertThat(mem.ap(2)).isCloseTo(1.0, within(1e-12));
    assertThat(files.ap(1)).isEqualTo(mem.ap(1));
    assertThat(files.ap(2)).isEqualTo(mem.ap(2));
    assertThat(files.classAp(2).ignored()).isEqualTo(1);
    assertThat(files.map()).isEqualTo(mem.map());
  }

  @Test
  void unknownImageInFilesIsAnError() throws Exception {
    DetectionDataset ds =
        EvalFixtures.dataset(LABELS, List.of(new Annotation("2007/000001", "", 50, 50, List.of())));
    VocResultFiles.write(
        dir,
        "test",
        LABELS,
        Map.of("2007/000009", List.of(Detection.of(1, "cat", 0.5f, box(0, 0, 1, 1)))),
        VocResultFiles.Format.PUBLISHED);
    assertThatThrownBy(() -> VocEvaluation.evaluateFiles(ds, dir, "test", ApMethod.VOC07_11_POINT))
        .isInstanceOf(EvalException.class)
        .hasMessageContaining("'000009'");
  }
}
