package org.fssd.io.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.fssd.ModelFormatException;
import org.fssd.box.Box;
import org.fssd.detect.Detection;
import org.fssd.detect.DetectionAssert;
import org.fssd.detect.FssdDetector;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Widths;
import org.fssd.reference.ReferenceFixtures;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SPEC §12 end to end against the PyTorch reference (tools/reference/make_fixtures.py): each
 * checkpoint imports with no configuration beyond the preset, gives the reference's raw outputs
 * (|difference| <= 1e-4 * max(1, |reference|): PyTorch and ND4J sum in other orders, see
 * FloatArrays) and, through {@link FssdDetector} on the reference image, the reference's detections
 * (boxes <= 1e-3 px, scores <= 1e-4).
 */
@Numerical
class PyTorchImportFidelityTest {

  /** The reference's input: its resized uint8 image minus the means, NCHW. */
  private static INDArray referenceInput() {
    int[] hwc = ReferenceFixtures.npy("input_300_bgr.npy").castTo(DataType.INT32).data().asInt();
    float[] means = {104f, 117f, 123f};
    float[] chw = new float[3 * 300 * 300];
    for (int p = 0; p < 300 * 300; p++) {
      for (int c = 0; c < 3; c++) {
        chw[c * 90000 + p] = hwc[p * 3 + c] - means[c];
      }
    }
    return Nd4j.create(chw, new long[] {1, 3, 300, 300}, 'c');
  }

  private static List<Detection> referenceDetections(String name, FssdModel model) {
    JsonNode arr = ReferenceFixtures.json(name);
    List<Detection> out = new ArrayList<>();
    for (JsonNode d : arr) {
      JsonNode b = d.get("box");
      int k = d.get("class").intValue();
      out.add(
          Detection.of(
              k,
              model.labels().name(k),
              d.get("score").floatValue(),
              Box.of(
                  b.get(0).floatValue(),
                  b.get(1).floatValue(),
                  b.get(2).floatValue(),
                  b.get(3).floatValue())));
    }
    return out;
  }

  private static void assertOutputsMatch(FssdModel model, String prefix) {
    INDArray[] out = model.graph().output(referenceInput());
    float[] loc = ReferenceFixtures.floats(prefix + "_loc.npy");
    float[] conf = ReferenceFixtures.floats(prefix + "_conf.npy");
    FloatArrays.assertClose(
        out[0].dup('c').data().asFloat(),
        loc,
        FloatArrays.OUTPUT_REL,
        FloatArrays.OUTPUT_ABS,
        prefix + " loc vs PyTorch");
    FloatArrays.assertClose(
        out[1].dup('c').data().asFloat(),
        conf,
        FloatArrays.OUTPUT_REL,
        FloatArrays.OUTPUT_ABS,
        prefix + " conf vs PyTorch");
  }

  private static void assertDetectionsMatch(FssdModel model, String prefix) {
    try (FssdDetector detector =
        FssdDetector.builder().model(model).scoreThreshold(0.01f).build()) {
      List<Detection> found = detector.detect(ReferenceFixtures.file("image.png"));
      List<Detection> expected = referenceDetections(prefix + "_detections.json", model);
      assertThat(expected).isNotEmpty();
      DetectionAssert.assertSameDetections(found, expected, 1e-3f, 1e-4f);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"narrow300.pth", "narrow300_legacy.pth", "narrow300_module_wrapped_legacy.pth"})
  void plainCheckpointGivesTheReferenceOutputsAndDetections(String file) {
    FssdModel model =
        PyTorchImporter.importModel(ReferenceFixtures.file(file), FssdConfig.voc300());
    assertThat(model.config().batchNorm()).isFalse();
    assertThat(model.config().numClasses()).isEqualTo(21);
    assertThat(model.config().widths().conv6()).isEqualTo(32);
    assertThat(model.provenance().get("source")).contains(file);
    assertThat(model.provenance().get("sha256")).hasSize(64);
    assertOutputsMatch(model, "narrow300");
    assertDetectionsMatch(model, "narrow300");
  }

  @ParameterizedTest
  @ValueSource(strings = {"bn_pruned300.pth", "bn_pruned300_legacy.pth"})
  void prunedBatchNormCheckpointLoadsWithNoConfiguration(String file) {
    FssdModel model =
        PyTorchImporter.importModel(ReferenceFixtures.file(file), FssdConfig.voc300());
    assertThat(model.config().batchNorm()).isTrue();
    assertThat(model.config().numClasses()).isEqualTo(5);
    assertThat(model.config().widths().base())
        .containsExactly(Widths.parseBase("[5,7,M,11,13,M,17,19,13,C,15,17,13,M,11,9,7]"));
    assertThat(model.config().widths().fusion()).containsExactly(11, 13, 9);
    assertThat(model.config().widths().pyramid()).containsExactly(9, 7, 7, 5, 5, 5);
    assertOutputsMatch(model, "bn_pruned300");
    assertDetectionsMatch(model, "bn_pruned300");
  }

  @Test
  void importedModelSurvivesTheNativeFormat(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    FssdModel model =
        PyTorchImporter.importModel(
            ReferenceFixtures.file("bn_pruned300.pth"), FssdConfig.voc300());
    java.nio.file.Path f = dir.resolve("imported.zip");
    model.save(f);
    FssdModel back = FssdModel.load(f);
    assertThat(back.config()).isEqualTo(model.config());
    assertThat(back.provenance().get("sha256")).isEqualTo(model.provenance().get("sha256"));
    assertOutputsMatch(back, "bn_pruned300");
  }

  @Test
  void wrongPresetSizeIsRefused() {
    assertThatThrownBy(
            () ->
                PyTorchImporter.importModel(
                    ReferenceFixtures.file("narrow300.pth"), FssdConfig.voc512()))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("narrow300.pth")
        .hasMessageContaining("pyramid_ext");
  }
}
