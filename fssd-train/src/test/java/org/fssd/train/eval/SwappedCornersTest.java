package org.fssd.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.fssd.train.eval.EvalFixtures.box;
import static org.fssd.train.eval.EvalFixtures.gt;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fssd.box.Box;
import org.fssd.data.Annotation;
import org.fssd.model.Labels;
import org.fssd.train.eval.VocMatcher.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Result-file boxes with swapped corners ({@code x1 > x2} or {@code y1 > y2}) are scored as the
 * published {@code voc_eval} scores them, with its numpy float64 arithmetic. Every expected value
 * is worked out by hand from voc_eval's formulas (1-based coordinates):
 *
 * <pre>
 * iw = max(min(gx2, bx2) - max(gx1, bx1) + 1, 0); ih likewise; inters = iw * ih
 * uni = (bx2 - bx1 + 1) * (by2 - by1 + 1) + (gx2 - gx1 + 1) * (gy2 - gy1 + 1) - inters
 * ovmax = np.max(inters / uni)     # NaN if any overlap is NaN
 * </pre>
 */
class SwappedCornersTest {
  private static final Labels LABELS = Labels.of("cat", "dog");

  /** GT A: XML (11, 11, 20, 20), 10 x 10 = area 100. */
  private static final Box A = box(10, 10, 19, 19);

  /** GT B: XML (41, 11, 41, 20), one pixel wide, area 10. */
  private static final Box B = box(40, 10, 40, 19);

  @TempDir Path dir;

  private static double overlap(double x1, double y1, double x2, double y2, Box g) {
    return VocMatcher.iou(x1, y1, x2, y2, g);
  }

  @Test
  void overlapIsVocEvalsFormulaIncludingItsDivision() {
    // x swapped by 9: iw = max(11 - 20 + 1, 0) = 0; uni = (11 - 20 + 1) * 10 + 100 - 0 = 20 -> 0/20
    assertThat(overlap(20, 11, 11, 20, A)).isEqualTo(0.0);
    // against the thin GT: uni = -80 + 10 = -70 -> 0 / -70 = -0.0 (numpy gives -0.0 too)
    assertThat(Double.doubleToRawLongBits(overlap(20, 11, 11, 20, B)))
        .isEqualTo(Double.doubleToRawLongBits(-0.0));
    // x swapped by 11: own term (5 - 16 + 1) * 10 = -100 cancels A's 100: 0 / 0 = NaN
    assertThat(overlap(16, 11, 5, 20, A)).isNaN();
    // x swapped by a quarter pixel: own width 0.75, iw with B = 41 - 41.25 + 1 = 0.75, ih = 10;
    // inters 7.5, uni = 7.5 + 10 - 7.5 = 10 -> 0.75, above 0.5
    assertThat(overlap(41.25, 11, 41, 20, B)).isEqualTo(0.75);
    // y swapped by exactly one pixel: own height 0, ih = 0 -> uni = 100, overlap 0
    assertThat(overlap(11, 12, 20, 11, A)).isEqualTo(0.0);
    // proper boxes are unchanged: the pixel IoU
    assertThat(overlap(11, 11, 20, 20, A)).isEqualTo(1.0);
    assertThat(VocMatcher.iou(box(0, 0, 9, 4), A)).isEqualTo(0.0);
  }

  @Test
  void aNanOverlapWithAnyGtMakesTheMaximumNanAndTheDetectionAFalsePositive() {
    // as np.max: NaN wins over the 0 of the other GT, and NaN > 0.5 is false
    ScoredBox nan = ScoredBox.ofFileCoordinates(1, 0.5, 16, 11, 5, 20);
    assertThat(VocMatcher.match(List.of(nan), List.of(gt(1, B), gt(1, A))))
        .containsExactly(Outcome.FP);
    // the thin swapped box takes B (0.75 > 0.5), the first GT with the maximum overlap
    ScoredBox thin = ScoredBox.ofFileCoordinates(1, 0.5, 41.25, 11, 41, 20);
    assertThat(VocMatcher.match(List.of(thin, thin), List.of(gt(1, A), gt(1, B))))
        .containsExactly(Outcome.TP, Outcome.FP);
  }

  @Test
  void resultFilesWithSwappedCornersAreScoredAndCountedWithTheFirstLine() throws Exception {
    Files.writeString(
        dir.resolve("comp4_det_test_cat.txt"),
        String.join(
            "\n",
            "",
            "000001 0.9 20 11 11 20", // x swapped by 9: overlaps 0 and -0.0: FP
            "000001 0.8 11 11 20 20", // A exactly: TP
            "000001 0.7 41.25 11 41 20", // swapped by 0.25: 0.75 with B: TP
            "000001 0.6 16 11 5 20", // NaN with A: FP
            ""));
    Files.writeString(dir.resolve("comp4_det_test_dog.txt"), "000001 0.4 30 30 31 20\n");
    VocResultFiles.Read read = VocResultFiles.readFiles(dir, "test", LABELS);
    assertThat(read.swappedBoxes()).isEqualTo(4);
    assertThat(read.firstSwapped()).isEqualTo(dir.resolve("comp4_det_test_cat.txt") + ":2");
    assertThat(read.warning())
        .startsWith("4 detections have a box with x1 > x2 or y1 > y2 (first at ")
        .contains("comp4_det_test_cat.txt:2");
    ScoredBox first = read.detections().get("000001").get(0);
    assertThat(first.swapped()).isTrue();
    assertThat(first.vocX1()).isEqualTo(20.0);
    assertThat(first.vocX2()).isEqualTo(11.0);
    assertThat(first.box()).isEqualTo(box(10, 10, 19, 19)); // corners sorted, 0-based

    Annotation a = new Annotation("2007/000001", "", 100, 100, List.of(gt(1, A), gt(1, B)));
    EvalResult r =
        VocEvaluation.evaluate(
            EvalFixtures.dataset(LABELS, List.of(a)), read.detections(), ApMethod.VOC07_11_POINT);
    ClassAp cat = r.classes().get(0);
    // sorted by score: FP, TP, TP, FP; npos 2 -> recall 0, .5, 1, 1; precision 0, 1/2, 2/3, 1/2
    assertThat(cat.truePositives()).isEqualTo(2);
    assertThat(cat.falsePositives()).isEqualTo(2);
    // 11-point: every threshold t in 0..1 finds max precision 2/3 at recall >= t
    assertThat(cat.ap()).isCloseTo(2.0 / 3.0, within(1e-12));
    // all-point: 0.5 * 2/3 + 0.5 * 2/3
    EvalResult all =
        VocEvaluation.evaluate(
            EvalFixtures.dataset(LABELS, List.of(a)), read.detections(), ApMethod.VOC10_ALL_POINT);
    assertThat(all.classes().get(0).ap()).isCloseTo(2.0 / 3.0, within(1e-12));
    // no dog GT: its AP is undefined and the swapped dog box a FP; mAP is the cat AP
    assertThat(r.classes().get(1).falsePositives()).isEqualTo(1);
    assertThat(r.map()).isCloseTo(2.0 / 3.0, within(1e-12));
  }

  @Test
  void aFileWithoutSwappedCornersHasNoWarning() throws Exception {
    Files.writeString(dir.resolve("comp4_det_test_cat.txt"), "000001 0.9 11 11 20 20\n");
    Files.writeString(dir.resolve("comp4_det_test_dog.txt"), "");
    VocResultFiles.Read read = VocResultFiles.readFiles(dir, "test", LABELS);
    assertThat(read.swappedBoxes()).isZero();
    assertThat(read.firstSwapped()).isNull();
    assertThat(read.warning()).isNull();
  }

  @Test
  void fileCoordinatesAreKeptInDoubleAsTheReferenceReadsThem() throws Exception {
    // 123.4 is not a float: the old float conversion gave 123.40000153; voc_eval uses 123.4
    Files.writeString(dir.resolve("comp4_det_test_cat.txt"), "000001 0.9 11 11 123.4 20\n");
    Files.writeString(dir.resolve("comp4_det_test_dog.txt"), "");
    ScoredBox d = VocResultFiles.readAll(dir, "test", LABELS).get("000001").get(0);
    assertThat(d.vocX2()).isEqualTo(123.4);
    assertThat(d.swapped()).isFalse();
  }
}
