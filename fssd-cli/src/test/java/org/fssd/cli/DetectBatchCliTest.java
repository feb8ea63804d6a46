package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fssd detect} over several files where some are bad: every good image is still detected,
 * each bad one has an {@code error} entry and a stderr line, the exit status is 3; and the default
 * (demo) model is announced on stderr and in {@code --help}.
 */
@ExtendWith(FssdHomeAtRepoRoot.class)
class DetectBatchCliTest {
  private static final Path ROOT = FssdHomeAtRepoRoot.ROOT;
  @TempDir Path dir;

  @Test
  void badFilesAmongGoodOnesAreReportedAndTheGoodOnesStillDetected() throws Exception {
    Path good = dir.resolve("sample.png");
    assertThat(CliRun.run("sample-image", "--seed", "201", "--out", good.toString()).code())
        .isZero();
    Path jpg = dir.resolve("photo.jpg");
    ImageIO.write(ImageIO.read(good.toFile()), "jpg", jpg.toFile());
    byte[] whole = Files.readAllBytes(jpg);
    Path cut = dir.resolve("cut.jpg");
    Files.write(cut, Arrays.copyOf(whole, 2000));
    Path missing = dir.resolve("missing.jpg");
    Path json = dir.resolve("out.json");

    CliRun r =
        CliRun.run(
            "detect",
            "--json",
            json.toString(),
            good.toString(),
            missing.toString(),
            cut.toString(),
            jpg.toString());

    assertThat(r.code())
        .as("stderr: %s", r.err())
        .isEqualTo(DetectCommand.EXIT_SOME_IMAGES_FAILED)
        .isEqualTo(3);
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertThat(root.size()).isEqualTo(4);
    assertThat(root.get(0).get("image").asText()).isEqualTo(good.toString());
    assertThat(root.get(0).get("detections").size()).isPositive();
    assertThat(root.get(0).has("error")).isFalse();
    assertThat(root.get(1).get("image").asText()).isEqualTo(missing.toString());
    assertThat(root.get(1).get("error").asText())
        .contains(missing.toString())
        .contains("not found");
    assertThat(root.get(1).has("detections")).isFalse();
    assertThat(root.get(2).get("error").asText())
        .contains(cut.toString())
        .contains("truncated JPEG");
    assertThat(root.get(3).get("detections").size()).isPositive();

    String[] lines = r.err().split("\n");
    assertThat(lines[0])
        .startsWith("fssd detect: no --model or --weights given")
        .contains("synthetic-shapes demo model")
        .contains("models/demo-shapes.zip")
        .contains("--model");
    assertThat(r.err())
        .contains("fssd detect: image " + missing + ": file not found")
        .contains("fssd detect: image " + cut + ": truncated JPEG (2000 bytes)")
        .contains("2 of 4 images could not be read");
  }

  @Test
  void allGoodExitsZeroAndAnExplicitModelIsNotAnnounced() throws Exception {
    Path good = dir.resolve("s.png");
    assertThat(CliRun.run("sample-image", "--seed", "202", "--out", good.toString()).code())
        .isZero();
    CliRun r =
        CliRun.run(
            "detect", "--model", ROOT.resolve(DefaultModel.RELATIVE).toString(), good.toString());
    assertThat(r.code()).as("stderr: %s", r.err()).isZero();
    assertThat(r.err()).doesNotContain("demo model");
    assertThat(new ObjectMapper().readTree(r.out()).get(0).get("detections").size()).isPositive();
  }

  @Test
  void helpExplainsTheDefaultModelAndTheExitStatus() {
    CliRun r = CliRun.run("detect", "--help");
    assertThat(r.code()).isZero();
    String help = r.out().replaceAll("\\s+", " ");
    assertThat(help)
        .contains("default model is the synthetic-shapes demo model models/demo-shapes.zip")
        .contains("not real-world objects")
        .contains("--model FILE.zip")
        .contains("3 some images could not be read");
  }
}
