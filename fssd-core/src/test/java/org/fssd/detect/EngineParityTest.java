package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.List;
import org.fssd.FssdException;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.reference.ReferenceFixtures;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;

/** The oneDNN engine (the CPU default) and the DL4J graph give the same detections. */
class EngineParityTest {

  @Test
  @Numerical
  void oneDnnAndGraphGiveTheSameDetections() {
    for (String file : List.of("narrow300.pth", "bn_pruned300.pth")) {
      FssdModel model =
          PyTorchImporter.importModel(ReferenceFixtures.file(file), FssdConfig.voc300());
      try (FssdDetector auto = FssdDetector.builder().model(model).scoreThreshold(0.01f).build();
          FssdDetector graph =
              FssdDetector.builder()
                  .model(model)
                  .scoreThreshold(0.01f)
                  .engine(Engine.GRAPH)
                  .build()) {
        assertThat(auto.engine()).isEqualTo(Engine.ONEDNN);
        assertThat(graph.engine()).isEqualTo(Engine.GRAPH);
        List<Detection> a = auto.detect(ReferenceFixtures.file("image.png"));
        List<Detection> g = graph.detect(ReferenceFixtures.file("image.png"));
        assertThat(a).isNotEmpty();
        DetectionAssert.assertSameDetections(a, g, 1e-3f, 1e-4f);
      }
    }
  }

  @Test
  @Numerical
  void aModelTheDetectorLoadedHasItsParametersFreedAndStillDetectsAsTheGraph() {
    // Same weights three times: the graph engine on a caller's model (the reference), the oneDNN
    // engine on a model made by a supplier (owned: parameters freed after build) and the oneDNN
    // engine on the caller's model (not owned: left as it was).
    FssdModel callers =
        PyTorchImporter.importModel(ReferenceFixtures.file("narrow300.pth"), FssdConfig.voc300());
    double sumBefore = callers.graph().params().sumNumber().doubleValue();
    try (FssdDetector graph =
            FssdDetector.builder()
                .model(callers)
                .scoreThreshold(0.01f)
                .engine(Engine.GRAPH)
                .build();
        FssdDetector owned =
            FssdDetector.builder()
                .model(
                    () ->
                        PyTorchImporter.importModel(
                            ReferenceFixtures.file("narrow300.pth"), FssdConfig.voc300()),
                    "narrow300.pth")
                .scoreThreshold(0.01f)
                .engine(Engine.ONEDNN)
                .build();
        FssdDetector given =
            FssdDetector.builder()
                .model(callers)
                .scoreThreshold(0.01f)
                .engine(Engine.ONEDNN)
                .build()) {
      assertThat(owned.oneDnnWeights().graphReleased()).isTrue();
      assertThat(owned.model().graph().params().length()).as("owned model's parameters").isZero();
      assertThat(owned.model().config()).isEqualTo(callers.config());
      assertThat(owned.model().provenance().get("source"))
          .isEqualTo(callers.provenance().get("source"));
      assertThat(given.oneDnnWeights().graphReleased()).isFalse();
      assertThat(given.model()).isSameAs(callers);
      assertThat(callers.graph().params().sumNumber().doubleValue()).isEqualTo(sumBefore);

      List<Detection> g = graph.detect(ReferenceFixtures.file("image.png"));
      assertThat(g).isNotEmpty();
      DetectionAssert.assertSameDetections(
          owned.detect(ReferenceFixtures.file("image.png")), g, 1e-3f, 1e-4f);
      DetectionAssert.assertSameDetections(
          given.detect(ReferenceFixtures.file("image.png")), g, 1e-3f, 1e-4f);
      // Owned parameters are copied apart and consumed layer by layer while compiling: same
      // weights, same kernels, so the very same answer as the caller's model gives.
      DetectionAssert.assertSameDetections(
          owned.detect(ReferenceFixtures.file("image.png")),
          given.detect(ReferenceFixtures.file("image.png")),
          0f,
          0f);
      // The caller's model still runs on the graph engine after the oneDNN detectors were built.
      DetectionAssert.assertSameDetections(
          graph.detect(ReferenceFixtures.file("image.png")), g, 0f, 0f);
    }
  }

  @Test
  void bf16OnACpuWithoutItIsAClearError() {
    assumeFalse(OneDnnPlan.cpuHasBf16(), "this CPU has AVX512_BF16");
    FssdModel model =
        PyTorchImporter.importModel(ReferenceFixtures.file("narrow300.pth"), FssdConfig.voc300());
    PlanOptions bf16 = PlanOptions.builder().precision(PlanOptions.Precision.BF16).build();
    assertThatThrownBy(
            () ->
                FssdDetector.builder().model(model).engine(Engine.ONEDNN).planOptions(bf16).build())
        .isInstanceOf(FssdException.class)
        .hasMessageContaining("oneDNN engine is not available")
        .hasMessageContaining("BF16");
    // AUTO falls back to the graph instead of failing.
    try (FssdDetector d = FssdDetector.builder().model(model).planOptions(bf16).build()) {
      assertThat(d.engine()).isEqualTo(Engine.GRAPH);
    }
  }
}
