package org.fssd.data.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.fssd.data.Sample;
import org.fssd.data.ShapesDataset;
import org.junit.jupiter.api.Test;

class AugmentTest {

  /** A W x H image whose pixel (x, y) is (B, G, R) = (x, y, 7). */
  private static Mat coordinateImage(int w, int h) {
    Mat m = new Mat(h, w, CV_8UC3);
    byte[] px = new byte[3 * w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        px[3 * (y * w + x)] = (byte) x;
        px[3 * (y * w + x) + 1] = (byte) y;
        px[3 * (y * w + x) + 2] = 7;
      }
    }
    m.data().put(px);
    return m;
  }

  private static int px(Mat m, int x, int y, int c) {
    byte[] b = new byte[3];
    m.ptr(y, x).get(b);
    return b[c] & 0xFF;
  }

  @Test
  void cropKeepsExactlyTheBoxesWhoseCentreIsInside() {
    int w = 200;
    int h = 150;
    float[] boxes = {10, 10, 60, 50, 100, 20, 190, 140, 5, 100, 40, 148, 70, 60, 130, 110};
    int[] labels = {1, 2, 3, 4};
    RandomIoUCrop crop = new RandomIoUCrop();
    int cropped = 0;
    for (int seed = 0; seed < 200; seed++) {
      try (AugmentedImage s = new AugmentedImage(coordinateImage(w, h), boxes, labels)) {
        crop.apply(s, new SplittableRandom(seed));
        if (s.width() == w && s.height() == h) {
          assertThat(s.boxes()).containsExactly(boxes);
          continue;
        }
        cropped++;
        int l = px(s.image(), 0, 0, 0);
        int t = px(s.image(), 0, 0, 1);
        int r = l + s.width();
        int b = t + s.height();
        int k = 0;
        for (int i = 0; i < labels.length; i++) {
          float cx = (boxes[4 * i] + boxes[4 * i + 2]) / 2;
          float cy = (boxes[4 * i + 1] + boxes[4 * i + 3]) / 2;
          boolean inside = l < cx && cx < r && t < cy && cy < b;
          if (!inside) {
            assertThat(s.labels()).doesNotContain(labels[i]);
            continue;
          }
          assertThat(s.labels()[k]).isEqualTo(labels[i]);
          assertThat(s.boxes()[4 * k]).isEqualTo(Math.max(boxes[4 * i], l) - l);
          assertThat(s.boxes()[4 * k + 1]).isEqualTo(Math.max(boxes[4 * i + 1], t) - t);
          assertThat(s.boxes()[4 * k + 2]).isEqualTo(Math.min(boxes[4 * i + 2], r) - l);
          assertThat(s.boxes()[4 * k + 3]).isEqualTo(Math.min(boxes[4 * i + 3], b) - t);
          k++;
        }
        assertThat(k).isEqualTo(s.count()).isGreaterThan(0);
      }
    }
    assertThat(cropped).isGreaterThan(50); // modes that cannot be met end in "none" eventually
  }

  @Test
  void mirrorTwiceIsIdentity() {
    float[] boxes = {10, 20, 50, 70, 0, 0, 30, 10};
    try (Mat orig = coordinateImage(64, 80);
        AugmentedImage s = new AugmentedImage(orig.clone(), boxes, new int[] {1, 2})) {
      Mirror.flip(s);
      assertThat(s.boxes()).containsExactly(14, 20, 54, 70, 34, 0, 64, 10);
      assertThat(px(s.image(), 0, 5, 0)).isEqualTo(63);
      Mirror.flip(s);
      assertThat(s.boxes()).containsExactly(boxes);
      byte[] a = new byte[3 * 64 * 80];
      byte[] b = new byte[a.length];
      orig.data().get(a);
      s.image().data().get(b);
      assertThat(b).isEqualTo(a);
    }
  }

  @Test
  void expandPlacesImageAtTheBoxOffsetOnAMeanCanvas() {
    Expand expand = new Expand(1.0, new double[] {104, 117, 123});
    for (int seed = 0; seed < 20; seed++) {
      try (AugmentedImage s =
          new AugmentedImage(coordinateImage(40, 30), new float[] {0, 0, 40, 30}, new int[] {1})) {
        expand.apply(s, new SplittableRandom(seed));
        assertThat(s.width()).isGreaterThanOrEqualTo(40);
        assertThat(s.height()).isGreaterThanOrEqualTo(30);
        int l = (int) s.boxes()[0];
        int t = (int) s.boxes()[1];
        assertThat(s.boxes()[2] - s.boxes()[0]).isEqualTo(40);
        assertThat(px(s.image(), l + 5, t + 7, 0)).isEqualTo(5);
        assertThat(px(s.image(), l + 5, t + 7, 1)).isEqualTo(7);
        if (s.width() > 40 || s.height() > 30) {
          int fx = l > 0 ? 0 : s.width() - 1;
          int fy = l > 0 ? 0 : (t > 0 ? 0 : s.height() - 1);
          if (l == 0 && s.width() > 40) {
            fx = s.width() - 1;
            fy = 0;
          }
          if (l > 0 || s.width() > 40) {
            assertThat(px(s.image(), fx, fy, 0)).isEqualTo(104);
            assertThat(px(s.image(), fx, fy, 2)).isEqualTo(123);
          }
        }
      }
    }
  }

  @Test
  void lightTransformKeepsEveryBoxEitherInPlaceOrMirrored() {
    ShapesDataset ds = ShapesDataset.builder().count(20).imageSize(160, 120).seed(5).build();
    TrainTransform light = TrainTransform.light(new org.fssd.image.Preprocessor(64));
    int mirrored = 0;
    for (int i = 0; i < ds.size(); i++) {
      try (Sample s = ds.sample(i)) {
        AugmentedSample a = light.apply(s.image(), s.annotation().boxes(), Rng.forSample(2, 0, i));
        List<org.fssd.data.GtBox> gt = s.annotation().boxes();
        assertThat(a.count()).isEqualTo(gt.size());
        if (gt.isEmpty()) {
          continue;
        }
        // Either every box is at its place (relative) or every box is mirrored: x -> 1 - x.
        float x1 = gt.get(0).box().x1() / 160f;
        boolean flip = Math.abs(a.boxes()[0] - x1) > 1e-4;
        mirrored += flip ? 1 : 0;
        for (int k = 0; k < gt.size(); k++) {
          org.fssd.box.Box b = gt.get(k).box();
          float ex1 = flip ? 1 - b.x2() / 160f : b.x1() / 160f;
          float ex2 = flip ? 1 - b.x1() / 160f : b.x2() / 160f;
          assertThat(a.boxes()[4 * k]).isCloseTo(ex1, org.assertj.core.data.Offset.offset(1e-4f));
          assertThat(a.boxes()[4 * k + 2])
              .isCloseTo(ex2, org.assertj.core.data.Offset.offset(1e-4f));
          assertThat(a.boxes()[4 * k + 1])
              .isCloseTo(b.y1() / 120f, org.assertj.core.data.Offset.offset(1e-4f));
          assertThat(a.boxes()[4 * k + 3])
              .isCloseTo(b.y2() / 120f, org.assertj.core.data.Offset.offset(1e-4f));
          assertThat(a.labels()[k]).isEqualTo(gt.get(k).label());
        }
      }
    }
    assertThat(mirrored).isBetween(1, 19);
  }

  @Test
  void trainTransformKeepsBoxesInUnitSquareAndDropsTinyOnes() {
    ShapesDataset ds = ShapesDataset.builder().count(40).imageSize(160, 120).seed(3).build();
    TrainTransform tt = new TrainTransform(64);
    int total = 0;
    for (int i = 0; i < ds.size(); i++) {
      try (Sample s = ds.sample(i)) {
        for (int epoch = 0; epoch < 3; epoch++) {
          AugmentedSample a =
              tt.apply(s.image(), s.annotation().boxes(), Rng.forSample(1, epoch, i));
          assertThat(a.image()).hasSize(3 * 64 * 64);
          assertThat(a.count()).isEqualTo(a.labels().length);
          if (!s.annotation().boxes().isEmpty()) {
            assertThat(a.count()).isGreaterThan(0);
          }
          for (int k = 0; k < a.count(); k++) {
            total++;
            float x1 = a.boxes()[4 * k];
            float y1 = a.boxes()[4 * k + 1];
            float x2 = a.boxes()[4 * k + 2];
            float y2 = a.boxes()[4 * k + 3];
            for (float v : new float[] {x1, y1, x2, y2}) {
              assertThat(v).isBetween(0f, 1f);
            }
            assertThat(x2).isGreaterThan(x1);
            assertThat(y2).isGreaterThan(y1);
            assertThat(a.weights()[k]).isEqualTo(1f);
            assertThat(a.labels()[k]).isBetween(1, 6);
          }
          AugmentedSample again =
              tt.apply(s.image(), s.annotation().boxes(), Rng.forSample(1, epoch, i));
          assertThat(again.image()).isEqualTo(a.image());
          assertThat(again.boxes()).isEqualTo(a.boxes());
        }
      }
    }
    assertThat(total).isGreaterThan(100);
  }

  @Test
  void constantImageGivesColourMinusMean() {
    try (Mat m = new Mat(37, 53, CV_8UC3, new Scalar(110, 100, 200, 0));
        org.fssd.image.BgrImage img = org.fssd.image.BgrImage.wrap(m.clone(), "c")) {
      AugmentedSample e = new EvalTransform(32).apply(img, java.util.List.of());
      assertThat(e.image()).hasSize(3 * 32 * 32);
      for (int c = 0; c < 3; c++) {
        float want = new float[] {110 - 104, 100 - 117, 200 - 123}[c];
        for (int p = 0; p < 32 * 32; p++) {
          assertThat(e.image()[c * 32 * 32 + p]).isEqualTo(want);
        }
      }
      // every interpolation keeps a constant image constant
      float[] t = new float[3 * 32 * 32];
      for (int interp : RandomResize.INTERPOLATIONS) {
        RandomResize.resize(m, interp, new org.fssd.image.Preprocessor(32), t, 0);
        assertThat(t[0]).isEqualTo(6f);
        assertThat(t[3 * 32 * 32 - 1]).isEqualTo(77f);
      }
    }
  }

  @Test
  void photometricKeepsGeometryAndHueWrapsMod180() {
    try (AugmentedImage s =
        new AugmentedImage(coordinateImage(30, 20), new float[] {1, 2, 3, 4}, new int[] {1})) {
      new PhotometricDistort().apply(s, new SplittableRandom(5));
      assertThat(s.width()).isEqualTo(30);
      assertThat(s.height()).isEqualTo(20);
      assertThat(s.boxes()).containsExactly(1, 2, 3, 4);
    }
    byte[] v = {(byte) 250, 10};
    PhotometricDistort.convert(v, 0, 1, 1.5, 0);
    assertThat(v[0] & 0xFF).isEqualTo(255);
    assertThat(v[1] & 0xFF).isEqualTo(15);
    byte[] u = {(byte) 101};
    PhotometricDistort.convert(u, 0, 1, 0.5, 0);
    assertThat(u[0] & 0xFF).isEqualTo(50); // truncated, not rounded
  }
}
