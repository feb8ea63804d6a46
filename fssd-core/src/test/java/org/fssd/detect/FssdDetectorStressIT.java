package org.fssd.detect;

import java.awt.image.BufferedImage;
import java.util.List;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;

/**
 * Long thread-safety check, not in the default run ({@code mvn -pl fssd-core -am test -Pstress
 * -Dtest=FssdDetectorStressIT}; 40 s on 2 quiet cores, 2.5 min at load 14): the full random-weight
 * FSSD300 with Winograd everywhere it applies, 2 replicas, 8 threads x 25 calls on three images;
 * every result must equal the single-threaded one.
 */
class FssdDetectorStressIT {

  @Test
  void fullFssd300TwoReplicasEightThreads() throws Exception {
    FssdModel model =
        FssdTestModels.tameLocHeads(FssdModel.create(FssdConfig.voc300(), Labels.voc(), 1));
    List<BufferedImage> images =
        List.of(
            FssdDetectorBatchTest.picture(480, 360, 1),
            FssdDetectorBatchTest.picture(300, 300, 2),
            FssdDetectorBatchTest.picture(640, 480, 3));
    try (FssdDetector detector =
        FssdDetector.builder()
            .model(model)
            .scoreThreshold(0.01f)
            .replicas(2)
            .planOptions(PlanOptions.builder().algorithm(PlanOptions.Algorithm.WINOGRAD).build())
            .build()) {
      DetectorThreads.assertSameAsSingleThreaded(detector, images, 8, 25);
    }
  }
}
