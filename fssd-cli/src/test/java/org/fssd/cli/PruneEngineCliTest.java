package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.data.ShapesDataset;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fssd prune --engine} and {@code --conv-algorithm}: the fine-tuning runs on the engine
 * asked for, and says so; the options are in the help.
 */
// fine-tunes a network for one iteration per run: seconds on 2 cores
@Tag("slow")
class PruneEngineCliTest {
  @TempDir Path dir;
  private Path model;

  /** A width/64 BN FSSD300 for the shapes classes, with distinct gammas (a prune has a choice). */
  @BeforeEach
  void bnModel() {
    FssdModel init =
        CliRun.bnModelWithDistinctGammas(64, ShapesDataset.builder().count(1).build().labels());
    model = dir.resolve("bn.zip");
    init.save(model);
  }

  /** Prunes 30 % and fine-tunes one epoch of 2 shapes images at batch 2 (one iteration). */
  private CliRun pruneAndFineTune(String out, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "prune",
                "--model",
                model.toString(),
                "--percent",
                "0.3",
                "--timing-runs",
                "0",
                "--fine-tune-epochs",
                "1",
                "--dataset",
                "shapes",
                "--shapes-count",
                "2",
                "--shapes-size",
                "96",
                "--batch",
                "2",
                "--workers",
                "1",
                "--out",
                dir.resolve(out).toString()));
    a.addAll(List.of(extra));
    return CliRun.run(a.toArray(new String[0]));
  }

  @Test
  void fineTuningRunsOnTheEngineAskedFor() {
    CliRun graph = pruneAndFineTune("graph.zip", "--engine", "graph");
    assertThat(graph.code()).as(graph.err()).isZero();
    assertThat(graph.err())
        .contains("prune: fine-tuning, 1 epoch(s), engine GRAPH")
        .contains("prune: fine-tuning epoch 1/1 done")
        .doesNotContain("engine PLAN");
    assertThat(Files.exists(dir.resolve("graph.zip"))).isTrue();

    CliRun plan = pruneAndFineTune("plan.zip", "--engine", "plan", "--conv-algorithm", "direct");
    assertThat(plan.code()).as(plan.err()).isZero();
    assertThat(plan.err())
        .contains("prune: fine-tuning, 1 epoch(s), engine PLAN (DIRECT)")
        .doesNotContain("engine GRAPH");
    assertThat(Files.exists(dir.resolve("plan.zip"))).isTrue();
  }

  @Test
  void helpListsTheOptionsAndABadValueIsRefused() {
    CliRun help = CliRun.run("prune", "--help");
    assertThat(help.out()).contains("--engine=graph|plan").contains("--conv-algorithm=auto|direct");
    CliRun bad = pruneAndFineTune("bad.zip", "--conv-algorithm", "winograd3");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("--conv-algorithm").contains("winograd3");
  }
}
