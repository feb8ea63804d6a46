package org.fssd.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model files of quantised models: format version 2, round trip, and what a reader refuses. */
class QuantizedModelFileTest {
  @TempDir Path dir;

  private static FssdModel quantised() {
    FssdModel m = FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1);
    Map<String, Float> ranges = new LinkedHashMap<>();
    float r = 1;
    for (String n : Quantization.tensorNames(m.config())) {
      ranges.put(n, r++);
    }
    return m.withQuantization(Quantization.of("mse", "test images", ranges));
  }

  @Test
  void roundTripKeepsTheQuantisationAndFp32ModelsStayVersion1() throws Exception {
    FssdModel q = quantised();
    Path file = dir.resolve("q.zip");
    q.save(file);
    FssdModel read = FssdModel.load(file);
    assertThat(read.quantization()).isEqualTo(q.quantization());
    assertThat(read.quantization().range(Quantization.INPUT)).isEqualTo(1f);
    Path plain = dir.resolve("p.zip");
    q.withQuantization(null).save(plain);
    assertThat(FssdModel.load(plain).quantization()).isNull();
    assertThat(ModelFileTest.metadata(file))
        .contains("\"formatVersion\" : 2")
        .contains("\"precision\" : \"int8\"");
    assertThat(ModelFileTest.metadata(plain))
        .contains("\"formatVersion\" : 1")
        .doesNotContain("quantization");
  }

  @Test
  void badQuantisationsAreRefusedNamingTheFile() throws Exception {
    Path file = dir.resolve("q.zip");
    quantised().save(file);
    Path negative = dir.resolve("negative.zip");
    ModelFileTest.rewriteMetadata(
        file, negative, s -> s.replace("\"input\" : 1.0", "\"input\" : -1.0"));
    ModelFileTest.assertRefused(negative)
        .hasMessageContaining(negative.toString())
        .hasMessageContaining("range of input");
    Path missing = dir.resolve("missing.zip");
    ModelFileTest.rewriteMetadata(file, missing, s -> s.replace("\"input\" : 1.0,", ""));
    ModelFileTest.assertRefused(missing).hasMessageContaining("no range for tensor input");
    Path none = dir.resolve("none.zip");
    ModelFileTest.rewriteMetadata(
        file, none, s -> s.replace("\"quantization\"", "\"notQuantization\""));
    ModelFileTest.assertRefused(none).hasMessageContaining("without a quantization object");
  }

  @Test
  void aQuantisationMustCoverTheNetwork() {
    FssdModel m = FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1);
    assertThatThrownBy(
            () -> m.withQuantization(Quantization.of("mse", "x", Map.of(Quantization.INPUT, 1f))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no range for tensor");
  }
}
