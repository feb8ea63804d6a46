package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The flags of {@link FssdServer#main}: parsed onto the builder, without starting a server. */
class FssdServerMainTest {

  private static FssdServerCommand parse(String... args) {
    FssdServerCommand cmd = new FssdServerCommand();
    FssdServerCommand.commandLine(cmd).parseArgs(args);
    return cmd;
  }

  /** Runs the command line, which must fail before a server starts; returns {code, stdout, stderr}. */
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
    assertThat(cmd.builder().toString()).isEqualTo("{model=m.zip, host=127.0.0.1, port=8080, maxBatch=8,"
        + " maxDelayMs=5, maxQueue=64, maxUploadBytes=20971520, threshold=0.3, workers=1, maxUploads=64,"
        + " bodyIdleTimeoutMs=10000, bodyTimeoutMs=30000, modelName=m}");
    assertThat(cmd.maxDetections).isEqualTo(200);
    assertThat(cmd.maxPixels).isEqualTo(100_000_000L);
  }

  @Test
  void everyFlagInBothSpellingsAndTheLastRepeatWins() {
    FssdServerCommand cmd = parse("--model=a.zip", "--host", "0.0.0.0", "--port=0", "--max-batch", "4",
        "--max-delay-ms=7", "--max-queue", "9", "--max-upload-bytes=1000", "--threshold", "0.5",
        "--max-detections=11", "--workers", "2", "--max-pixels=12345", "--max-uploads", "3",
        "--body-idle-timeout-ms=400", "--body-timeout-ms", "5000", "--model", "b.zip", "--port", "9090",
        "--model-name", "voc");
    assertThat(cmd.builder().toString()).isEqualTo("{model=b.zip, host=0.0.0.0, port=9090, maxBatch=4,"
        + " maxDelayMs=7, maxQueue=9, maxUploadBytes=1000, threshold=0.5, workers=2, maxUploads=3,"
        + " bodyIdleTimeoutMs=400, bodyTimeoutMs=5000, modelName=voc}");
    assertThat(parse("--model", "dir/fssd300_voc.zip").builder().toString()).endsWith("modelName=fssd300_voc}");
    assertThat(cmd.maxDetections).isEqualTo(11);
    assertThat(cmd.maxPixels).isEqualTo(12_345L);
  }

  @Test
  void helpListsTheFlags() {
    String[] r = execute("--help");
    assertThat(r[0]).isEqualTo("0");
    assertThat(r[1]).contains("--model=FILE").contains("--max-upload-bytes").contains("--max-pixels")
        .contains("--max-uploads").contains("--model-name").contains("--body-idle-timeout-ms").contains("--body-timeout-ms")
        .contains("default: 8080");
  }

  @Test
  void badValuesAreUsageErrorsThatNameThem() {
    String[] range = execute("--model", "m.zip", "--port", "70000");
    assertThat(range[0]).isEqualTo("2");
    assertThat(range[2]).contains("port must be in [0, 65535], got 70000").contains("Usage:");
    String[] notANumber = execute("--model", "m.zip", "--max-batch", "many");
    assertThat(notANumber[0]).isEqualTo("2");
    assertThat(notANumber[2]).contains("--max-batch").contains("many");
    String[] threshold = execute("--model", "m.zip", "--threshold", "1.5");
    assertThat(threshold[0]).isEqualTo("2");
    assertThat(threshold[2]).contains("scoreThreshold must be in [0, 1], got 1.5");
    String[] missing = execute("--port", "0");
    assertThat(missing[0]).isEqualTo("2");
    assertThat(missing[2]).contains("--model");
    String[] uploads = execute("--model", "m.zip", "--max-uploads", "0");
    assertThat(uploads[0]).isEqualTo("2");
    assertThat(uploads[2]).contains("maxUploads must be in [1, 10000], got 0");
    String[] idle = execute("--model", "m.zip", "--body-idle-timeout-ms", "0");
    assertThat(idle[0]).isEqualTo("2");
    assertThat(idle[2]).contains("bodyIdleTimeoutMs must be in [1, 3600000], got 0");
    String[] unknown = execute("--model", "m.zip", "--colour", "red");
    assertThat(unknown[0]).isEqualTo("2");
    assertThat(unknown[2]).contains("--colour");
  }
}
