package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.fssd.detect.DetectorSettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The flags of {@link FssdServer#main}: parsed onto the builder, without starting a server. */
class FssdServerMainTest {

  private static FssdServerCommand parse(String... args) {
    FssdServerCommand cmd = new FssdServerCommand();
    FssdServerCommand.commandLine(cmd).parseArgs(args);
    return cmd;
  }

  /**
   * Runs the command line, which must fail before a server starts; returns {code, stdout, stderr}.
   */
  private static String[] execute(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = FssdServerCommand.commandLine(new FssdServerCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    FssdServerCommand cmd = parse("--model", "m.zip");
    assertThat(cmd.builder().toString())
        .isEqualTo(
            "{model=m.zip, host=127.0.0.1, port=8080, maxBatch=8,"
                + " maxDelayMs=5, maxQueue=64, maxUploadBytes=20971520, maxUploads=64, bodyIdleTimeoutMs=10000,"
                + " bodyTimeoutMs=30000, drainTimeoutMs=30000, modelName=m, detector="
                + DetectorSettings.defaults()
                + "}");
    // The same defaults as a builder's, and as DetectorSettings' for the detection settings.
    assertThat(cmd.builder().settings())
        .isEqualTo(FssdServer.builder().model(Path.of("m.zip")).port(8080).settings());
    assertThat(cmd.builder().settings().detector()).isEqualTo(DetectorSettings.defaults());
  }

  @Test
  void everyFlagInBothSpellingsAndTheLastRepeatWins() {
    FssdServerCommand cmd =
        parse(
            "--model=a.zip",
            "--host",
            "0.0.0.0",
            "--port=0",
            "--max-batch",
            "4",
            "--max-delay-ms=7",
            "--max-queue",
            "9",
            "--max-upload-bytes=1000",
            "--threshold",
            "0.5",
            "--max-detections=11",
            "--workers",
            "2",
            "--max-pixels=12345",
            "--max-uploads",
            "3",
            "--body-idle-timeout-ms=400",
            "--body-timeout-ms",
            "5000",
            "--model",
            "b.zip",
            "--port",
            "9090",
            "--model-name",
            "voc",
            "--nms=0.6",
            "--per-class-top-k",
            "7",
            "--clip");
    ServerSettings s = cmd.builder().settings();
    assertThat(s)
        .isEqualTo(
            new ServerSettings(
                "0.0.0.0",
                9090,
                "voc",
                4,
                7,
                9,
                1000,
                3,
                400,
                5000,
                30_000,
                DetectorSettings.builder()
                    .scoreThreshold(0.5f)
                    .maxDetections(11)
                    .replicas(2)
                    .maxPixels(12_345)
                    .nmsIouThreshold(0.6f)
                    .perClassTopK(7)
                    .clipToImage(true)
                    .build()));
    assertThat(cmd.builder().toString()).startsWith("{model=b.zip,");
    assertThat(parse("--model", "dir/fssd300_voc.zip").builder().settings().modelName())
        .isEqualTo("fssd300_voc");
    // --replicas is the name, --workers the older one; --max-upload-mb another unit for the same
    // cap.
    assertThat(parse("--model", "m.zip", "--replicas", "3").builder().settings().replicas())
        .isEqualTo(3);
    assertThat(
            parse("--model", "m.zip", "--max-upload-bytes", "5", "--max-upload-mb", "2")
                .builder()
                .settings()
                .maxUploadBytes())
        .isEqualTo(2L << 20);
    assertThat(
            parse("--model", "m.zip", "--max-upload-mb", "2", "--max-upload-bytes", "5")
                .builder()
                .settings()
                .maxUploadBytes())
        .isEqualTo(5);
  }

  @Test
  void helpListsTheFlags() {
    String[] r = execute("--help");
    assertThat(r[0]).isEqualTo("0");
    assertThat(r[1])
        .contains("--model=FILE")
        .contains("--max-upload-bytes")
        .contains("--max-pixels")
        .contains("--max-uploads")
        .contains("--model-name")
        .contains("--body-idle-timeout-ms")
        .contains("--body-timeout-ms")
        .contains("--max-upload-mb")
        .contains("--replicas")
        .contains("--nms")
        .contains("--per-class-top-k")
        .contains("--clip")
        .contains("default: 8080");
  }

  /** Runs the command line, which must exit 2 with stderr containing every given fragment. */
  private static void assertUsageError(String[] args, String... fragments) {
    String[] r = execute(args);
    assertThat(r[0]).as("exit code of %s", String.join(" ", args)).isEqualTo("2");
    assertThat(r[2]).contains(fragments);
  }

  private static String[] args(String... args) {
    return args;
  }

  @Test
  void badValuesAreUsageErrorsThatNameThem() {
    assertUsageError(
        args("--model", "m.zip", "--port", "70000"),
        "port must be in [0, 65535], got 70000",
        "Usage:");
    assertUsageError(args("--model", "m.zip", "--max-batch", "many"), "--max-batch", "many");
    assertUsageError(
        args("--model", "m.zip", "--threshold", "1.5"),
        "scoreThreshold must be in [0, 1), got 1.5");
    assertUsageError(
        args("--model", "m.zip", "--threshold", "1"), "scoreThreshold must be in [0, 1), got 1.0");
    assertUsageError(
        args("--model", "m.zip", "--nms", "0"), "nmsIouThreshold must be in (0, 1], got 0.0");
    assertUsageError(
        args("--model", "m.zip", "--max-upload-mb", "0"), "--max-upload-mb must be in [1, ");
    assertUsageError(args("--port", "0"), "--model");
    assertUsageError(
        args("--model", "m.zip", "--max-uploads", "0"), "maxUploads must be in [1, 10000], got 0");
    assertUsageError(
        args("--model", "m.zip", "--body-idle-timeout-ms", "0"),
        "bodyIdleTimeoutMs must be in [1, 3600000], got 0");
    assertUsageError(args("--model", "m.zip", "--colour", "red"), "--colour");
  }
}
