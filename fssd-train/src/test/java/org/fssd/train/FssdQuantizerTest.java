package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.fssd.FssdException;
import org.fssd.data.ShapesDataset;
import org.fssd.detect.Detection;
import org.fssd.detect.Engine;
import org.fssd.detect.FssdDetector;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.OneDnnWeights;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.image.BgrImage;
import org.fssd.image.Preprocessor;
import org.fssd.model.ActivationRanges;
import org.fssd.model.FssdModel;
import org.fssd.model.ModelFile;
import org.fssd.testing.FloatArrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantising the shipped demo model (models/demo-shapes.zip) on a few shapes images: the chosen
 * int8 model is written and read back as a version-2 model file, its raw outputs stay near fp32,
 * and its detections on a held-out shapes image agree with fp32.
 *
 * <p>Output bound: the rms of int8 - fp32 must stay under 5 % of the fp32 outputs' rms and every
 * value within 12 % of the largest. A trained network's activations are better spread over their
 * ranges than a random one's (Int8PlanTest estimates 5 % rms for the coarsest ranges there); the
 * demo model has 24 convolutions on its longest path.
 *
 * <p>Detections agree when each fp32 detection of score >= 0.3 has an int8 one of the same class
 * with IoU >= 0.9 and a score within 0.1, and vice versa for int8 detections of score >= 0.4 (a
 * score near the threshold may fall on either side of it).
 */
class FssdQuantizerTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
  private static final double RMS_BOUND = 0.05;
  private static final double MAX_BOUND = 0.12;

  private static FssdModel demo;
  private static FssdQuantizer.Result result;

  @BeforeAll
  static void quantiseDemo() {
    demo = FssdModel.load(ROOT.resolve("models/demo-shapes.zip"));
    ShapesDataset calib =
        ShapesDataset.builder().preset(ShapesDataset.Preset.SEPARATED).count(16).seed(5).build();
    result =
        FssdQuantizer.builder()
            .calibration(calib)
            .calibrationImages(12)
            .batch(4)
            .build()
            .quantize(demo);
  }

  @Test
  void choosesTheBestMethodAndRecordsIt() {
    assertThat(result.calibrationMapInt8()).containsOnlyKeys(ActivationRanges.Method.values());
    double best =
        result.calibrationMapInt8().values().stream()
            .mapToDouble(Double::doubleValue)
            .max()
            .orElseThrow();
    assertThat(result.calibrationMapInt8().get(result.method())).isEqualTo(best);
    FssdModel q = result.model();
    assertThat(q.quantization()).isNotNull();
    assertThat(q.quantization().method()).isEqualTo(result.method().label());
    assertThat(q.quantization().calibration()).contains("12 images");
    assertThat(q.provenance().get("quantize.method")).isEqualTo(result.method().label());
    assertThat(result.calibrationMapInt8().get(result.method()))
        .isGreaterThan(result.calibrationMapFp32() - 0.05);
    assertThat(result.summary()).contains("chosen: " + result.method().label());
  }

  @Test
  void int8OutputsStayNearFp32(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("demo-int8.zip");
    result.model().save(file);
    FssdModel read = FssdModel.load(file);
    assertThat(read.quantization()).isEqualTo(result.model().quantization());
    float[] input;
    try (BgrImage img = heldOutImage()) {
      input = new Preprocessor(300).toTensor(img);
    }
    PlanOptions int8 = PlanOptions.builder().precision(PlanOptions.Precision.INT8).build();
    try (OneDnnPlan fp32 =
            OneDnnPlan.compile(demo.config(), demo.graph(), 1, PlanOptions.defaults());
        OneDnnWeights w = OneDnnWeights.of(read.config(), read.graph(), int8, read.quantization());
        OneDnnPlan q = OneDnnPlan.compile(w, 1)) {
      float[] loc = new float[fp32.locLength()];
      float[] conf = new float[fp32.confLength()];
      float[] loc8 = new float[q.locLength()];
      float[] conf8 = new float[q.confLength()];
      fp32.run(input, loc, conf);
      q.run(input, loc8, conf8);
      assertBounded("loc", loc8, loc);
      assertBounded("conf", conf8, conf);
    }
  }

  @Test
  void detectionsOnAHeldOutImageAgree(@TempDir Path dir) {
    Path file = dir.resolve("demo-int8.zip");
    result.model().save(file);
    List<Detection> fp32;
    List<Detection> int8;
    try (BgrImage img = heldOutImage();
        FssdDetector f =
            FssdDetector.builder().model(demo).engine(Engine.ONEDNN).scoreThreshold(0.3f).build();
        FssdDetector q =
            FssdDetector.builder().model(file).engine(Engine.ONEDNN).scoreThreshold(0.3f).build()) {
      assertThat(q.model().quantization()).isNotNull();
      fp32 = f.detect(img);
      int8 = q.detect(img);
    }
    assertThat(fp32).isNotEmpty();
    for (Detection d : fp32) {
      assertThat(int8)
          .as("int8 match of fp32 %s in %s", d, int8)
          .anyMatch(
              e ->
                  e.classIndex() == d.classIndex()
                      && e.box().iou(d.box()) >= 0.9f
                      && Math.abs(e.score() - d.score()) <= 0.1f);
    }
    for (Detection e : int8) {
      if (e.score() >= 0.4f) {
        assertThat(fp32)
            .as("fp32 match of int8 %s in %s", e, fp32)
            .anyMatch(d -> d.classIndex() == e.classIndex() && d.box().iou(e.box()) >= 0.9f);
      }
    }
  }

  @Test
  void int8IsRefusedForAnUnquantisedModel() {
    assertThatThrownBy(
            () -> FssdDetector.builder().model(demo).precision(PlanOptions.Precision.INT8).build())
        .isInstanceOf(FssdException.class)
        .hasMessageContaining("quantised");
  }

  @Test
  void aQuantisedFileIsFormatVersion2(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("q.zip");
    result.model().save(file);
    String json;
    try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(file.toFile())) {
      json =
          new String(
              z.getInputStream(z.getEntry(ModelFile.ENTRY)).readAllBytes(),
              java.nio.charset.StandardCharsets.UTF_8);
    }
    assertThat(json)
        .contains("\"formatVersion\" : 2")
        .contains("\"quantization\"")
        .contains("\"ranges\"");
    Files.delete(file);
  }

  private static BgrImage heldOutImage() {
    return ShapesDataset.builder()
        .preset(ShapesDataset.Preset.SEPARATED)
        .count(1)
        .seed(99)
        .build()
        .loadImage(0);
  }

  private static void assertBounded(String what, float[] actual, float[] expected) {
    double maxAbs = FloatArrays.maxAbs(expected);
    double rel = FloatArrays.relativeRmsError(actual, expected);
    System.out.printf(
        "demo int8 vs fp32 %s: rms error %.4f of rms, max |fp32| %.3f%n", what, rel, maxAbs);
    assertThat(rel).as("%s rms error relative to fp32 rms", what).isLessThan(RMS_BOUND);
    FloatArrays.assertClose(actual, expected, 0, MAX_BOUND * maxAbs, what + " (int8 vs fp32)");
  }
}
