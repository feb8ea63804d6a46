package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fssd.detect.Labels;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fssd prune --percents a,b} and {@code --report-only} (no training: quick). */
class PruneRoundsCliTest {
  @TempDir Path dir;

  private static Object[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new FssdCli());
    cli.setOut(new java.io.PrintWriter(out, true, StandardCharsets.UTF_8));
    cli.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("fssd " + cmd.getCommandName() + ": " + e.getMessage());
      return 1;
    });
    int code = cli.execute(args);
    return new Object[] {code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void twoRoundsWriteEveryRoundAndReportThem() {
    ConfigOptions c = new ConfigOptions();
    c.config = "voc300";
    c.batchNorm = true;
    c.widthDivisor = 16;
    Path model = dir.resolve("bn.zip");
    FssdModel init = FssdModel.create(c.toConfig().toBuilder().numClasses(5).build(), Labels.generic(4), 3);
    // distinct |gamma| (a fresh model has all gammas 1, which would prune every layer to 1 channel)
    long k = 0;
    for (var e : init.graph().paramTable().entrySet()) {
      if (e.getKey().endsWith("_gamma")) {
        e.getValue().assign(org.nd4j.linalg.factory.Nd4j.rand(e.getValue().dataType(), e.getValue().shape())
            .addi(0.1 + 1e-3 * k++));
      }
    }
    init.save(model);
    Path out = dir.resolve("p.zip");
    Object[] r = run("prune", "--model", model.toString(), "--percents", "0.5,0.3", "--timing-runs", "0",
        "--out", out.toString());
    assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
    assertThat(Files.exists(dir.resolve("p-round1.zip"))).isTrue();
    assertThat(Files.exists(dir.resolve("p-round2.zip"))).isTrue();
    assertThat(Files.exists(out)).isTrue();
    FssdModel r1 = FssdModel.load(dir.resolve("p-round1.zip"));
    FssdModel r2 = FssdModel.load(out);
    assertThat(r2.graph().numParams()).isLessThan(r1.graph().numParams());
    String text = (String) r[1];
    assertThat(text).contains("metrics input params=").contains("metrics round1 params=" + r1.graph().numParams())
        .contains("metrics round2 params=" + r2.graph().numParams()).contains("round 2 (percent 0.300");
    Object[] m = run("prune", "--model", out.toString(), "--report-only", "--timing-runs", "0");
    assertThat(m[0]).as("stderr: %s", m[2]).isEqualTo(0);
    assertThat((String) m[1]).startsWith("metrics input params=" + r2.graph().numParams() + " ")
        .contains("map=nan");
    Object[] bad = run("prune", "--model", model.toString(), "--percents", "0.5,0.3", "--rounds", "3",
        "--out", out.toString());
    assertThat(bad[0]).isEqualTo(1);
    assertThat((String) bad[2]).contains("--rounds 3 disagrees");
  }
}
