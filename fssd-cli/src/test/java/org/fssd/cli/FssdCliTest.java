package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FssdCliTest {
  private static final Path FIXTURES =
      Paths.get("../fssd-core/src/test/resources/org/fssd/reference").toAbsolutePath();

  @TempDir Path dir;

  @Test
  void infoPrintsThePublishedNumbers() {
    CliRun r = CliRun.run("info", "--config", "voc300");
    assertThat(r.code()).isEqualTo(0);
    assertThat(r.out())
        .contains("params: 34131424\n")
        .contains("priors: 11620\n")
        .contains("size_mb: 136.5\n")
        .contains("gmacs: 38.06\n");
    CliRun r512 = CliRun.run("info", "--config", "voc512");
    assertThat(r512.out()).contains("params: 35526006\n").contains("priors: 32756\n");
  }

  @Test
  void unknownConfigIsAClearError() {
    CliRun r = CliRun.run("info", "--config", "voc301");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("unknown config 'voc301'");
  }

  @Test
  void importThenDetectGivesTheSameJsonAsDetectingFromTheWeights() throws Exception {
    Path model = dir.resolve("narrow.zip");
    CliRun imp =
        CliRun.run(
            "import",
            "--weights",
            FIXTURES.resolve("narrow300.pth").toString(),
            "--config",
            "voc300",
            "--out",
            model.toString());
    assertThat(imp.code()).as("stderr: %s", imp.err()).isEqualTo(0);
    assertThat(Files.exists(model)).isTrue();
    Path image = FIXTURES.resolve("image.png");
    Path a = dir.resolve("a.json");
    Path b = dir.resolve("b.json");
    Path ann = dir.resolve("annotated");
    CliRun r1 =
        CliRun.run(
            "detect",
            "--model",
            model.toString(),
            "--threshold",
            "0.01",
            "--json",
            a.toString(),
            "--annotate",
            ann.toString(),
            image.toString());
    assertThat(r1.code()).as("stderr: %s", r1.err()).isEqualTo(0);
    CliRun r2 =
        CliRun.run(
            "detect",
            "--weights",
            FIXTURES.resolve("narrow300_legacy.pth").toString(),
            "--config",
            "voc300",
            "--threshold",
            "0.01",
            "--json",
            b.toString(),
            image.toString());
    assertThat(r2.code()).as("stderr: %s", r2.err()).isEqualTo(0);
    JsonNode ja = new ObjectMapper().readTree(a.toFile());
    JsonNode jb = new ObjectMapper().readTree(b.toFile());
    assertThat(ja).isEqualTo(jb);
    JsonNode first = ja.get(0);
    assertThat(first.get("width").intValue()).isEqualTo(500);
    assertThat(first.get("height").intValue()).isEqualTo(375);
    JsonNode dets = first.get("detections");
    assertThat(dets.size()).isEqualTo(200); // the reference's count for this model and image
    double previous = Double.MAX_VALUE;
    for (JsonNode d : dets) {
      assertThat(d.get("score").doubleValue()).isLessThanOrEqualTo(previous);
      previous = d.get("score").doubleValue();
      assertThat(d.get("box").size()).isEqualTo(4);
      assertThat(d.get("label").asText()).isNotBlank();
    }
    var png = ImageIO.read(ann.resolve("image.png").toFile());
    assertThat(png.getWidth()).isEqualTo(500);
    assertThat(png.getHeight()).isEqualTo(375);
  }

  @Test
  void missingModelFileIsNamed() {
    Path missing = dir.resolve("missing.zip");
    CliRun r =
        CliRun.run(
            "detect", "--model", missing.toString(), FIXTURES.resolve("image.png").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(missing.toString());
  }

  @Test
  void hostileCheckpointIsRefused() {
    Path hostile =
        Paths.get("../fssd-core/src/test/resources/org/fssd/io/pytorch").toAbsolutePath();
    Path file;
    try (var files = Files.list(hostile)) {
      file =
          files
              .filter(p -> p.getFileName().toString().contains("os_system"))
              .findFirst()
              .orElseThrow();
    } catch (java.io.IOException e) {
      throw new RuntimeException(e);
    }
    CliRun r =
        CliRun.run(
            "import", "--weights", file.toString(), "--out", dir.resolve("x.zip").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("os.system");
    assertThat(dir.resolve("x.zip")).doesNotExist();
  }

  @Test
  void initWritesALoadableModel() {
    Path out = dir.resolve("init.zip");
    CliRun r =
        CliRun.run(
            "init",
            "--config",
            "voc300",
            "--seed",
            "3",
            "--labels",
            "cat,dog",
            "--out",
            out.toString());
    assertThat(r.code()).as("stderr: %s", r.err()).isEqualTo(0);
    org.fssd.model.FssdModel m = org.fssd.model.FssdModel.load(out);
    assertThat(m.labels().objectClasses()).containsExactly("cat", "dog");
    assertThat(m.config().numClasses()).isEqualTo(3);
    assertThat(m.provenance().get("source")).isEqualTo("init seed=3");
  }
}
