package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fssd.detect.DetectorSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ServerSettings}: validated, and the server's own copy of its builder's settings. */
class ServerSettingsTest {
  private static ServerSettings valid() {
    return new ServerSettings(
        "127.0.0.1",
        0,
        "fssd",
        8,
        5,
        64,
        1000,
        64,
        10_000,
        30_000,
        30_000,
        DetectorSettings.defaults());
  }

  @Test
  void validSettingsKeepTheDetectorDefaultsAndANullDetectorIsRefused() {
    assertThat(valid().defaultThreshold()).isEqualTo(0.3f);
    assertThat(valid().replicas()).isEqualTo(1);
    assertThatThrownBy(
            () -> new ServerSettings("h", 0, "fssd", 8, 5, 64, 1000, 64, 10_000, 30_000, 0, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("detector");
  }

  /**
   * One bad value per row; the others valid. {@code exact} false: the message need only contain it.
   */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "70000 | fssd | 8   | 64 | 0  | true  | port must be in [0, 65535], got 70000",
        "0     | -bad | 8   | 64 | 0  | false | modelName",
        "0     | fssd | 129 | 64 | 0  | true  | maxBatch must be in [1, 128], got 129",
        "0     | fssd | 8   | 0  | 0  | true  | maxQueue must be >= 1, got 0",
        "0     | fssd | 8   | 64 | -1 | true  | drainTimeoutMs must be >= 0, got -1",
      })
  void theRecordChecksEveryValue(
      int port,
      String modelName,
      int maxBatch,
      int maxQueue,
      long drainMs,
      boolean exact,
      String message) {
    var thrown =
        assertThatThrownBy(
            () ->
                new ServerSettings(
                    "h",
                    port,
                    modelName,
                    maxBatch,
                    5,
                    maxQueue,
                    1000,
                    64,
                    10_000,
                    30_000,
                    drainMs,
                    DetectorSettings.defaults()));
    if (exact) {
      thrown.hasMessage(message);
    } else {
      thrown.hasMessageContaining(message);
    }
  }

  @Test
  void theServerKeepsACopyThatLaterBuilderChangesDoNotTouch() {
    FssdServer.Builder b =
        FssdServer.builder().model(Path.of("m.zip")).maxQueue(9).scoreThreshold(0.4f).replicas(2);
    FssdServer server = b.build(); // not started: nothing is loaded
    b.maxQueue(10).scoreThreshold(0.6f).replicas(3).maxBatch(2);
    ServerSettings s = server.settings();
    assertThat(s.maxQueue()).isEqualTo(9);
    assertThat(s.maxBatch()).isEqualTo(8);
    assertThat(s.detector())
        .isEqualTo(DetectorSettings.builder().scoreThreshold(0.4f).replicas(2).build());
    assertThat(s.modelName()).isEqualTo("m");
    assertThat(b.settings().maxQueue()).isEqualTo(10);
  }

  @Test
  void detectorSettingsReplaceTheSingleSettersAndWorkersIsReplicas() {
    DetectorSettings d = DetectorSettings.builder().maxDetections(7).nmsIouThreshold(0.5f).build();
    assertThat(FssdServer.builder().scoreThreshold(0.5f).detectorSettings(d).settings().detector())
        .isEqualTo(d);
    assertThat(FssdServer.builder().workers(4).settings().replicas()).isEqualTo(4);
    assertThatThrownBy(() -> FssdServer.builder().scoreThreshold(1f))
        .hasMessage("scoreThreshold must be in [0, 1), got 1.0");
  }
}
