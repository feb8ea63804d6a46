package org.fssd.detect;

import org.fssd.engine.onednn.PlanOptions;
import org.junit.jupiter.api.Test;

/**
 * The oneDNN detector from several threads at once: a replica (its plans, arena and scratchpad) is
 * used by one thread at a time but by any thread, and the replicas share one copy of the weights.
 * Results must equal the single-threaded ones exactly. The long version on the full FSSD300 is
 * {@code FssdDetectorStressIT} (Maven profile {@code stress}).
 */
class FssdDetectorThreadsTest {

  @Test
  void twoReplicasOnFourThreadsGiveTheSingleThreadedResults() throws Exception {
    try (FssdDetector detector =
        FssdDetector.builder()
            .model(FssdDetectorBatchTest.smallModel())
            .scoreThreshold(0.01f)
            .replicas(2)
            .planOptions(PlanOptions.builder().algorithm(PlanOptions.Algorithm.WINOGRAD).build())
            .build()) {
      DetectorThreads.assertSameAsSingleThreaded(detector, FssdDetectorBatchTest.pictures(3), 4, 6);
    }
  }
}
