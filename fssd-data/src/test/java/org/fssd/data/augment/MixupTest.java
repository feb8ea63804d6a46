package org.fssd.data.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.bytedeco.opencv.opencv_core.Mat;
import org.fssd.box.PriorConfig;
import org.fssd.data.GtBox;
import org.fssd.data.Sample;
import org.fssd.data.ShapesDataset;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.image.Preprocessor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.api.MultiDataSet;

class MixupTest {
  private static final float[] MEANS = {104f, 117f, 123f};

  /** A w x h 8-bit BGR image with pixel (x, y, c) = 10 * x + 3 * y + 50 * c + offset. */
  private static Mat image(int w, int h, int offset) {
    Mat m = new Mat(h, w, CV_8UC3);
    byte[] px = new byte[3 * w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < 3; c++) {
          px[3 * (y * w + x) + c] = (byte) value(x, y, c, offset);
        }
      }
    }
    m.data().put(px);
    return m;
  }

  private static int value(int x, int y, int c, int offset) {
    return 10 * x + 3 * y + 50 * c + offset;
  }

  @Test
  void mixedSampleEqualsTheHandComputation() {
    // a: 4 wide, 3 high; b: 3 wide, 4 high -> canvas 4 x 4 = S, so the resize is a plain copy
    float lam = 0.3f;
    float[] boxesA = {1, 0, 3, 2};
    float[] boxesB = {
      0, 1, 2, 4, 0, 0, 0.02f, 1
    }; // the second is 0.005 of the canvas wide: dropped
    Preprocessor pre = new Preprocessor(4);
    for (int interpolation : RandomResize.INTERPOLATIONS) {
      AugmentedSample s;
      try (AugmentedImage a = new AugmentedImage(image(4, 3, 5), boxesA, new int[] {1});
          AugmentedImage b = new AugmentedImage(image(3, 4, 20), boxesB, new int[] {2, 3})) {
        s = Mixup.mix(a, b, lam, pre, interpolation);
      }
      assertThat(s.size()).isEqualTo(4);
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 4; y++) {
          for (int x = 0; x < 4; x++) {
            // outside an image, that image counts as the mean colour
            float va = x < 4 && y < 3 ? value(x, y, c, 5) : MEANS[c];
            float vb = x < 3 && y < 4 ? value(x, y, c, 20) : MEANS[c];
            float expected = lam * va + (1f - lam) * vb - MEANS[c];
            assertThat(s.image()[(c * 4 + y) * 4 + x])
                .as("c %s y %s x %s interpolation %s", c, y, x, interpolation)
                .isEqualTo(expected);
          }
        }
      }
      // a's pixel (0, 0, B) = 5, b's = 20: 0.3 * 5 + 0.7 * 20 - 104 = -88.5 (in float)
      assertThat(s.image()[0]).isCloseTo(-88.5f, within(1e-4f));
      // b's pixel (3, 0) is outside b: only a counts, 0.3 * (a - mean)
      assertThat(s.image()[3]).isCloseTo(0.3f * (35 - 104), within(1e-4f));
      assertThat(s.labels()).containsExactly(1, 2);
      assertThat(s.boxes()).containsExactly(0.25f, 0f, 0.75f, 0.5f, 0f, 0.25f, 0.5f, 1f);
      assertThat(s.weights()).containsExactly(0.3f, 1f - 0.3f);
    }
  }

  @Test
  void betaDrawsHaveTheBetaMeanAndVariance() {
    for (double alpha : new double[] {1.5, 0.5, 4}) {
      SplittableRandom r = new SplittableRandom(42);
      int n = 40000;
      double sum = 0;
      double sq = 0;
      for (int i = 0; i < n; i++) {
        double v = Mixup.beta(r, alpha, alpha);
        assertThat(v).isBetween(0.0, 1.0);
        sum += v;
        sq += v * v;
      }
      double mean = sum / n;
      double var = sq / n - mean * mean;
      assertThat(mean).as("alpha %s", alpha).isCloseTo(0.5, within(0.01));
      // Var Beta(a, a) = 1 / (4 (2a + 1))
      assertThat(var).as("alpha %s", alpha).isCloseTo(1 / (4 * (2 * alpha + 1)), within(0.004));
    }
    assertThatThrownBy(() -> Mixup.beta(new SplittableRandom(1), 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("> 0");
  }

  @Test
  void planFollowsTheProbabilityAndNeverPicksItself() {
    Mixup never = new Mixup(new TrainTransform(300), MixupOptions.builder().probability(0).build());
    Mixup always =
        new Mixup(new TrainTransform(300), MixupOptions.builder().probability(1).build());
    Mixup half = new Mixup(new TrainTransform(300), MixupOptions.defaults());
    int mixed = 0;
    for (int i = 0; i < 1000; i++) {
      assertThat(never.plan(Mixup.random(3, 0, i), i % 10, 10)).isNull();
      Mixup.Plan p = always.plan(Mixup.random(3, 0, i), i % 10, 10);
      assertThat(p.partner()).isBetween(0, 9).isNotEqualTo(i % 10);
      assertThat(p.lambda()).isBetween(0f, 1f);
      assertThat(always.plan(Mixup.random(3, 0, i), i % 10, 10)).isEqualTo(p); // from the seed
      mixed += half.plan(Mixup.random(3, 0, i), i % 10, 10) != null ? 1 : 0;
    }
    assertThat(mixed).isBetween(430, 570);
  }

  @Test
  void applyKeepsTheBoxesOfBothImagesWithTheirWeights() {
    ShapesDataset shapes = ShapesDataset.builder().count(2).imageSize(200, 150).seed(3).build();
    Mixup m = new Mixup(TrainTransform.light(new Preprocessor(300)), MixupOptions.defaults());
    try (Sample a = shapes.sample(0);
        Sample b = shapes.sample(1)) {
      List<GtBox> ga = a.annotation().boxes();
      List<GtBox> gb = b.annotation().boxes();
      // the same seeds twice: the mix must be a function of its inputs and generators
      Supplier<AugmentedSample> mix =
          () ->
              m.apply(
                  a.image(),
                  ga,
                  b.image(),
                  gb,
                  0.25f,
                  new SplittableRandom(1),
                  new SplittableRandom(2));
      AugmentedSample s = mix.get();
      AugmentedSample again = mix.get();
      assertThat(again.image()).isEqualTo(s.image());
      assertThat(again.boxes()).isEqualTo(s.boxes());
      // light: mirror + resize only, same image sizes: every box survives, relative sizes kept
      assertThat(s.count()).isEqualTo(ga.size() + gb.size());
      for (int i = 0; i < s.count(); i++) {
        GtBox g = i < ga.size() ? ga.get(i) : gb.get(i - ga.size());
        assertThat(s.labels()[i]).isEqualTo(g.label());
        assertThat(s.weights()[i]).isEqualTo(i < ga.size() ? 0.25f : 0.75f);
        assertThat(s.boxes()[4 * i + 2] - s.boxes()[4 * i])
            .isCloseTo((g.box().x2() - g.box().x1()) / 200f, within(1e-5f));
      }
    }
  }

  /** All label arrays and features of one epoch. */
  private static List<float[]> epoch(ShapesDataset ds, long seed, MixupOptions mixup) {
    List<float[]> out = new ArrayList<>();
    FssdDataSetIterator.Builder b =
        FssdDataSetIterator.builder(ds, PriorConfig.voc300())
            .batchSize(3)
            .seed(seed)
            .workers(2)
            .transform(TrainTransform.light(new Preprocessor(300)));
    if (mixup != null) {
      b.mixup(mixup, 10);
    }
    try (FssdDataSetIterator it = b.build()) {
      while (it.hasNext()) {
        MultiDataSet d = it.next();
        out.add(d.getFeatures(0).data().asFloat());
        for (int i = 0; i < d.getLabels().length; i++) {
          out.add(d.getLabels(i).data().asFloat());
        }
      }
    }
    return out;
  }

  @Test
  void iteratorMixupIsReproducibleFromTheSeedAndCarriesWeights() {
    ShapesDataset ds = ShapesDataset.builder().count(6).imageSize(160, 120).seed(5).build();
    MixupOptions always = MixupOptions.builder().probability(1).build();
    List<float[]> one = epoch(ds, 7, always);
    List<float[]> two = epoch(ds, 7, always);
    assertThat(one).hasSize(8); // 2 batches x (features, loc, conf, weight)
    for (int i = 0; i < one.size(); i++) {
      assertThat(two.get(i)).as("array %s", i).isEqualTo(one.get(i));
    }
    assertThat(epoch(ds, 8, always).get(0)).isNotEqualTo(one.get(0));
    // weights: 1 on background, lam or 1 - lam on positives, and some positive below 1
    Set<Float> positiveWeights = new HashSet<>();
    for (int batch = 0; batch < 2; batch++) {
      float[] conf = one.get(4 * batch + 2);
      float[] w = one.get(4 * batch + 3);
      for (int q = 0; q < conf.length; q++) {
        if (conf[q] == 0) {
          assertThat(w[q]).isEqualTo(1f);
        } else {
          assertThat(w[q]).isBetween(0f, 1f);
          positiveWeights.add(w[q]);
        }
      }
    }
    assertThat(positiveWeights.stream().anyMatch(v -> v < 0.999f)).isTrue();
    // probability 0 is training without Mixup, bit for bit (and weights all 1)
    List<float[]> off = epoch(ds, 7, MixupOptions.builder().probability(0).build());
    List<float[]> plain = epoch(ds, 7, null);
    assertThat(plain).hasSize(6);
    for (int batch = 0; batch < 2; batch++) {
      for (int k = 0; k < 3; k++) {
        assertThat(off.get(4 * batch + k)).isEqualTo(plain.get(3 * batch + k));
      }
      for (float v : off.get(4 * batch + 3)) {
        assertThat(v).isEqualTo(1f);
      }
    }
  }

  @Test
  void offEpochsEndMixup() {
    MixupOptions o = MixupOptions.builder().offEpochs(2).build();
    assertThat(o.activeIn(7, 10)).isTrue();
    assertThat(o.activeIn(8, 10)).isFalse();
    assertThat(o.activeIn(9, 10)).isFalse();
    assertThat(MixupOptions.builder().probability(0).build().activeIn(0, 10)).isFalse();
    assertThatThrownBy(() -> MixupOptions.builder().alpha(0)).hasMessageContaining("alpha");
    assertThatThrownBy(() -> MixupOptions.builder().probability(1.5)).hasMessageContaining("1.5");
  }

  @Test
  void mixupNeedsATrainTransform() {
    ShapesDataset ds = ShapesDataset.builder().count(2).seed(1).build();
    assertThatThrownBy(
            () ->
                FssdDataSetIterator.builder(ds, PriorConfig.voc300())
                    .transform(new EvalTransform(300))
                    .mixup(MixupOptions.defaults(), 3)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TrainTransform");
  }
}
