package org.fssd.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.assertj.core.api.AbstractThrowableAssert;
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
    assertRefused(f).hasMessageContaining(f.toString()).hasMessageContaining("no such model file");
  }

  @Test
  void notAZipIsRefused() throws IOException {
    Path f = dir.resolve("junk.zip");
    Files.writeString(f, "this is not a zip file");
    assertRefused(f).hasMessageContaining(f.toString());
  }

  @Test
  void zipWithoutMetadataIsRefused() throws IOException {
    Path f = dir.resolve("other.zip");
    writeZip(f, "configuration.json", "{}");
    assertRefused(f).hasMessageContaining("not an fssd4j model file");
  }

  @Test
  void newerFormatVersionIsRefusedNamingTheMaximum() throws IOException {
    Path future =
        tinyModelEdited(
            "future.zip", s -> s.replace("\"formatVersion\" : 1", "\"formatVersion\" : 7"));
    assertRefused(future)
        .hasMessageContaining("format version 7")
        .hasMessageContaining("reads versions 1..2");
  }

  @Test
  void metadataThatDisagreesWithTheGraphIsRefused() throws IOException {
    // Claim a different conv7 width than the stored parameters have.
    Path bad = tinyModelEdited("bad.zip", s -> s.replaceFirst("\"conv7\" : 4", "\"conv7\" : 5"));
    assertRefused(bad).hasMessageContaining(bad.toString());
    Path garbled = tinyModelEdited("garbled.zip", s -> s.replace("\"inputSize\"", "\"inputSiz\""));
    assertRefused(garbled).hasMessageContaining("inputSize");
  }

  @Test
  void truncatedFileIsRefused() throws IOException {
    byte[] bytes = Files.readAllBytes(tinyModel());
    Path cut = dir.resolve("cut.zip");
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertRefused(cut).hasMessageContaining(cut.toString());
  }

  /** A tiny two-class model saved as {@code good.zip}. */
  private Path tinyModel() throws IOException {
    Path good = dir.resolve("good.zip");
    if (!Files.exists(good)) {
      FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1).save(good);
    }
    return good;
  }

  /** {@link #tinyModel()} copied to {@code name} with its metadata edited. */
  private Path tinyModelEdited(String name, UnaryOperator<String> edit) throws IOException {
    Path out = dir.resolve(name);
    rewriteMetadata(tinyModel(), out, edit);
    return out;
  }

  /** Loading {@code file} fails with a {@link ModelFormatException}; the message is asserted on. */
  static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(Path file) {
    return assertThatThrownBy(() -> FssdModel.load(file)).isInstanceOf(ModelFormatException.class);
  }

  private static void writeZip(Path f, String name, String content) throws IOException {
    try (OutputStream os = Files.newOutputStream(f);
        ZipOutputStream z = new ZipOutputStream(os)) {
      z.putNextEntry(new ZipEntry(name));
      z.write(content.getBytes(StandardCharsets.UTF_8));
      z.closeEntry();
    }
  }

  /** The metadata JSON of a saved model. */
  static String metadata(Path file) throws IOException {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ZipEntry e = zip.getEntry(ModelFile.ENTRY);
      assertThat(e).as("metadata entry of %s", file).isNotNull();
      return new String(zip.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static void rewriteMetadata(Path in, Path out, UnaryOperator<String> edit) throws IOException {
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
