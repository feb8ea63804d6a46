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
      FssdModel model = PyTorchImporter.importModel(ReferenceFixtures.file(file), FssdConfig.voc300());
      try (FssdDetector auto = FssdDetector.builder().model(model).scoreThreshold(0.01f).build();
          FssdDetector graph = FssdDetector.builder().model(model).scoreThreshold(0.01f).engine(Engine.GRAPH).build()) {
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
  void bf16OnACpuWithoutItIsAClearError() {
    assumeFalse(OneDnnPlan.cpuHasBf16(), "this CPU has AVX512_BF16");
    FssdModel model = PyTorchImporter.importModel(ReferenceFixtures.file("narrow300.pth"), FssdConfig.voc300());
    PlanOptions bf16 = PlanOptions.builder().precision(PlanOptions.Precision.BF16).build();
    assertThatThrownBy(() -> FssdDetector.builder().model(model).engine(Engine.ONEDNN).planOptions(bf16).build())
        .isInstanceOf(FssdException.class).hasMessageContaining("oneDNN engine is not available").hasMessageContaining("BF16");
    // AUTO falls back to the graph instead of failing.
    try (FssdDetector d = FssdDetector.builder().model(model).planOptions(bf16).build()) {
      assertThat(d.engine()).isEqualTo(Engine.GRAPH);
    }
  }
}
