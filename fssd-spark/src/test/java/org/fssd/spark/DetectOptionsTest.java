package org.fssd.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.fssd.detect.DetectorSettings;
import org.junit.jupiter.api.Test;

class DetectOptionsTest {
  /** Every detection setting away from its default (the values the job's flags below give). */
  private static final DetectorSettings EVERY_SETTING_CHANGED =
      DetectorSettings.builder()
          .scoreThreshold(0.4f)
          .nmsIouThreshold(0.5f)
          .perClassTopK(3)
          .maxDetections(9)
          .maxPixels(4096)
          .clipToImage(true)
          .replicas(2)
          .build();

  @Test
  void defaultsMatchTheDetectorsAndTheDocs() {
    DetectOptions d = DetectOptions.defaults();
    assertThat(d.scoreThreshold()).isEqualTo(0.3f);
    assertThat(d.batchSize()).isEqualTo(8);
    assertThat(d.partitions()).isZero();
    assertThat(d.replicas()).isEqualTo(1);
    assertThat(d.pathGlobFilter()).isEmpty();
  }

  @Test
  void settersCheckTheirArgumentsAndNameTheValue() {
    assertThatThrownBy(() -> DetectOptions.builder().scoreThreshold(1f))
        .hasMessageContaining("scoreThreshold")
        .hasMessageContaining("1.0");
    assertThatThrownBy(() -> DetectOptions.builder().scoreThreshold(-0.1f))
        .hasMessageContaining("-0.1");
    assertThatThrownBy(() -> DetectOptions.builder().batchSize(257))
        .hasMessageContaining("batchSize")
        .hasMessageContaining("257");
    assertThatThrownBy(() -> DetectOptions.builder().partitions(-1))
        .hasMessageContaining("partitions")
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> DetectOptions.builder().replicas(0))
        .hasMessageContaining("replicas")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> DetectOptions.builder().pathGlobFilter(" "))
        .hasMessageContaining("pathGlobFilter");
  }

  @Test
  void equalityAndTheDetectorKeyFollowTheSettings() throws Exception {
    DetectOptions a =
        DetectOptions.builder().scoreThreshold(0.2f).batchSize(4).pathGlobFilter("*.jpg").build();
    DetectOptions same = a.toBuilder().build();
    DetectOptions otherBatch = a.toBuilder().batchSize(16).build();
    DetectOptions otherThreshold = a.toBuilder().scoreThreshold(0.25f).build();
    assertThat(same).isEqualTo(a).hasSameHashCodeAs(a);
    assertThat(otherBatch).isNotEqualTo(a);
    // Batching does not change the detector an executor builds; the threshold does.
    assertThat(otherBatch.detectorKey()).isEqualTo(a.detectorKey());
    assertThat(otherThreshold.detectorKey()).isNotEqualTo(a.detectorKey());
    assertThat(a.toString()).contains("batchSize=4").contains("*.jpg");

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(a);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(in.readObject()).isEqualTo(a);
    }
  }

  @Test
  void theDetectorSettingsAreOneDetectorSettingsValue() {
    DetectorSettings s = EVERY_SETTING_CHANGED;
    DetectOptions o = DetectOptions.builder().detectorSettings(s).batchSize(2).build();
    assertThat(o.detectorSettings()).isEqualTo(s);
    assertThat(o.scoreThreshold()).isEqualTo(0.4f);
    assertThat(o.replicas()).isEqualTo(2);
    assertThat(DetectOptions.defaults().detectorSettings()).isEqualTo(DetectorSettings.defaults());
    // Any detection setting gives another executor detector.
    assertThat(
            DetectOptions.builder()
                .detectorSettings(s.toBuilder().maxDetections(10).build())
                .batchSize(2)
                .build()
                .detectorKey())
        .isNotEqualTo(o.detectorKey());
  }

  @Test
  void theJobTakesTheDetectionOptionsUnderTheCliNames() {
    FssdSparkJob.Args a =
        FssdSparkJob.Args.parse(
            new String[] {
              "--model",
              "m.zip",
              "--input",
              "in",
              "--output",
              "out",
              "--threshold",
              "0.4",
              "--nms",
              "0.5",
              "--per-class-top-k",
              "3",
              "--max-detections",
              "9",
              "--max-pixels",
              "4096",
              "--clip",
              "--replicas",
              "2"
            });
    assertThat(a.options.build().detectorSettings()).isEqualTo(EVERY_SETTING_CHANGED);
    assertThatThrownBy(() -> FssdSparkJob.Args.parse(new String[] {"--nms", "0"}))
        .hasMessageContaining("nmsIouThreshold must be in (0, 1], got 0.0");
  }
}
