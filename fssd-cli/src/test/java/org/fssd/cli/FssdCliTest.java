package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FssdCliTest {
  private static final Path FIXTURES = Paths.get("../fssd-core/src/test/resources/org/fssd/reference").toAbsolutePath();

  @TempDir Path dir;

  /** Runs the CLI in-process; returns {exit code, stdout, stderr}. */
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
  void infoPrintsThePublishedNumbers() {
    Object[] r = run("info", "--config", "voc300");
    assertThat(r[0]).isEqualTo(0);
    assertThat((String) r[1]).contains("params: 34131424\n").contains("priors: 11620\n")
        .contains("size_mb: 136.5\n").contains("gmacs: 38.06\n");
    Object[] r512 = run("info", "--config", "voc512");
    assertThat((String) r512[1]).contains("params: 35526006\n").contains("priors: 32756\n");
  }

  @Test
  void unknownConfigIsAClearError() {
    Object[] r = run("info", "--config", "voc301");
    assertThat(r[0]).isEqualTo(1);
    assertThat((String) r[2]).contains("unknown config 'voc301'");
  }

  @Test
  void importThenDetectGivesTheSameJsonAsDetectingFromTheWeights() throws Exception {
    Path model = dir.resolve("narrow.zip");
    Object[] imp = run("import", "--weights", FIXTURES.resolve("narrow300.pth").toString(), "--config", "voc300",
        "--out", model.toString());
    assertThat(imp[0]).as("stderr: %s", imp[2]).isEqualTo(0);
    assertThat(Files.exists(model)).isTrue();
    Path image = FIXTURES.resolve("image.png");
    Path a = dir.resolve("a.json");
    Path b = dir.resolve("b.json");
    Path ann = dir.resolve("annotated");
    Object[] r1 = run("detect", "--model", model.toString(), "--threshold", "0.01", "--json", a.toString(),
        "--annotate", ann.toString(), image.toString());
    assertThat(r1[0]).as("stderr: %s", r1[2]).isEqualTo(0);
    Object[] r2 = run("detect", "--weights", FIXTURES.resolve("narrow300_legacy.pth").toString(), "--config", "voc300",
        "--threshold", "0.01", "--json", b.toString(), image.toString());
    assertThat(r2[0]).as("stderr: %s", r2[2]).isEqualTo(0);
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
    Object[] r = run("detect", "--model", missing.toString(), FIXTURES.resolve("image.png").toString());
    assertThat(r[0]).isEqualTo(1);
    assertThat((String) r[2]).contains(missing.toString());
  }

  @Test
  void hostileCheckpointIsRefused() {
    Path hostile = Paths.get("../fssd-core/src/test/resources/org/fssd/io/pytorch").toAbsolutePath();
    Path file;
    try (var files = Files.list(hostile)) {
      file = files.filter(p -> p.getFileName().toString().contains("os_system")).findFirst().orElseThrow();
    } catch (java.io.IOException e) {
      throw new RuntimeException(e);
    }
    Object[] r = run("import", "--weights", file.toString(), "--out", dir.resolve("x.zip").toString());
    assertThat(r[0]).isEqualTo(1);
    assertThat((String) r[2]).contains("os.system");
    assertThat(dir.resolve("x.zip")).doesNotExist();
  }

  @Test
  void initWritesALoadableModel() {
    Path out = dir.resolve("init.zip");
    Object[] r = run("init", "--config", "voc300", "--seed", "3", "--labels", "cat,dog", "--out", out.toString());
    assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
    org.fssd.model.FssdModel m = org.fssd.model.FssdModel.load(out);
    assertThat(m.labels().objectClasses()).containsExactly("cat", "dog");
    assertThat(m.config().numClasses()).isEqualTo(3);
    assertThat(m.provenance().get("source")).isEqualTo("init seed=3");
  }
}
