package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fssd quantize} on the demo model with a few shapes images, then {@code fssd detect} on the
 * int8 file as on any model file.
 */
@ExtendWith(FssdHomeAtRepoRoot.class)
class QuantizeCliTest {
  @TempDir Path dir;

  /** Runs {@code fssd quantize} on the shipped demo model with shapes data, writing {@code out}. */
  private static CliRun quantizeDemo(Path out, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "quantize",
                "--model",
                FssdHomeAtRepoRoot.ROOT.resolve("models/demo-shapes.zip").toString(),
                "--dataset",
                "shapes",
                "--out",
                out.toString()));
    a.addAll(List.of(extra));
    return CliRun.run(a.toArray(new String[0]));
  }

  @Test
  void quantizePrintsMapsAndWritesAnInt8ModelThatDetectRuns() throws Exception {
    Path out = dir.resolve("demo-int8.zip");
    CliRun q =
        quantizeDemo(
            out,
            "--shapes-preset",
            "SEPARATED",
            "--shapes-count",
            "8",
            "--shapes-seed",
            "3",
            "--calibration-images",
            "4",
            "--held-out",
            "4",
            "--methods",
            "minmax,mse",
            "--batch",
            "4");
    assertThat(q.code()).as(q.err()).isZero();
    assertThat(q.out())
        .contains("calibration mAP fp32:")
        .contains("calibration mAP int8 minmax:")
        .contains("calibration mAP int8 mse:")
        .contains("held-out mAP fp32:")
        .contains("held-out mAP int8:")
        .contains("held-out mAP drop:")
        .contains("wrote int8 model");
    FssdModel m = FssdModel.load(out);
    assertThat(m.quantization()).isNotNull();
    assertThat(m.quantization().method()).isIn("minmax", "mse");
    assertThat(m.provenance().get("quantize.heldOutMapInt8")).matches("0\\.\\d{4}|1\\.0000");

    Path img = dir.resolve("s.png");
    assertThat(CliRun.run("sample-image", "--seed", "201", "--out", img.toString()).code())
        .isZero();
    CliRun d = CliRun.run("detect", "--model", out.toString(), img.toString());
    assertThat(d.code()).as(d.err()).isZero();
    assertThat(d.out()).contains("\"detections\"").contains("\"label\"");
    assertThat(Files.size(out)).isGreaterThan(0);
  }

  @Test
  void unknownMethodIsRefused() {
    CliRun q = quantizeDemo(dir.resolve("x.zip"), "--shapes-count", "4", "--methods", "kl");
    assertThat(q.code()).isNotZero();
    assertThat(q.err()).contains("unknown --methods entry 'kl'");
    assertThat(dir.resolve("x.zip")).doesNotExist();
  }
}
