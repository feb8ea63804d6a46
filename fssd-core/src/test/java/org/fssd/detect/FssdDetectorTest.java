package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.fssd.ImageDecodeException;
import org.fssd.box.PriorBoxes;
import org.fssd.image.ImageInput;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Labels;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class FssdDetectorTest {
  @TempDir Path dir;

  /**
   * A "fake network" (DJL habit): every head weight is zero, so each head outputs its bias. Only
   * the first prior of the last level (1x1 cell, the 264-pixel square box) scores class 1; its loc
   * offsets are (0.5, -0.25, 0.3, -0.1).
   */
  static FssdModel oneBoxModel() {
    FssdConfig config = FssdTestModels.tiny300(3);
    FssdModel model = FssdModel.create(config, Labels.of("circle", "square"), 3);
    int levels = config.widths().levels();
    for (int k = 0; k < levels; k++) {
      for (ConvSpec.Group g : new ConvSpec.Group[] {ConvSpec.Group.LOC, ConvSpec.Group.CONF}) {
        ConvSpec c = config.conv(g, k);
        model.graph().getParam(c.name() + "_W").assign(0);
        INDArray b = model.graph().getParam(c.name() + "_b");
        b.assign(0);
        if (g == ConvSpec.Group.CONF) {
          int anchors = config.priors().priorsPerLocation(k);
          for (int a = 0; a < anchors; a++) {
            boolean target = k == levels - 1 && a == 0;
            b.putScalar((long) a * 3 + (target ? 1 : 0), 10f);
          }
        } else if (k == levels - 1) {
          b.putScalar(0, 0.5f);
          b.putScalar(1, -0.25f);
          b.putScalar(2, 0.3f);
          b.putScalar(3, -0.1f);
        }
      }
    }
    return model;
  }

  static BufferedImage picture(int w, int h, long seed) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    java.util.Random r = new java.util.Random(seed);
    for (int i = 0; i < 12; i++) {
      g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
      g.fillOval(r.nextInt(w), r.nextInt(h), 20 + r.nextInt(w / 2), 20 + r.nextInt(h / 2));
    }
    g.dispose();
    return img;
  }

  @Test
  void boxesAreInPixelsOfTheOriginalImage() throws Exception {
    FssdModel model = oneBoxModel();
    float[] priors = PriorBoxes.generate(model.config().priors());
    int p = model.config().numPriors() - 4; // first prior of the 1x1 level
    assertThat(priors[p * 4 + 2]).isCloseTo(264f / 300f, within(1e-6f));
    // Hand computation of SPEC 4 decode for prior (0.5, 0.5, 0.88, 0.88) and the offsets above.
    double s = 0.88;
    double cx = 0.5 + 0.5 * 0.1 * s;
    double cy = 0.5 - 0.25 * 0.1 * s;
    double w = s * Math.exp(0.3 * 0.2);
    double h = s * Math.exp(-0.1 * 0.2);
    int width = 640;
    int height = 480;
    double score = Math.exp(10) / (Math.exp(10) + 2);
    try (FssdDetector detector = FssdDetector.builder().model(model).build()) {
      BufferedImage img = picture(width, height, 1);
      Path png = dir.resolve("img.png");
      ImageIO.write(img, "png", png.toFile());
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      ImageIO.write(img, "png", bytes);
      for (List<Detection> found :
          List.of(
              detector.detect(img), detector.detect(png), detector.detect(bytes.toByteArray()))) {
        assertThat(found).hasSize(1);
        Detection d = found.get(0);
        assertThat(d.classIndex()).isEqualTo(1);
        assertThat(d.label()).isEqualTo("circle");
        assertThat((double) d.score()).isCloseTo(score, within(1e-6));
        assertThat((double) d.box().x1()).isCloseTo((cx - w / 2) * width, within(1e-3));
        assertThat((double) d.box().y1()).isCloseTo((cy - h / 2) * height, within(1e-3));
        assertThat((double) d.box().x2()).isCloseTo((cx + w / 2) * width, within(1e-3));
        assertThat((double) d.box().y2()).isCloseTo((cy + h / 2) * height, within(1e-3));
      }
    }
  }

  @Test
  void boxesAreNotClippedUnlessAsked() {
    FssdModel model = oneBoxModel();
    // Make the box wider than the image: l2 = 3 -> w = 0.88 * e^0.6 = 1.6.
    model.graph().getParam("loc." + (model.config().widths().levels() - 1) + "_b").putScalar(2, 3f);
    BufferedImage img = picture(200, 100, 2);
    try (FssdDetector plain = FssdDetector.builder().model(model).build();
        FssdDetector clipped = FssdDetector.builder().model(model).clipToImage(true).build()) {
      Detection d = plain.detect(img).get(0);
      assertThat(d.box().x1()).isNegative();
      assertThat(d.box().x2()).isGreaterThan(200f);
      Detection c = clipped.detect(img).get(0);
      assertThat(c.box().x1()).isEqualTo(0f);
      assertThat(c.box().x2()).isEqualTo(200f);
    }
  }

  @Test
  @Numerical
  void manyThreadsGetTheSameAnswersAsOne() throws Exception {
    FssdModel model = FssdTestModels.tamedNarrow300(9);
    List<BufferedImage> images = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      images.add(picture(160 + 40 * i, 120 + 30 * i, 10 + i));
    }
    try (FssdDetector detector =
        FssdDetector.builder().model(model).scoreThreshold(0.01f).replicas(2).build()) {
      List<List<Detection>> expected = new ArrayList<>();
      for (BufferedImage img : images) {
        expected.add(detector.detect(img));
      }
      assertThat(expected.get(0)).isNotEmpty();
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try {
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
          final int offset = t;
          results.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 4; i++) {
                      int k = (i + offset) % 4;
                      if (!detector.detect(images.get(k)).equals(expected.get(k))) {
                        return false;
                      }
                    }
                    return true;
                  }));
        }
        for (Future<Boolean> f : results) {
          assertThat(f.get(120, TimeUnit.SECONDS)).isTrue();
        }
      } finally {
        pool.shutdownNow();
      }
      // A batch gives exactly the single-image answers (the default runs each image on the
      // batch-1 plan; batched plans are checked in FssdDetectorBatchTest).
      List<List<Detection>> batch =
          detector.detectBatch(images.stream().map(ImageInput::of).toList());
      for (int i = 0; i < images.size(); i++) {
        assertThat(batch.get(i)).isEqualTo(expected.get(i));
      }
    }
  }

  @Test
  void badImagesAreNamedAndDetectorKeepsWorking() throws Exception {
    try (FssdDetector detector = FssdDetector.builder().model(oneBoxModel()).build()) {
      assertThatThrownBy(() -> detector.detect(new byte[] {1, 2, 3, 4}))
          .isInstanceOf(ImageDecodeException.class)
          .hasMessageContaining("<bytes #0>");
      Path empty = dir.resolve("empty.jpg");
      Files.write(empty, new byte[0]);
      assertThatThrownBy(() -> detector.detect(empty))
          .isInstanceOf(ImageDecodeException.class)
          .hasMessageContaining(empty.toString());
      assertThatThrownBy(() -> detector.detect(dir.resolve("missing.png")))
          .isInstanceOf(ImageDecodeException.class)
          .hasMessageContaining("missing.png");
      List<ImageInput> withNull = new ArrayList<>();
      withNull.add(ImageInput.of(picture(50, 40, 3)));
      withNull.add(null);
      assertThatThrownBy(() -> detector.detectBatch(withNull))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("images[1]");
      assertThat(detector.detect(picture(50, 40, 3))).hasSize(1);
    }
    try (FssdDetector small = FssdDetector.builder().model(oneBoxModel()).maxPixels(1000).build()) {
      assertThatThrownBy(() -> small.detect(picture(50, 40, 3)))
          .isInstanceOf(ImageDecodeException.class);
    }
  }

  @Test
  void closedDetectorRefusesCallsAndCloseIsIdempotent() {
    FssdDetector detector = FssdDetector.builder().model(oneBoxModel()).build();
    detector.close();
    detector.close();
    assertThatThrownBy(() -> detector.detect(picture(50, 40, 3)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void builderValidatesWithClearMessages() {
    assertThatThrownBy(() -> FssdDetector.builder().scoreThreshold(1.5f))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scoreThreshold")
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> FssdDetector.builder().replicas(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("replicas");
    assertThatThrownBy(() -> FssdDetector.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no model");
    assertThatThrownBy(
            () -> FssdDetector.builder().model(oneBoxModel()).labels(Labels.voc()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("labels");
    assertThatThrownBy(() -> FssdDetector.builder().model(dir.resolve("x.zip")).build())
        .isInstanceOf(org.fssd.ModelFormatException.class)
        .hasMessageContaining("x.zip");
  }
}
