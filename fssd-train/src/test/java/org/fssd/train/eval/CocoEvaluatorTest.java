package org.fssd.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.fssd.train.eval.EvalFixtures.box;
import static org.fssd.train.eval.EvalFixtures.crowd;
import static org.fssd.train.eval.EvalFixtures.det;
import static org.fssd.train.eval.EvalFixtures.gt;

import java.util.ArrayList;
import java.util.List;
import org.fssd.box.Box;
import org.fssd.data.Annotation;
import org.fssd.detect.Detection;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;

class CocoEvaluatorTest {
  private static final Labels ONE = Labels.of("thing");
  private static final double TOL = 1e-12;

  private static List<CocoGt> gts(org.fssd.data.GtBox... g) {
    List<CocoGt> out = new ArrayList<>();
    for (org.fssd.data.GtBox x : g) {
      out.add(CocoGt.of(x));
    }
    return out;
  }

  @Test
  void thresholdsAreNumpyLinspace() {
    double[] t = CocoEvaluator.iouThresholds();
    assertThat(t).hasSize(10);
    assertThat(t[0]).isEqualTo(0.5);
    assertThat(t[2]).isEqualTo(0.6);
    assertThat(t[5]).isEqualTo(0.75);
    assertThat(t[8]).isEqualTo(0.8999999999999999); // as numpy.linspace(.5, .95, 10)[8]
    assertThat(t[9]).isEqualTo(0.95);
  }

  @Test
  void perfectDetectorScoresOne() {
    Labels two = Labels.of("a", "b");
    CocoEvaluator ev = new CocoEvaluator(two);
    ev.add(
        new Annotation(
            "1", "", 640, 480, List.of(gt(1, box(0, 0, 9, 9)), gt(2, box(100, 100, 199, 249)))),
        List.of(
            Detection.of(1, "a", 0.3f, box(0, 0, 9, 9)),
            Detection.of(2, "b", 0.9f, box(100, 100, 199, 249))));
    ev.add(
        new Annotation("2", "", 640, 480, List.of(gt(1, box(10, 20, 69, 79)))),
        List.of(Detection.of(1, "a", 0.5f, box(10, 20, 69, 79))));
    CocoResult r = ev.result();
    assertThat(r.ap()).isCloseTo(1.0, within(TOL));
    assertThat(r.ap50()).isCloseTo(1.0, within(TOL));
    assertThat(r.ap75()).isCloseTo(1.0, within(TOL));
    assertThat(r.apSmall()).isCloseTo(1.0, within(TOL)); // 10x10
    assertThat(r.apMedium()).isCloseTo(1.0, within(TOL)); // 60x60
    assertThat(r.apLarge()).isCloseTo(1.0, within(TOL)); // 100x150
    assertThat(r.ar1()).isCloseTo(1.0, within(TOL));
    assertThat(r.ar100()).isCloseTo(1.0, within(TOL));
    assertThat(r.classAp(2)).isCloseTo(1.0, within(TOL));
    assertThat(r.summary()).endsWith("mAP: 1.0000");
  }

  @Test
  void handCaseAtSeveralThresholds() {
    // GT1 [0,0,10,10], GT2 [50,50,10,10] (both small). d1 = GT1 (IoU 1), d2 far (FP),
    // d3 = [50,50,10,6]: IoU 0.6 with GT2, a match for t = 0.50, 0.55, 0.60 only.
    Box g2 = box(50, 50, 59, 59);
    Box d3 = box(50, 50, 59, 55);
    assertThat(CocoEvaluator.iou(CocoEvaluator.xywh(d3), CocoGt.of(gt(1, g2)))).isEqualTo(0.6);
    CocoEvaluator ev = new CocoEvaluator(ONE);
    ev.add(
        "img",
        gts(gt(1, box(0, 0, 9, 9)), gt(1, g2)),
        List.of(
            det(1, 0.9, box(0, 0, 9, 9)), det(1, 0.8, box(100, 100, 109, 109)), det(1, 0.7, d3)));
    CocoResult r = ev.result();
    // t <= 0.6: recall .5 .5 1, precision 1 .5 2/3 -> envelope 1 2/3 2/3: 51 recall thresholds
    // (0 .. 0.50) at 1, 50 at 2/3. t > 0.6: recall stays .5: 51 at 1, 50 at 0.
    double low = (51 + 50 * 2 / 3.0) / 101;
    double high = 51 / 101.0;
    assertThat(r.ap50()).isCloseTo(low, within(TOL));
    assertThat(r.ap75()).isCloseTo(high, within(TOL));
    assertThat(r.ap()).isCloseTo((3 * low + 7 * high) / 10, within(TOL));
    assertThat(r.ap()).isCloseTo(610 / 1010.0, within(TOL));
    assertThat(r.apSmall()).isCloseTo(r.ap(), within(TOL));
    assertThat(r.apMedium()).isNaN();
    assertThat(r.apLarge()).isNaN();
    assertThat(r.ar100()).isCloseTo((3 * 1.0 + 7 * 0.5) / 10, within(TOL));
    assertThat(r.ar10()).isCloseTo(r.ar100(), within(TOL));
    assertThat(r.ar1()).isCloseTo(0.5, within(TOL)); // only d1 is kept per image
    double[] perIou = r.apPerIou();
    assertThat(perIou).hasSize(10);
    for (int t = 0; t < 10; t++) {
      assertThat(perIou[t]).as("IoU threshold %s", t).isCloseTo(t < 3 ? low : high, within(TOL));
    }
    assertThat(perIou[0]).isEqualTo(r.ap50());
    assertThat(perIou[5]).isEqualTo(r.ap75());
  }

  @Test
  void detectionInsideCrowdIsIgnoredAndCrowdIsReusable() {
    Box normal = box(0, 0, 9, 9);
    Box crowdBox = box(100, 100, 299, 299);
    Box inside = box(120, 120, 139, 139);
    // crowd IoU divides by the detection's area: a det inside the crowd region has IoU 1.
    assertThat(CocoEvaluator.iou(CocoEvaluator.xywh(inside), CocoGt.of(crowd(1, crowdBox))))
        .isEqualTo(1.0);
    CocoEvaluator ev = new CocoEvaluator(ONE);
    ev.add(
        "img",
        gts(gt(1, normal), crowd(1, crowdBox)),
        List.of(det(1, 0.95, inside), det(1, 0.9, box(150, 150, 169, 169)), det(1, 0.8, normal)));
    CocoResult r = ev.result();
    assertThat(r.ap()).isCloseTo(1.0, within(TOL));
    // the same detections without the crowd object: two FPs before the TP.
    CocoEvaluator plain = new CocoEvaluator(ONE);
    plain.add(
        "img",
        gts(gt(1, normal)),
        List.of(det(1, 0.95, inside), det(1, 0.9, box(150, 150, 169, 169)), det(1, 0.8, normal)));
    assertThat(plain.result().ap()).isCloseTo(1 / 3.0, within(TOL));
  }

  @Test
  void crowdOnlyClassIsUndefined() {
    Labels two = Labels.of("a", "b");
    CocoEvaluator ev = new CocoEvaluator(two);
    ev.add(
        "img",
        gts(gt(1, box(0, 0, 9, 9)), crowd(2, box(0, 0, 99, 99))),
        List.of(det(1, 0.9, box(0, 0, 9, 9)), det(2, 0.9, box(0, 0, 99, 99))));
    CocoResult r = ev.result();
    assertThat(r.classAp(2)).isNaN();
    assertThat(r.ap()).isCloseTo(1.0, within(TOL)); // class 2 left out of the mean
  }

  @Test
  void usedGtFallsBackToTheNextBestUnlikeVoc() {
    // COCO lets a detection take the next best unused GT.
    Box a = box(0, 0, 9, 9);
    Box b = box(0, 2, 9, 11);
    Box det2 = box(0, 1, 9, 10); // IoU 90/110 with both
    CocoEvaluator ev = new CocoEvaluator(ONE);
    ev.add("img", gts(gt(1, a), gt(1, b)), List.of(det(1, 0.9, a), det(1, 0.8, det2)));
    assertThat(ev.result().ap50()).isCloseTo(1.0, within(TOL));
  }

  @Test
  void keepsAtMostHundredDetectionsPerImageAndClass() {
    Box g = box(0, 0, 9, 9);
    List<ScoredBox> dets = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      dets.add(det(1, 0.9, box(200 + i, 200, 210 + i, 210)));
    }
    dets.add(det(1, 0.1, g)); // the 101st by score: dropped
    CocoEvaluator ev = new CocoEvaluator(ONE);
    ev.add("img", gts(gt(1, g)), dets);
    assertThat(ev.result().ap50()).isZero();
    assertThat(ev.result().ar100()).isZero();
  }

  @Test
  void rejectsRepeatedImage() {
    CocoEvaluator ev = new CocoEvaluator(ONE);
    ev.add("img", List.of(), List.of());
    assertThatThrownBy(() -> ev.add("img", List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("img");
  }
}
