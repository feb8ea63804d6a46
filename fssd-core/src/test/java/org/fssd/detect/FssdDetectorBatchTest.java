package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.fssd.engine.onednn.OneDnnWeights;
import org.fssd.image.ImageInput;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.junit.jupiter.api.Test;

/** Batch bounds, chunking, the batch-independence of results and the detector's native lifetime. */
class FssdDetectorBatchTest {

  static FssdModel smallModel() {
    return FssdTestModels.tamedNarrow300(9);
  }

  static BufferedImage picture(int w, int h, long seed) {
    return FssdDetectorTest.picture(w, h, seed);
  }

  static List<BufferedImage> pictures(int n) {
    List<BufferedImage> images = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      images.add(picture(120 + 20 * i, 100 + 15 * i, 30 + i));
    }
    return images;
  }

  @Test
  void batchSizesAndChunks() {
    assertThat(FssdDetector.batchSizes(1)).containsExactly(1);
    assertThat(FssdDetector.batchSizes(8)).containsExactly(1, 2, 4, 8);
    assertThat(FssdDetector.batchSizes(6)).containsExactly(1, 2, 4, 6);
    assertThat(FssdDetector.chunks(11, new int[] {1, 2, 4})).containsExactly(4, 4, 2, 1);
    assertThat(FssdDetector.chunks(7, new int[] {1, 2, 4, 6})).containsExactly(6, 1);
    assertThat(FssdDetector.chunks(3, new int[] {1})).containsExactly(1, 1, 1);
    assertThatThrownBy(() -> FssdDetector.builder().maxBatch(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBatch")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> FssdDetector.builder().maxBatch(129))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("129");
  }

  /** The default: one batch-1 plan run per image, so a batch gives exactly the single results. */
  @Test
  void byDefaultABatchGivesExactlyTheSingleImageResults() {
    List<BufferedImage> images = pictures(5);
    try (FssdDetector detector =
        FssdDetector.builder().model(smallModel()).scoreThreshold(0.01f).maxBatch(4).build()) {
      assertThat(detector.batchSizes()).containsExactly(1);
      List<List<Detection>> batch =
          detector.detectBatch(images.stream().map(ImageInput::of).toList());
      for (int i = 0; i < images.size(); i++) {
        List<Detection> single = detector.detect(images.get(i));
        assertThat(single).isNotEmpty();
        assertThat(batch.get(i)).isEqualTo(single);
      }
    }
  }

  /**
   * Batched plans: 11 images with maxBatch 4 run as 4 + 4 + 2 + 1 on plans of 1, 2 and 4; every
   * image's detections match its single-image ones within the documented bound (boxes 1e-2 px,
   * scores 1e-5; raw outputs within OneDnnPlan.BATCH_TOLERANCE, see FssdDetector "Batches").
   */
  @Test
  void batchedPlansSplitLongListsAndStayWithinTheBound() {
    List<BufferedImage> images = pictures(11);
    try (FssdDetector detector =
        FssdDetector.builder()
            .model(smallModel())
            .scoreThreshold(0.01f)
            .maxBatch(4)
            .batchedPlans(true)
            .build()) {
      assertThat(detector.batchSizes()).containsExactly(1, 2, 4);
      List<List<Detection>> batch =
          detector.detectBatch(images.stream().map(ImageInput::of).toList());
      assertThat(batch).hasSize(11);
      for (int i = 0; i < images.size(); i++) {
        List<Detection> single = detector.detect(images.get(i));
        assertThat(single).isNotEmpty();
        DetectionAssert.assertSameDetections(batch.get(i), single, 1e-2f, 1e-5f);
      }
    }
  }

  @Test
  void theDetectorOwnsTheNativeMemoryAndFreesItOnce() {
    FssdDetector detector =
        FssdDetector.builder()
            .model(smallModel())
            .replicas(2)
            .maxBatch(2)
            .batchedPlans(true)
            .build();
    OneDnnWeights weights = detector.oneDnnWeights();
    assertThat(weights).isNotNull();
    // Two replicas of plans 1 and 2: one copy of each convolution's weights at most twice (a
    // Winograd layout may depend on the batch size), never one per plan.
    int convs = detector.model().config().convs().size();
    assertThat(weights.copies()).isBetween(convs, 2 * convs - 1);
    assertThat(detector.networks()).hasSize(2);
    assertThat(detector.detect(picture(80, 60, 1))).isNotNull();
    detector.close();
    assertThat(weights.nativeBytes()).isZero();
    detector.close();
    assertThatThrownBy(() -> detector.detectBatch(List.of(ImageInput.of(picture(80, 60, 1)))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }
}
