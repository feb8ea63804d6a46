package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fssd train --precise-bn N}: a tiny BN run on shapes writes a recalibrated model. */
class PreciseBnCliTest {
  @TempDir Path dir;

  /** Exit code, stdout, stderr of the CLI (errors handled as {@code fssd} does). */
  private static String[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new FssdCli());
    cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      e.printStackTrace(cmd.getErr());
      return 1;
    });
    int code = cli.execute(args);
    return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8)};
  }

  private String[] train(String preciseBn, Path out) {
    return run("train", "--bn", "--width-divisor", "64", "--batch", "2", "--epochs", "1",
        "--workers", "1", "--precise-bn", preciseBn, "--dataset", "shapes", "--shapes-count", "4",
        "--shapes-size", "96", "--out", out.toString());
  }

  @Test
  void trainWithPreciseBnWritesARecalibratedModel() {
    Path model = dir.resolve("m.zip");
    String[] r = train("2", model);
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[1]).contains("wrote " + model);
    FssdModel m = FssdModel.load(model);
    assertThat(m.config().batchNorm()).isTrue();
    assertThat(m.provenance().get("train.preciseBn")).isEqualTo("2");
    assertThat(m.provenance().get("bn.recalibrated")).startsWith("2 batches of 2 from ");
  }

  @Test
  void negativePreciseBnIsRefused() {
    Path model = dir.resolve("bad.zip");
    String[] r = train("-1", model);
    assertThat(r[0]).isNotEqualTo("0");
    assertThat(r[2]).contains("preciseBnBatches").contains("-1");
    assertThat(Files.exists(model)).isFalse();
  }
}
