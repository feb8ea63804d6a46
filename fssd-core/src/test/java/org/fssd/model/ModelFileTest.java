package org.fssd.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.fssd.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ModelFileTest {
  @TempDir Path dir;

  private static INDArray input(long seed) {
    Nd4j.getRandom().setSeed(seed);
    return Nd4j.rand(DataType.FLOAT, 1, 3, 300, 300).muli(255).subi(117);
  }

  @Test
  void roundTripKeepsConfigLabelsProvenanceAndOutputs() {
    FssdConfig config = FssdTestModels.narrow300(4, true);
    FssdModel model = FssdModel.create(config, Labels.of("cat", "dog", "fox"), 5);
    // Non-trivial BN statistics so that they must travel too.
    model.graph().getParam("base.0.bn_mean").assign(0.25);
    model.graph().getParam("base.0.bn_var").assign(2.0);
    Path file = dir.resolve("m.zip");
    model.save(file);
    FssdModel back = FssdModel.load(file);
    assertThat(back.config()).isEqualTo(config);
    assertThat(back.labels()).isEqualTo(model.labels());
    assertThat(back.provenance()).isEqualTo(model.provenance());
    assertThat(back.provenance().get("source")).isEqualTo("init seed=5");
    INDArray in = input(1);
    INDArray[] a = model.graph().output(in);
    INDArray[] b = back.graph().output(in);
    assertThat(b[0]).isEqualTo(a[0]);
    assertThat(b[1]).isEqualTo(a[1]);
    try (var files = listDir()) {
      assertThat(files).containsExactly(file.getFileName().toString()); // no temp file left
    }
  }

  private java.util.stream.Stream<String> listDir() {
    try {
      return Files.list(dir).map(p -> p.getFileName().toString());
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void missingFileIsNamed() {
    Path f = dir.resolve("nope.zip");
    assertThatThrownBy(() -> FssdModel.load(f))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("no such model file");
  }

  @Test
  void notAZipIsRefused() throws IOException {
    Path f = dir.resolve("junk.zip");
    Files.writeString(f, "this is not a zip file");
    assertThatThrownBy(() -> FssdModel.load(f))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining(f.toString());
  }

  @Test
  void zipWithoutMetadataIsRefused() throws IOException {
    Path f = dir.resolve("other.zip");
    writeZip(f, "configuration.json", "{}");
    assertThatThrownBy(() -> FssdModel.load(f))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("not an fssd4j model file");
  }

  @Test
  void newerFormatVersionIsRefusedNamingTheMaximum() throws IOException {
    Path good = dir.resolve("good.zip");
    FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1).save(good);
    Path future = dir.resolve("future.zip");
    rewriteMetadata(good, future, s -> s.replace("\"formatVersion\" : 1", "\"formatVersion\" : 7"));
    assertThatThrownBy(() -> FssdModel.load(future))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("format version 7")
        .hasMessageContaining("reads versions 1..2");
  }

  @Test
  void metadataThatDisagreesWithTheGraphIsRefused() throws IOException {
    Path good = dir.resolve("good.zip");
    FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1).save(good);
    Path bad = dir.resolve("bad.zip");
    // Claim a different conv7 width than the stored parameters have.
    rewriteMetadata(good, bad, s -> s.replaceFirst("\"conv7\" : 4", "\"conv7\" : 5"));
    assertThatThrownBy(() -> FssdModel.load(bad))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining(bad.toString());
    Path garbled = dir.resolve("garbled.zip");
    rewriteMetadata(good, garbled, s -> s.replace("\"inputSize\"", "\"inputSiz\""));
    assertThatThrownBy(() -> FssdModel.load(garbled))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("inputSize");
  }

  @Test
  void truncatedFileIsRefused() throws IOException {
    Path good = dir.resolve("good.zip");
    FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1).save(good);
    byte[] bytes = Files.readAllBytes(good);
    Path cut = dir.resolve("cut.zip");
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertThatThrownBy(() -> FssdModel.load(cut))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining(cut.toString());
  }

  private static void writeZip(Path f, String name, String content) throws IOException {
    try (OutputStream os = Files.newOutputStream(f);
        ZipOutputStream z = new ZipOutputStream(os)) {
      z.putNextEntry(new ZipEntry(name));
      z.write(content.getBytes(StandardCharsets.UTF_8));
      z.closeEntry();
    }
  }

  static void rewriteMetadata(Path in, Path out, java.util.function.UnaryOperator<String> edit)
      throws IOException {
    try (ZipFile src = new ZipFile(in.toFile());
        OutputStream os = Files.newOutputStream(out);
        ZipOutputStream z = new ZipOutputStream(os)) {
      Enumeration<? extends ZipEntry> entries = src.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        byte[] data = src.getInputStream(e).readAllBytes();
        if (e.getName().equals(ModelFile.ENTRY)) {
          data =
              edit.apply(new String(data, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        }
        z.putNextEntry(new ZipEntry(e.getName()));
        z.write(data);
        z.closeEntry();
      }
    }
  }
}
