package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fssd init --bn} then {@code fssd prune --percent 0.5}: every gamma is 1.0, yet exactly
 * floor(n / 2) + 1 channels go (not all but one per layer), with the sparsity warnings on stderr
 * and in the stdout report.
 */
class PruneTiesCliTest {
  @TempDir Path dir;

  @Test
  void anUntrainedBnModelLosesTheShareAskedAndIsWarnedAbout() {
    Path bn = dir.resolve("bn.zip");
    Path pruned = dir.resolve("p.zip");
    CliRun init =
        CliRun.run(
            "init", "--config", "voc300", "--bn", "--width-divisor", "16", "--out", bn.toString());
    assertThat(init.code()).as(init.err()).isZero();
    CliRun r =
        CliRun.run(
            "prune",
            "--model",
            bn.toString(),
            "--percent",
            "0.5",
            "--timing-runs",
            "1",
            "--out",
            pruned.toString());
    assertThat(r.code()).as(r.err()).isZero();
    int before = Integer.parseInt(FssdModel.load(pruned).provenance().get("prune.channels.before"));
    int after = Integer.parseInt(FssdModel.load(pruned).provenance().get("prune.channels.after"));
    assertThat(before - after).isEqualTo(before / 2 + 1);
    assertThat(r.err())
        .contains("prune: warning: 28 of 28 prunable layers have (almost) equal |gamma|")
        .contains(
            "prune: warning: " + before + " channels have exactly the threshold |gamma| 1.000")
        .contains("base.0");
    assertThat(r.out())
        .contains(
            "warning: "
                + (before / 2 + 1)
                + " of the "
                + (before / 2 + 1)
                + " pruned channels have |gamma| >= 0.1");
    // The timing line says what it measured, and where the other speed-up figures come from.
    assertThat(r.out())
        .contains("ms_per_image (detect, default CPU engine, batch 1, median of 1)")
        .contains("docs/pruning.md, 'Why the speed-up figures differ'");
  }
}
