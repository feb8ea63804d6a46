package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.fssd.detect.DetectorSettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParameterException;

/** The shared picocli options of {@link DetectorSettings}. */
class DetectorOptionsTest {
  @Command(name = "probe")
  static final class Probe {
    @Mixin DetectorOptions options = new DetectorOptions();
  }

  private static Probe parse(String... args) {
    Probe p = new Probe();
    new CommandLine(p).setOverwrittenOptionsAllowed(true).parseArgs(args);
    return p;
  }

  @Test
  void defaultsAreThoseOfDetectorSettings() {
    assertThat(parse().options.settings()).isEqualTo(DetectorSettings.defaults());
  }

  @Test
  void everyOptionSetsItsSetting() {
    DetectorSettings s =
        parse(
                "--threshold",
                "0.4",
                "--nms=0.5",
                "--per-class-top-k",
                "9",
                "--max-detections",
                "17",
                "--max-pixels",
                "999",
                "--clip",
                "--replicas",
                "4")
            .options
            .settings();
    assertThat(s)
        .isEqualTo(
            DetectorSettings.builder()
                .scoreThreshold(0.4f)
                .nmsIouThreshold(0.5f)
                .perClassTopK(9)
                .maxDetections(17)
                .maxPixels(999)
                .clipToImage(true)
                .replicas(4)
                .build());
  }

  @Test
  void olderNamesAreAliases() {
    assertThat(parse("--max", "5").options.settings().maxDetections()).isEqualTo(5);
    assertThat(parse("--workers", "3").options.settings().replicas()).isEqualTo(3);
  }

  @Test
  void aValueOutOfRangeIsAUsageErrorNamingIt() {
    Probe p = new Probe();
    CommandLine cl = new CommandLine(p);
    cl.parseArgs("--threshold", "1.5");
    assertThatThrownBy(() -> p.options.settings(cl))
        .isInstanceOf(ParameterException.class)
        .hasMessage("scoreThreshold must be in [0, 1), got 1.5");
    Probe q = parse("--replicas", "65");
    assertThatThrownBy(() -> q.options.settings())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("replicas must be in [1, 64], got 65");
  }

  @Test
  void serveOptionsCarryTheDetectorOptions() {
    CommandLine serve = new CommandLine(new ServeOptions());
    for (String name :
        new String[] {
          "--threshold",
          "--nms",
          "--per-class-top-k",
          "--max-detections",
          "--max",
          "--max-pixels",
          "--clip",
          "--replicas",
          "--workers",
          "--max-upload-bytes",
          "--max-upload-mb",
          "--model-name"
        }) {
      assertThat(serve.getCommandSpec().findOption(name)).as(name).isNotNull();
    }
  }
}
