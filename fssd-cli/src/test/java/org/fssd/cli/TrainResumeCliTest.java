package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.fssd.train.Checkpoints;
import org.fssd.train.RunSettings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fssd train --resume}: a run stopped with --max-iterations and resumed keeps writing
 * checkpoints at its --checkpoint-every, takes the options it was started with from the checkpoint,
 * applies the ones given again, and refuses those the checkpoint fixes.
 */
// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class TrainResumeCliTest {
  @TempDir Path dir;

  /** 4 shapes images; with --batch 2, 2 iterations per epoch. */
  private String[] train(String... extra) {
    return CliRun.checkpointedTinyTrain(dir, 4, extra);
  }

  private static List<Long> checkpointIterations(String err) {
    List<Long> at = new ArrayList<>();
    Matcher m = Pattern.compile("train: checkpoint \\S+ at iteration (\\d+)").matcher(err);
    while (m.find()) {
      at.add(Long.parseLong(m.group(1)));
    }
    return at;
  }

  private List<String> checkpoints() throws Exception {
    try (Stream<Path> s = Files.list(dir.resolve("ck"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aResumedRunKeepsItsCheckpointIntervalAndStoredOptions() throws Exception {
    CliRun first =
        CliRun.run(
            train(
                "--batch",
                "2",
                "--epochs",
                "3",
                "--checkpoint-every",
                "2",
                "--max-iterations",
                "3",
                "--augment",
                "light"));
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(checkpointIterations(first.err())).containsExactly(2L, 3L);

    // neither --checkpoint-every nor --augment again: both come from the checkpoint
    CliRun second = CliRun.run(train("--resume"));
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(second.err())
        .contains("train: resuming " + dir.resolve("ck") + " at iteration 3 (epoch 1 of 3)");
    assertThat(checkpointIterations(second.err())).containsExactly(4L, 6L);
    assertThat(checkpoints()).containsExactly(Checkpoints.fileName(4), Checkpoints.fileName(6));
    RunSettings s =
        Checkpoints.readSettings(dir.resolve("ck").resolve(Checkpoints.fileName(6))).orElseThrow();
    assertThat(s.checkpointEvery()).isEqualTo(2);
    assertThat(s.notes()).containsEntry("--augment", "light").containsEntry("--mixup", "false");

    // given again: a new plan of 5 epochs and a new interval apply
    CliRun third = CliRun.run(train("--resume", "--epochs", "5", "--checkpoint-every", "3"));
    assertThat(third.code()).as(third.err()).isZero();
    assertThat(checkpointIterations(third.err())).containsExactly(9L, 10L);
  }

  @Test
  void optionsTheCheckpointFixesAreRefusedWithTheirValues() {
    CliRun first =
        CliRun.run(train("--batch", "2", "--epochs", "1", "--max-iterations", "1", "--seed", "3"));
    assertThat(first.code()).as(first.err()).isZero();
    CliRun batch = CliRun.run(train("--resume", "--batch", "4", "--seed", "3", "--lr", "0.01"));
    assertThat(batch.code()).isNotZero();
    assertThat(batch.err())
        .contains("batchSize 4 (the checkpoint's is 2)")
        .doesNotContain("seed 3")
        .contains("learningRate 0.01 (the checkpoint's is 0.001)");
    CliRun net = CliRun.run(train("--resume", "--bn"));
    assertThat(net.code()).isNotZero();
    assertThat(net.err()).contains("config ").contains("changed settings");
    CliRun init = CliRun.run(train("--resume", "--init-model", "x.zip"));
    assertThat(init.code()).isNotZero();
    assertThat(init.err()).contains("--init-model cannot be used with --resume");
  }

  @Test
  void theHelpSaysWhereAResumedRunTakesEachOptionFrom() {
    CliRun r = CliRun.run("train", "--help");
    assertThat(r.out())
        .contains("With --resume")
        .contains("fixed by the checkpoint")
        .contains("from the command line when given, else from the checkpoint: --epochs,")
        .contains("this invocation only (not stored): --max-iterations");
  }
}
