package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fssd.box.Box;
import org.fssd.box.PriorConfig;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;

/**
 * A fake network: hand-made loc/conf arrays for small prior sets, with expected boxes and scores
 * worked out by hand (dyadic numbers where the expectation is exact).
 */
class DetectionPostprocessorTest {
  private static final Labels CAT_DOG = Labels.of("cat", "dog"); // C = 3

  /** Prior 0 at the image centre, 1/4 wide and 1/2 high. */
  private static final float[] ONE_PRIOR = {0.5f, 0.5f, 0.25f, 0.5f};

  private static DetectionPostprocessor.Builder builder(float[] priors) {
    return DetectionPostprocessor.builder(priors, CAT_DOG);
  }

  @Test
  void zeroOffsetsGiveThePriorScaledToANonSquareImage() {
    DetectionPostprocessor post = builder(ONE_PRIOR).build();
    float[] loc = new float[4];
    float[] conf = {0.1f, 0.7f, 0.2f};
    List<Detection> found = post.process(loc, conf, false, 640, 480);
    // point form (0.375, 0.25, 0.625, 0.75); x * 640, y * 480
    Box expected = Box.of(240f, 120f, 400f, 360f);
    assertThat(found)
        .containsExactly(
            Detection.of(1, "cat", 0.7f, expected), Detection.of(2, "dog", 0.2f, expected));
  }

  @Test
  void offsetsAreDecodedAndScaled() {
    DetectionPostprocessor post = builder(ONE_PRIOR).build();
    // cx = 0.5 + 1 * 0.1 * 0.25 = 0.525, cy = 0.5 - 2 * 0.1 * 0.5 = 0.4,
    // w = 0.25 * exp(ln(2) / 0.2 * 0.2) = 0.5, h = 0.5
    float[] loc = {1f, -2f, (float) (Math.log(2) / 0.2), 0f};
    float[] conf = {0f, 0.9f, 0f};
    List<Detection> found = post.process(loc, conf, false, 640, 480);
    assertThat(found).hasSize(1);
    Box b = found.get(0).box();
    // x: (0.525 -+ 0.25) * 640 = 176, 496; y: (0.4 -+ 0.25) * 480 = 72, 312
    assertThat(new float[] {b.x1(), b.y1(), b.x2(), b.y2()})
        .containsExactly(new float[] {176f, 72f, 496f, 312f}, within(1e-3f));
  }

  @Test
  void offsetsInTheMiddleOfBatchArrays() {
    DetectionPostprocessor post = builder(ONE_PRIOR).build();
    float[] loc = {9, 9, 9, 9, 9, 0, 0, 0, 0};
    float[] conf = {5, 5, 5, 0.1f, 0.7f, 0.2f};
    List<Detection> found = post.process(loc, 5, conf, 3, false, 640, 480);
    assertThat(found).extracting(Detection::box).containsOnly(Box.of(240f, 120f, 400f, 360f));
    assertThatThrownBy(() -> post.process(loc, 6, conf, 3, false, 640, 480))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loc: need 4 floats (1 priors x 4) from offset 6, array has 9");
    assertThatThrownBy(() -> post.process(loc, 5, conf, 4, false, 640, 480))
        .hasMessageContaining("conf: need 3 floats (1 priors x 3 classes) from offset 4");
    assertThatThrownBy(() -> post.process(loc, 5, conf, 3, false, 0, 480))
        .hasMessageContaining("imageWidth");
  }

  @Test
  void softmaxOfLogits() {
    DetectionPostprocessor post = builder(ONE_PRIOR).build();
    // equal logits: e = 1 each, sum = 3, p = 1/3 (exact in float: 1f / 3f), even when huge
    for (float v : new float[] {0f, 1000f, -1000f}) {
      List<Detection> found = post.process(new float[4], new float[] {v, v, v}, true, 640, 480);
      assertThat(found).extracting(Detection::score).containsExactly(1f / 3f, 1f / 3f);
    }
    // logits (0, ln 6, ln 3): e = (1, 6, 3) / 10
    float[] conf = {0f, (float) Math.log(6), (float) Math.log(3)};
    List<Detection> found = post.process(new float[4], conf, true, 640, 480);
    assertThat(found).extracting(Detection::label).containsExactly("cat", "dog");
    assertThat(found.get(0).score()).isCloseTo(0.6f, within(1e-6f));
    assertThat(found.get(1).score()).isCloseTo(0.3f, within(1e-6f));
  }

  /**
   * Logits in, versus probabilities computed here with the SPEC §9 softmax (m = max, e_k = (float)
   * exp(x_k - m), float sum, p_k = e_k / sum) and passed in: the same detections, bit for bit.
   */
  @Test
  void logitsPathEqualsSoftmaxThenProbabilitiesPath() {
    int n = 36;
    int c = 3;
    Random r = new Random(99);
    for (float thr : new float[] {0f, 0.01f, 0.3f, 0.9f}) {
      DetectionPostprocessor post = builder(disjointPriors(n)).scoreThreshold(thr).build();
      for (int trial = 0; trial < 20; trial++) {
        float[] loc = new float[4 * n];
        float[] logits = new float[c * n];
        for (int i = 0; i < loc.length; i++) {
          loc[i] = (float) r.nextGaussian() * 0.3f;
        }
        for (int i = 0; i < logits.length; i++) {
          logits[i] = (float) r.nextGaussian() * 4 + (i % c == 0 ? 3 : 0);
        }
        float[] probs = new float[c * n];
        for (int p = 0; p < n; p++) {
          float m = Float.NEGATIVE_INFINITY;
          for (int k = 0; k < c; k++) {
            m = Math.max(m, logits[p * c + k]);
          }
          float sum = 0f;
          float[] e = new float[c];
          for (int k = 0; k < c; k++) {
            e[k] = (float) Math.exp(logits[p * c + k] - m);
            sum += e[k];
          }
          for (int k = 0; k < c; k++) {
            probs[p * c + k] = e[k] / sum;
          }
        }
        assertThat(post.process(loc, logits, true, 640, 480))
            .isEqualTo(post.process(loc, probs, false, 640, 480));
      }
    }
  }

  @Test
  void scoreThresholdIsStrict() {
    DetectionPostprocessor post = builder(ONE_PRIOR).scoreThreshold(0.25f).build();
    float[] conf = {0.5f, 0.25f, Math.nextUp(0.25f)};
    List<Detection> found = post.process(new float[4], conf, false, 100, 100);
    assertThat(found).extracting(Detection::classIndex).containsExactly(2);
    assertThat(found.get(0).score()).isEqualTo(Math.nextUp(0.25f));
  }

  @Test
  void backgroundIsNeverReported() {
    DetectionPostprocessor post = builder(ONE_PRIOR).scoreThreshold(0f).build();
    List<Detection> found =
        post.process(new float[4], new float[] {0.98f, 0.01f, 0.01f}, false, 100, 100);
    assertThat(found).extracting(Detection::classIndex).containsExactly(1, 2);
    assertThat(post.process(new float[4], new float[] {1f, 0f, 0f}, false, 100, 100)).isEmpty();
  }

  /** n priors in a row, each 0.1 wide and spaced 0.15 apart: pairwise disjoint. */
  private static float[] disjointPriors(int n) {
    float[] p = new float[4 * n];
    for (int i = 0; i < n; i++) {
      p[4 * i] = 0.1f + 0.15f * (i % 6);
      p[4 * i + 1] = 0.1f + 0.15f * (i / 6);
      p[4 * i + 2] = 0.1f;
      p[4 * i + 3] = 0.1f;
    }
    return p;
  }

  @Test
  void nmsPerClassOnly() {
    // priors 0 and 1 identical, prior 2 elsewhere
    float[] priors = {0.5f, 0.5f, 0.2f, 0.2f, 0.5f, 0.5f, 0.2f, 0.2f, 0.1f, 0.1f, 0.1f, 0.1f};
    DetectionPostprocessor post = builder(priors).build();
    float[] conf = {
      0f, 0.6f, 0.5f, // prior 0
      0f, 0.8f, 0.1f, // prior 1: beats prior 0 for cat
      0f, 0.3f, 0f // prior 2
    };
    List<Detection> found = post.process(new float[12], conf, false, 1000, 1000);
    Box centre = Box.of(400f, 400f, 600f, 600f);
    Box corner = Box.of(50f, 50f, 150f, 150f);
    assertThat(found)
        .containsExactly(
            Detection.of(1, "cat", 0.8f, centre), // prior 1 suppresses prior 0 (IoU 1)
            Detection.of(2, "dog", 0.5f, centre), // dog keeps prior 0, suppresses prior 1
            Detection.of(1, "cat", 0.3f, corner));
  }

  @Test
  void perClassTopK() {
    int n = 36;
    float[] conf = new float[3 * n];
    for (int p = 0; p < n; p++) {
      conf[3 * p + 1] = 0.02f + p * 0.01f; // cat: increasing with the prior index
    }
    DetectionPostprocessor post = builder(disjointPriors(n)).perClassTopK(10).build();
    List<Detection> found = post.process(new float[4 * n], conf, false, 1000, 1000);
    assertThat(found).hasSize(10);
    assertThat(found.get(0).score()).isEqualTo(0.02f + 35 * 0.01f);
    assertThat(found.get(9).score()).isEqualTo(0.02f + 26 * 0.01f);
  }

  @Test
  void maxDetectionsCutKeepsTiesAtTheCut() {
    // 10 classes x 30 disjoint priors = 300 detections: 190 distinct high scores, then 20 equal
    // scores 0.5 straddling rank 200, then 90 low ones. 200th highest = 0.5 -> 210 kept.
    Labels labels = Labels.generic(10);
    int n = 30;
    int c = 11;
    List<int[]> slots = new ArrayList<>();
    for (int j = 1; j < c; j++) {
      for (int p = 0; p < n; p++) {
        slots.add(new int[] {j, p});
      }
    }
    Collections.shuffle(slots, new Random(5));
    float[] conf = new float[n * c];
    for (int r = 0; r < slots.size(); r++) {
      float s = r < 190 ? 0.99f - r * 0.002f : (r < 210 ? 0.5f : 0.3f - (r - 210) * 0.002f);
      conf[slots.get(r)[1] * c + slots.get(r)[0]] = s;
    }
    DetectionPostprocessor post = DetectionPostprocessor.builder(disjointPriors(n), labels).build();
    assertThat(post.maxDetections()).isEqualTo(200);
    List<Detection> found = post.process(new float[4 * n], conf, false, 1000, 1000);
    assertThat(found).hasSize(210);
    assertThat(found.get(209).score()).isEqualTo(0.5f);
    assertThat(found.stream().filter(d -> d.score() == 0.5f).count()).isEqualTo(20);
    // sorted: score desc, then class asc, then prior asc (priors are laid out row by row)
    for (int i = 1; i < found.size(); i++) {
      Detection a = found.get(i - 1);
      Detection b = found.get(i);
      assertThat(a.score()).isGreaterThanOrEqualTo(b.score());
      if (a.score() == b.score()) {
        assertThat(a.classIndex()).isLessThanOrEqualTo(b.classIndex());
        if (a.classIndex() == b.classIndex()) {
          assertThat(a.box().y1() * 10000 + a.box().x1())
              .isLessThan(b.box().y1() * 10000 + b.box().x1());
        }
      }
    }
    // without a tie at the cut exactly maxDetections survive
    DetectionPostprocessor post150 =
        DetectionPostprocessor.builder(disjointPriors(n), labels).maxDetections(150).build();
    List<Detection> top150 = post150.process(new float[4 * n], conf, false, 1000, 1000);
    assertThat(top150).hasSize(150);
    assertThat(top150.get(149).score()).isEqualTo(0.99f - 149 * 0.002f);
  }

  @Test
  void tiesSortByClassThenPrior() {
    DetectionPostprocessor post = builder(disjointPriors(3)).build();
    float[] conf = {0f, 0.5f, 0.5f, 0f, 0.5f, 0.9f, 0f, 0.5f, 0.5f};
    List<Detection> found = post.process(new float[12], conf, false, 1000, 1000);
    assertThat(found)
        .extracting(d -> d.classIndex() + "@" + (int) d.box().x1())
        .containsExactly("2@200", "1@50", "1@200", "1@350", "2@50", "2@350");
  }

  @Test
  void nonFiniteInputSkipsThePrior() {
    float[] priors = disjointPriors(5);
    DetectionPostprocessor post = builder(priors).build();
    float[] loc = new float[20];
    loc[4] = Float.NaN; // prior 1: NaN offset
    loc[4 * 3 + 2] = 1000f; // prior 3: exp overflows -> infinite width
    float[] conf = new float[15];
    for (int p = 0; p < 5; p++) {
      conf[3 * p + 1] = 2f; // cat logit: p(cat) = e^2 / (1 + e^2 + e^-10) = 0.88
      conf[3 * p + 2] = -10f; // dog logit: p(dog) < 0.01
    }
    conf[3 * 2] = Float.POSITIVE_INFINITY; // prior 2: infinite logit
    conf[3 * 4 + 2] = Float.NaN; // prior 4: NaN logit
    List<Detection> found = post.process(loc, conf, true, 1000, 1000);
    assertThat(found).extracting(Detection::label).containsExactly("cat");
    assertThat(found.get(0).box()).isEqualTo(Box.of(50f, 50f, 150f, 150f)); // prior 0
    float[] probs = new float[15];
    probs[3 * 4 + 1] = Float.NaN;
    probs[1] = 0.5f;
    assertThat(post.process(new float[20], probs, false, 1000, 1000)).hasSize(1);
  }

  @Test
  void clipToImage() {
    float[] priors = {0.05f, 0.5f, 0.25f, 0.5f};
    // x1 = 0.05 - 0.125 = -0.075 -> -48 px unclipped
    Box raw = onlyBox(priors, false);
    assertThat(raw.x1()).isCloseTo(-48f, within(1e-3f));
    assertThat(raw.x2()).isCloseTo(112f, within(1e-3f));
    Box clipped = onlyBox(priors, true);
    assertThat(clipped.x1()).isZero();
    assertThat(clipped.x2()).isEqualTo(raw.x2());
    // a box past the bottom-right corner clips to (W, H), not W - 1
    assertThat(onlyBox(new float[] {1f, 1f, 0.5f, 0.5f}, true))
        .isEqualTo(Box.of(480f, 360f, 640f, 480f));
  }

  /** The box of a 640x480 image's one detection: one prior, zero offsets, class 1 certain. */
  private static Box onlyBox(float[] prior, boolean clipToImage) {
    return builder(prior)
        .clipToImage(clipToImage)
        .build()
        .process(new float[4], new float[] {0f, 1f, 0f}, false, 640, 480)
        .get(0)
        .box();
  }

  @Test
  void probabilityAboveOneIsReportedAsOne() {
    List<Detection> found =
        builder(ONE_PRIOR)
            .build()
            .process(new float[4], new float[] {0f, 1.0000001f, 0f}, false, 10, 10);
    assertThat(found).extracting(Detection::score).containsExactly(1f);
  }

  @Test
  void fullVoc300FakeNetwork() {
    PriorConfig config = PriorConfig.voc300();
    DetectionPostprocessor post = DetectionPostprocessor.builder(config, Labels.voc()).build();
    int p = config.numPriors();
    int c = 21;
    float[] loc = new float[4 * p];
    float[] conf = new float[p * c];
    for (int i = 0; i < p; i++) {
      conf[i * c] = 10f; // background dominates everywhere: 1 / (e^10 + 20) < 0.01
    }
    int big = config.priorIndex(5, 0, 0, 0); // (0.5, 0.5, 0.88, 0.88)
    conf[big * c + 15] = 20f; // person
    List<Detection> found = post.process(loc, conf, true, 500, 375);
    assertThat(found).hasSize(1);
    Detection d = found.get(0);
    assertThat(d.classIndex()).isEqualTo(15);
    assertThat(d.label()).isEqualTo("person");
    assertThat(d.score()).isCloseTo(0.99995f, within(1e-5f));
    // x: (0.5 -+ 0.44) * 500 = 30, 470; y: (0.5 -+ 0.44) * 375 = 22.5, 352.5
    assertThat(d.box().x1()).isCloseTo(30f, within(1e-3f));
    assertThat(d.box().x2()).isCloseTo(470f, within(1e-3f));
    assertThat(d.box().y1()).isCloseTo(22.5f, within(1e-3f));
    assertThat(d.box().y2()).isCloseTo(352.5f, within(1e-3f));
  }

  @Test
  void concurrentCallsAgree() throws Exception {
    int n = 36;
    Random r = new Random(11);
    float[] loc = new float[4 * n];
    float[] conf = new float[3 * n];
    for (int i = 0; i < loc.length; i++) {
      loc[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < conf.length; i++) {
      conf[i] = (float) r.nextGaussian() * 3;
    }
    DetectionPostprocessor post = builder(disjointPriors(n)).build();
    List<Detection> expected = post.process(loc, conf, true, 800, 600);
    assertThat(expected).isNotEmpty();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<Detection>>> futures = new ArrayList<>();
      for (int t = 0; t < 200; t++) {
        futures.add(pool.submit(() -> post.process(loc, conf, true, 800, 600)));
      }
      for (Future<List<Detection>> f : futures) {
        assertThat(f.get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void builderValidation() {
    assertThatThrownBy(() -> builder(ONE_PRIOR).scoreThreshold(1f).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scoreThreshold must be in [0, 1), got 1.0");
    assertThatThrownBy(() -> builder(ONE_PRIOR).scoreThreshold(-0.01f).build())
        .hasMessageContaining("scoreThreshold");
    assertThatThrownBy(() -> builder(ONE_PRIOR).scoreThreshold(Float.NaN).build())
        .hasMessageContaining("scoreThreshold");
    assertThatThrownBy(() -> builder(ONE_PRIOR).nmsIouThreshold(1.5f).build())
        .hasMessageContaining("nmsIouThreshold");
    assertThatThrownBy(() -> builder(ONE_PRIOR).perClassTopK(0).build())
        .hasMessageContaining("perClassTopK");
    assertThatThrownBy(() -> builder(ONE_PRIOR).maxDetections(0).build())
        .hasMessageContaining("maxDetections");
    assertThatThrownBy(() -> builder(ONE_PRIOR).variances(0.1, 0).build())
        .hasMessageContaining("variance1");
    // Refused by the setter itself, before build(), with the same ranges as DetectorSettings.
    assertThatThrownBy(() -> builder(ONE_PRIOR).variances(Double.NaN, 0.2))
        .hasMessageContaining("variance0 must be finite and > 0, got NaN");
    assertThatThrownBy(() -> builder(ONE_PRIOR).variances(0.1, -0.2))
        .hasMessageContaining("variance1 must be finite and > 0, got -0.2");
    assertThatThrownBy(() -> builder(ONE_PRIOR).nmsIouThreshold(0f).build())
        .hasMessageContaining("nmsIouThreshold must be in (0, 1], got 0.0");
    assertThatThrownBy(() -> builder(new float[] {1, 2, 3}))
        .hasMessageContaining("4 floats (cx, cy, w, h) per prior, got 3");
    assertThatThrownBy(() -> builder(new float[] {0, 0, Float.NaN, 1}))
        .hasMessageContaining("priors[2] is not finite");
    DetectionPostprocessor fromSettings =
        builder(ONE_PRIOR)
            .settings(
                DetectorSettings.builder()
                    .scoreThreshold(0.2f)
                    .nmsIouThreshold(0.3f)
                    .perClassTopK(4)
                    .maxDetections(5)
                    .clipToImage(true)
                    .build())
            .build();
    assertThat(fromSettings.scoreThreshold()).isEqualTo(0.2f);
    assertThat(fromSettings.nmsIouThreshold()).isEqualTo(0.3f);
    assertThat(fromSettings.perClassTopK()).isEqualTo(4);
    assertThat(fromSettings.maxDetections()).isEqualTo(5);
    assertThat(fromSettings.clipToImage()).isTrue();
    DetectionPostprocessor post = builder(ONE_PRIOR).build();
    assertThat(post.scoreThreshold()).isEqualTo(0.01f);
    assertThat(post.nmsIouThreshold()).isEqualTo(0.45f);
    assertThat(post.perClassTopK()).isEqualTo(40);
    assertThat(post.maxDetections()).isEqualTo(200);
    assertThat(post.clipToImage()).isFalse();
    assertThat(post.numClasses()).isEqualTo(3);
    assertThat(post.numPriors()).isEqualTo(1);
    assertThat(post.toString()).contains("scoreThreshold=0.01").contains("maxDetections=200");
  }
}
