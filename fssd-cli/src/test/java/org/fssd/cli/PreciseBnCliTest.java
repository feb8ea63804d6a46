package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fssd train --precise-bn N}: a tiny BN run on shapes writes a recalibrated model. */
// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class PreciseBnCliTest {
  @TempDir Path dir;

  private CliRun train(String preciseBn, Path out) {
    return CliRun.run(
        CliRun.tinyShapesTrain(
            "--bn",
            "--batch",
            "2",
            "--epochs",
            "1",
            "--precise-bn",
            preciseBn,
            "--out",
            out.toString()));
  }

  @Test
  void trainWithPreciseBnWritesARecalibratedModel() {
    Path model = dir.resolve("m.zip");
    CliRun r = train("2", model);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("wrote " + model);
    FssdModel m = FssdModel.load(model);
    assertThat(m.config().batchNorm()).isTrue();
    assertThat(m.provenance().get("train.preciseBn")).isEqualTo("2");
    assertThat(m.provenance().get("bn.recalibrated")).startsWith("2 batches of 2 from ");
  }

  @Test
  void negativePreciseBnIsRefused() {
    Path model = dir.resolve("bad.zip");
    CliRun r = train("-1", model);
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("preciseBnBatches").contains("-1");
    assertThat(Files.exists(model)).isFalse();
  }
}
