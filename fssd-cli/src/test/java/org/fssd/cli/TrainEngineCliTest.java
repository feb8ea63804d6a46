package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.train.Checkpoints;
import org.fssd.train.RunSettings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fssd train --engine}, {@code --conv-algorithm} and {@code --precision}: stored in the
 * checkpoint's notes, inherited by a resume unless given again, shown in the help, bad values
 * refused.
 */
// trains a network: seconds on 2 cores
@Tag("slow")
class TrainEngineCliTest {
  @TempDir Path dir;

  /** 2 shapes images, one iteration per epoch, 3 epochs. */
  private String[] train(String... extra) {
    List<String> a = new ArrayList<>(List.of("--batch", "2", "--epochs", "3"));
    a.addAll(List.of(extra));
    return CliRun.checkpointedTinyTrain(dir, 2, a.toArray(new String[0]));
  }

  private RunSettings settings(long iteration) {
    return Checkpoints.readSettings(dir.resolve("ck").resolve(Checkpoints.fileName(iteration)))
        .orElseThrow();
  }

  @Test
  void theEngineIsStoredAndInheritedOnResume() {
    CliRun first =
        CliRun.run(
            train("--engine", "plan", "--conv-algorithm", "direct", "--max-iterations", "1"));
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(settings(1).notes())
        .containsEntry("--engine", "PLAN")
        .containsEntry("--conv-algorithm", "DIRECT");

    CliRun second = CliRun.run(train("--resume", "--max-iterations", "2"));
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(settings(2).notes())
        .containsEntry("--engine", "PLAN")
        .containsEntry("--conv-algorithm", "DIRECT");

    CliRun third = CliRun.run(train("--resume", "--engine", "graph"));
    assertThat(third.code()).as(third.err()).isZero();
    assertThat(settings(3).notes()).containsEntry("--engine", "GRAPH");
  }

  @Test
  void helpListsTheOptionsAndABadValueIsRefused() {
    CliRun help = CliRun.run("train", "--help");
    assertThat(help.out()).contains("--engine=graph|plan").contains("--conv-algorithm=auto|direct");
    CliRun bad = CliRun.run(train("--engine", "gpu"));
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("--engine").contains("gpu");
  }

  @Test
  void precisionIsStoredAndBf16IsRefusedWhereItCannotRun() {
    assertThat(CliRun.run("train", "--help").out()).contains("--precision=fp32|bf16");
    CliRun first = CliRun.run(train("--max-iterations", "1"));
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(settings(1).notes()).containsEntry("--precision", "FP32");
    // DL4J's fit has no bf16 path: refused before any work, not trained in fp32 silently
    CliRun graph = CliRun.run(train("--resume", "--engine", "graph", "--precision", "bf16"));
    assertThat(graph.code()).isNotZero();
    assertThat(graph.err()).contains("BF16").contains("PLAN").doesNotContain("Exception");
    CliRun int8 = CliRun.run(train("--resume", "--precision", "int8"));
    assertThat(int8.code()).isNotZero();
    assertThat(int8.err()).contains("INT8").doesNotContain("Exception");
  }
}
