package org.fssd.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.fssd.train.eval.EvalFixtures.box;
import static org.fssd.train.eval.EvalFixtures.det;
import static org.fssd.train.eval.EvalFixtures.difficult;
import static org.fssd.train.eval.EvalFixtures.gt;

import java.util.List;
import org.fssd.box.Box;
import org.fssd.data.Annotation;
import org.fssd.detect.Detection;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;

class ApAccumulatorTest {
  private static final Box A = box(0, 0, 9, 9);
  private static final Box FAR = box(100, 100, 120, 120);
  private static final Labels ONE = Labels.of("thing");

  @Test
  void tpFpOrderingGivesHandComputedAps() {
    // 3 positives (one per image); detections by score: TP, FP, TP, FP; one GT never found.
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add("a", List.of(gt(1, A)), List.of(det(1, 0.9, A), det(1, 0.8, FAR)));
    acc.add("b", List.of(gt(1, A)), List.of(det(1, 0.7, A), det(1, 0.6, FAR)));
    acc.add("c", List.of(gt(1, A)), List.of());
    ClassAp c = acc.result(ApMethod.VOC07_11_POINT).classAp(1);
    assertThat(c.positives()).isEqualTo(3);
    assertThat(c.truePositives()).isEqualTo(2);
    assertThat(c.falsePositives()).isEqualTo(2);
    assertThat(c.recall())
        .containsExactly(new double[] {1 / 3.0, 1 / 3.0, 2 / 3.0, 2 / 3.0}, within(1e-12));
    assertThat(c.precision()).containsExactly(new double[] {1, 0.5, 2 / 3.0, 0.5}, within(1e-12));
    // 11-point: t = 0 .. 0.3 -> 1; t = 0.4 .. 0.6 -> 2/3; t >= 0.7 -> 0.
    assertThat(c.ap()).isCloseTo(6 / 11.0, within(1e-12));
    // all-point: 1/3 * 1 + 1/3 * 2/3.
    assertThat(acc.result(ApMethod.VOC10_ALL_POINT).ap(1)).isCloseTo(5 / 9.0, within(1e-12));
    assertThat(acc.result(ApMethod.VOC10_ALL_POINT).map()).isCloseTo(5 / 9.0, within(1e-12));
  }

  @Test
  void ordersByScoreAcrossImagesNotByAddOrder() {
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add("a", List.of(gt(1, A)), List.of(det(1, 0.2, FAR)));
    acc.add("b", List.of(gt(1, A)), List.of(det(1, 0.9, A)));
    ClassAp c = acc.result(ApMethod.VOC10_ALL_POINT).classAp(1);
    assertThat(c.precision()).containsExactly(1, 0.5);
    assertThat(c.ap()).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void equalScoresKeepAddOrder() {
    ApAccumulator fpFirst = new ApAccumulator(ONE);
    fpFirst.add("a", List.of(), List.of(det(1, 0.5, FAR)));
    fpFirst.add("b", List.of(gt(1, A)), List.of(det(1, 0.5, A)));
    assertThat(fpFirst.result(ApMethod.VOC10_ALL_POINT).classAp(1).precision())
        .containsExactly(0, 0.5);
    ApAccumulator tpFirst = new ApAccumulator(ONE);
    tpFirst.add("b", List.of(gt(1, A)), List.of(det(1, 0.5, A)));
    tpFirst.add("a", List.of(), List.of(det(1, 0.5, FAR)));
    assertThat(tpFirst.result(ApMethod.VOC10_ALL_POINT).classAp(1).precision())
        .containsExactly(1, 0.5);
  }

  @Test
  void duplicateDetectionIsFalsePositive() {
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add("a", List.of(gt(1, A)), List.of(det(1, 0.8, A), det(1, 0.9, A)));
    ClassAp c = acc.result(ApMethod.VOC10_ALL_POINT).classAp(1);
    assertThat(c.truePositives()).isEqualTo(1);
    assertThat(c.falsePositives()).isEqualTo(1);
    assertThat(c.precision()).containsExactly(1, 0.5);
    assertThat(c.ap()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void difficultMatchIsIgnoredAndNotAPositive() {
    Box d = box(50, 50, 69, 69);
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add(
        "a",
        List.of(gt(1, A), difficult(1, d)),
        List.of(det(1, 0.95, d), det(1, 0.9, A), det(1, 0.85, box(50, 50, 68, 69))));
    ClassAp c = acc.result(ApMethod.VOC07_11_POINT).classAp(1);
    assertThat(c.positives()).isEqualTo(1);
    assertThat(c.ignored()).isEqualTo(2); // both hit the difficult GT, even the second time
    assertThat(c.truePositives()).isEqualTo(1);
    assertThat(c.falsePositives()).isZero();
    assertThat(c.recall()).containsExactly(1.0);
    assertThat(c.ap()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void difficultBestMatchWinsOverAnUnusedNormalGt() {
    // The detection overlaps the difficult GT best; the normal GT (IoU > 0.5 too) is not a
    // fallback, so the detection is ignored and the normal GT stays missed.
    Box normal = box(0, 2, 9, 11);
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add("a", List.of(gt(1, normal), difficult(1, A)), List.of(det(1, 0.9, A)));
    ClassAp c = acc.result(ApMethod.VOC10_ALL_POINT).classAp(1);
    assertThat(c.ignored()).isEqualTo(1);
    assertThat(c.truePositives()).isZero();
    assertThat(c.ap()).isZero();
  }

  @Test
  void noDetectionsGivesZero() {
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add("a", List.of(gt(1, A), gt(1, FAR)), List.of());
    EvalResult r = acc.result(ApMethod.VOC07_11_POINT);
    assertThat(r.ap(1)).isZero();
    assertThat(r.map()).isZero();
    assertThat(acc.result(ApMethod.VOC10_ALL_POINT).ap(1)).isZero();
  }

  @Test
  void classWithoutPositivesIsNanAndLeftOutOfMap() {
    Labels two = Labels.of("a", "b");
    ApAccumulator acc = new ApAccumulator(two);
    // class 2 has only a difficult GT and one detection; class 1 is perfect.
    acc.add(
        "x",
        List.of(gt(1, A), difficult(2, FAR)),
        List.of(det(1, 0.9, A), det(2, 0.5, box(0, 0, 3, 3))));
    EvalResult r = acc.result(ApMethod.VOC10_ALL_POINT);
    ClassAp b = r.classAp(2);
    assertThat(b.hasPositives()).isFalse();
    assertThat(b.ap()).isNaN();
    assertThat(b.falsePositives()).isEqualTo(1);
    assertThat(r.map()).isCloseTo(1.0, within(1e-12));
    assertThat(acc.result(ApMethod.VOC07_11_POINT).ap(2)).isNaN();
  }

  @Test
  void noClassWithPositivesGivesNanMap() {
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add("x", List.of(), List.of(det(1, 0.5, A)));
    assertThat(acc.result(ApMethod.VOC10_ALL_POINT).map()).isNaN();
  }

  @Test
  void iouExactlyHalfIsNotAMatch() {
    // GT 10x10 px; (0,0,9,4) is 10x5 px inside it: IoU = 50/100 = 0.5 exactly.
    assertThat(VocMatcher.iou(box(0, 0, 9, 4), A)).isEqualTo(0.5);
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add("a", List.of(gt(1, A)), List.of(det(1, 0.9, box(0, 0, 9, 4))));
    assertThat(acc.result(ApMethod.VOC10_ALL_POINT).classAp(1).falsePositives()).isEqualTo(1);
    // one more pixel row: 60/100 > 0.5.
    ApAccumulator acc2 = new ApAccumulator(ONE);
    acc2.add("a", List.of(gt(1, A)), List.of(det(1, 0.9, box(0, 0, 9, 5))));
    assertThat(acc2.result(ApMethod.VOC10_ALL_POINT).classAp(1).truePositives()).isEqualTo(1);
  }

  @Test
  void iouIsThePixelConventionOfTheOneBasedFiles() {
    // 0-based det (0,0,9,9) is written (1,1,10,10); GT stored (1,1,10,10) is (2,2,11,11) in the
    // XML; overlap 9x9 = 81 of 100 + 100 - 81.
    assertThat(VocMatcher.iou(A, box(1, 1, 10, 10))).isCloseTo(81 / 119.0, within(1e-15));
    assertThat(VocMatcher.iou(A, box(1, 1, 10, 10)))
        .isCloseTo(A.iouPixel(box(1, 1, 10, 10)), within(1e-6));
  }

  @Test
  void usedBestGtGivesFalsePositiveWithoutFallback() {
    Box b = box(0, 2, 9, 11);
    Box det2 = box(0, 0, 9, 10); // IoU 100/110 with A, 90/120 = 0.75 with B
    assertThat(VocMatcher.iou(det2, A)).isGreaterThan(VocMatcher.iou(det2, b));
    assertThat(VocMatcher.iou(det2, b)).isGreaterThan(0.5);
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add("a", List.of(gt(1, A), gt(1, b)), List.of(det(1, 0.9, A), det(1, 0.8, det2)));
    ClassAp c = acc.result(ApMethod.VOC10_ALL_POINT).classAp(1);
    assertThat(c.truePositives()).isEqualTo(1);
    assertThat(c.falsePositives()).isEqualTo(1);
    assertThat(c.ap()).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void onlyTheGtOfTheSameClassCounts() {
    Labels two = Labels.of("a", "b");
    ApAccumulator acc = new ApAccumulator(two);
    acc.add("x", List.of(gt(2, A)), List.of(det(1, 0.9, A)));
    EvalResult r = acc.result(ApMethod.VOC10_ALL_POINT);
    assertThat(r.classAp(1).falsePositives()).isEqualTo(1);
    assertThat(r.ap(2)).isZero();
  }

  @Test
  void addsAnnotationsWithDetections() {
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add(
        new Annotation("2007/000001", "", 100, 100, List.of(gt(1, A))),
        List.of(Detection.of(1, "thing", 0.7f, A)));
    assertThat(acc.images()).isEqualTo(1);
    assertThat(acc.result(ApMethod.VOC07_11_POINT).ap(1)).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void rejectsBadInput() {
    ApAccumulator acc = new ApAccumulator(ONE);
    acc.add("a", List.of(), List.of());
    assertThatThrownBy(() -> acc.add("a", List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("image a");
    assertThatThrownBy(() -> acc.add("b", List.of(gt(2, A)), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label 2");
    assertThatThrownBy(() -> acc.add("c", List.of(), List.of(det(5, 0.5, A))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("class 5");
  }

  @Test
  void tableEndsWithMapLine() {
    Labels two = Labels.of("cat", "dog");
    ApAccumulator acc = new ApAccumulator(two);
    acc.add(
        "a",
        List.of(gt(1, A), gt(1, FAR), difficult(2, A)),
        List.of(det(1, 0.9, A), det(2, 0.3, A)));
    String t = acc.result(ApMethod.VOC10_ALL_POINT).toTable();
    String[] lines = t.split("\n");
    assertThat(lines[lines.length - 1]).isEqualTo("mAP: 0.5000");
    assertThat(t).containsPattern("cat +0\\.5000 +2 +1 +1 +0");
    assertThat(t).containsPattern("dog +n/a +0 +1 +0 +0");
  }
}
