package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fssd prune --percents a,b} and {@code --report-only} (no training: quick). */
class PruneRoundsCliTest {
  @TempDir Path dir;

  @Test
  void twoRoundsWriteEveryRoundAndReportThem() {
    Path model = dir.resolve("bn.zip");
    FssdModel init = CliRun.bnModelWithDistinctGammas(16, Labels.generic(4));
    init.save(model);
    Path out = dir.resolve("p.zip");
    CliRun r = pruneTwoRounds(model, out, "--timing-runs", "0");
    assertThat(r.code()).as("stderr: %s", r.err()).isEqualTo(0);
    assertThat(Files.exists(dir.resolve("p-round1.zip"))).isTrue();
    assertThat(Files.exists(dir.resolve("p-round2.zip"))).isTrue();
    assertThat(Files.exists(out)).isTrue();
    FssdModel r1 = FssdModel.load(dir.resolve("p-round1.zip"));
    FssdModel r2 = FssdModel.load(out);
    assertThat(r2.graph().numParams()).isLessThan(r1.graph().numParams());
    String text = r.out();
    assertThat(text)
        .contains("metrics input params=")
        .contains("metrics round1 params=" + r1.graph().numParams())
        .contains("metrics round2 params=" + r2.graph().numParams())
        .contains("round 2 (percent 0.300");
    CliRun m =
        CliRun.run("prune", "--model", out.toString(), "--report-only", "--timing-runs", "0");
    assertThat(m.code()).as("stderr: %s", m.err()).isEqualTo(0);
    assertThat(m.out())
        .startsWith("metrics input params=" + r2.graph().numParams() + " ")
        .contains("map=nan");
    CliRun bad = pruneTwoRounds(model, out, "--rounds", "3");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("--rounds 3 disagrees");
  }

  /**
   * Runs {@code fssd prune} in two rounds (percents 0.5 then 0.3) from {@code model} to {@code
   * out}.
   */
  private static CliRun pruneTwoRounds(Path model, Path out, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "prune",
                "--model",
                model.toString(),
                "--percents",
                "0.5,0.3",
                "--out",
                out.toString()));
    a.addAll(List.of(extra));
    return CliRun.run(a.toArray(new String[0]));
  }
}
