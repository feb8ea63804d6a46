package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.TreeSet;
import org.fssd.serve.DetectorOptions;
import org.fssd.serve.ServeOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code fssd serve} and {@code fssd detect} take their options from fssd-serve's shared classes:
 * serve has exactly {@link ServeOptions}' options (the class FssdServer's own main uses too), and
 * every command that detects has every option of {@link DetectorOptions}.
 */
class SharedOptionsCliTest {
  private static Set<String> names(CommandSpec spec) {
    Set<String> names = new TreeSet<>();
    for (OptionSpec o : spec.options()) {
      if (!o.usageHelp() && !o.versionHelp()) {
        names.addAll(Set.of(o.names()));
      }
    }
    return names;
  }

  private static CommandSpec sub(String name) {
    return new CommandLine(new FssdCli()).getSubcommands().get(name).getCommandSpec();
  }

  @Test
  void serveHasExactlyTheSharedServeOptions() {
    assertThat(names(sub("serve")))
        .isEqualTo(names(new CommandLine(new ServeOptions()).getCommandSpec()));
  }

  @Test
  void detectAndServeHaveEveryDetectorOption() {
    Set<String> detector = names(new CommandLine(new DetectorOptions()).getCommandSpec());
    assertThat(detector)
        .contains(
            "--threshold",
            "--nms",
            "--per-class-top-k",
            "--max-detections",
            "--max",
            "--max-pixels",
            "--clip",
            "--replicas",
            "--workers");
    assertThat(names(sub("detect"))).containsAll(detector);
    assertThat(names(sub("serve"))).containsAll(detector);
  }

  @Test
  void aDetectorSettingOutOfRangeIsAUsageErrorOfDetect() {
    CliRun r = CliRun.run("detect", "--model", "m.zip", "--nms", "0", "image.png");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("nmsIouThreshold must be in (0, 1], got 0.0");
    CliRun serve = CliRun.run("serve", "--threshold", "1", "--model", "m.zip");
    assertThat(serve.code()).isEqualTo(2);
    assertThat(serve.err()).contains("scoreThreshold must be in [0, 1), got 1.0");
  }
}
