package org.fssd.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Model zips with entries that inflate to 1 GiB (a few kilobytes on disk each, see {@link
 * HostileZips}) are refused by name, declared size or bounded reading, before anything large is
 * allocated; every model file this project writes or ships still loads, with the exact coefficients
 * size computed from its configuration.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelFileLimitsTest {
  private static final int GIB_IN_MIB = 1024;
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

  @TempDir Path dir;

  /** The entries of a valid tiny model file, by name. */
  private final Map<String, byte[]> good = new LinkedHashMap<>();

  private long coefficientBytes;

  @BeforeAll
  void writeAGoodModel(@TempDir Path tmp) throws IOException {
    Path file = tmp.resolve("good.zip");
    FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1).save(file);
    try (ZipFile zip = new ZipFile(file.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        good.put(e.getName(), zip.getInputStream(e).readAllBytes());
      }
    }
    assertThat(good.keySet())
        .containsExactly(ModelFile.ENTRY, ModelZip.CONFIGURATION, ModelZip.COEFFICIENTS);
    coefficientBytes = good.get(ModelZip.COEFFICIENTS).length;
  }

  @Test
  void everyModelThisProjectShipsOrWritesHasExactlyTheComputedCoefficientSize() throws IOException {
    // What ./fssd init writes (FssdModel.create + save), BN variant; FssdCliTest loads a voc300
    // one.
    Path init = dir.resolve("init.zip");
    FssdModel.create(FssdTestModels.narrow300(4, true), Labels.of("a", "b", "c"), 3).save(init);
    for (Path p :
        List.of(
            ROOT.resolve("models/demo-shapes.zip"),
            ROOT.resolve("models/demo-shapes-pruned.zip"),
            Paths.get("src/test/resources/org/fssd/model/fssd-v1.zip"),
            init)) {
      FssdModel m = FssdModel.load(p);
      long params = ModelZip.paramCount(FssdGraph.configuration(m.config()));
      assertThat(params).as("%s", p).isEqualTo(m.graph().numParams());
      try (ZipFile zip = new ZipFile(p.toFile())) {
        assertThat(zip.getEntry(ModelZip.COEFFICIENTS).getSize())
            .as("%s", p)
            .isEqualTo(ModelZip.coefficientBytes(params));
        assertThat(zip.getEntry(ModelZip.CONFIGURATION).getSize())
            .as("%s", p)
            .isLessThan(ModelZip.configurationLimit(m.config()));
      }
    }
  }

  @Test
  void theBoundedReaderRestoresWhatModelSerializerRestores() throws IOException {
    for (Path p :
        List.of(
            Paths.get("src/test/resources/org/fssd/model/fssd-v1.zip"),
            ROOT.resolve("models/demo-shapes-pruned.zip"))) {
      org.deeplearning4j.nn.graph.ComputationGraph dl4j =
          org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(p.toFile(), false);
      org.deeplearning4j.nn.graph.ComputationGraph ours = FssdModel.load(p).graph();
      assertThat(ours.params()).as("%s", p).isEqualTo(dl4j.params());
      assertThat(ours.getConfiguration().toJson()).isEqualTo(dl4j.getConfiguration().toJson());
    }
  }

  @Test
  void aModelWrittenWithItsUpdaterStateStillLoads() {
    FssdModel m = FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 2);
    Path f = dir.resolve("with-updater.zip");
    ModelFile.write(m, f, true);
    assertThat(FssdModel.load(f).graph().numParams()).isEqualTo(m.graph().numParams());
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void configurationJsonInflatingTo1GibIsRefused(boolean honestSize) throws IOException {
    byte[] prefix = "{\"vertices\": {".getBytes();
    long real = HostileZips.zerosSize(prefix, GIB_IN_MIB);
    Path f = bomb(ModelZip.CONFIGURATION, prefix, honestSize ? real : 200);
    ModelFileTest.assertRefused(f)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("zip entry configuration.json")
        .hasMessageContaining(honestSize ? "declares " + real + " bytes" : "inflates to more")
        .hasMessageContaining(
            "limit " + ModelZip.configurationLimit(FssdTestModels.tiny300(3)) + " bytes");
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void coefficientsInflatingTo1GibAreRefused(boolean honestSize) throws IOException {
    // A valid ND4J header for the right parameter count, then 1 GiB of zeros.
    byte[] header =
        java.util.Arrays.copyOf(good.get(ModelZip.COEFFICIENTS), ModelZip.HEADER_BYTES_RANK1);
    long real = HostileZips.zerosSize(header, GIB_IN_MIB);
    Path f = bomb(ModelZip.COEFFICIENTS, header, honestSize ? real : coefficientBytes);
    ModelFileTest.assertRefused(f)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("zip entry coefficients.bin")
        .hasMessageContaining(honestSize ? "declares " + real + " bytes" : "bytes after its")
        .hasMessageContaining(
            "limit " + (honestSize ? coefficientBytes + 16 : coefficientBytes) + " bytes");
  }

  @Test
  void coefficientsOfZerosWithTheRightSizeAreRefusedFromTheirHeader() throws IOException {
    Path f = dir.resolve("zeros.zip");
    // Replace with exactly the expected number of zero bytes: no valid ND4J header.
    List<HostileZips.Entry> entries = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : good.entrySet()) {
      entries.add(
          e.getKey().equals(ModelZip.COEFFICIENTS)
              ? HostileZips.of(e.getKey(), new byte[(int) coefficientBytes])
              : HostileZips.of(e.getKey(), e.getValue()));
    }
    HostileZips.write(f, entries);
    ModelFileTest.assertRefused(f)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("coefficients.bin")
        .hasMessageContaining("not the ND4J header of a float vector");
  }

  @Test
  void anUnknownEntryIsRefusedEvenIfItIsNeverRead() throws IOException {
    Path f = dir.resolve("extra.zip");
    List<HostileZips.Entry> entries = goodEntries();
    entries.add(HostileZips.zeros("extra.bin", new byte[0], GIB_IN_MIB, 1L << 30));
    HostileZips.write(f, entries);
    ModelFileTest.assertRefused(f)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("unexpected zip entry 'extra.bin'")
        .hasMessageContaining("configuration.json");
    // DL4J's Java-serialised preprocessor entry would run arbitrary readObject code: refused too.
    Path g = dir.resolve("preprocessor.zip");
    List<HostileZips.Entry> withPre = goodEntries();
    withPre.add(HostileZips.of("preprocessor.bin", new byte[] {(byte) 0xAC, (byte) 0xED, 0, 5}));
    HostileZips.write(g, withPre);
    ModelFileTest.assertRefused(g).hasMessageContaining("unexpected zip entry 'preprocessor.bin'");
  }

  @Test
  void metadataAndUpdaterStateAreBoundedToo() throws IOException {
    Path meta = bomb(ModelFile.ENTRY, "{\"format\": \"".getBytes(), 100);
    ModelFileTest.assertRefused(meta)
        .hasMessageContaining("zip entry fssd.json inflates to more")
        .hasMessageContaining("limit " + (4 << 20) + " bytes");
    Path updater = dir.resolve("updater.zip");
    List<HostileZips.Entry> entries = goodEntries();
    entries.add(HostileZips.zeros(ModelZip.UPDATER_STATE, new byte[0], GIB_IN_MIB, 1L << 30));
    HostileZips.write(updater, entries);
    ModelFileTest.assertRefused(updater)
        .hasMessageContaining("zip entry updaterState.bin declares " + (1L << 30) + " bytes");
  }

  @Test
  void aDuplicatedEntryIsRefused() throws IOException {
    Path f = dir.resolve("dup.zip");
    List<HostileZips.Entry> entries = goodEntries();
    entries.add(HostileZips.of(ModelZip.CONFIGURATION, "{}".getBytes()));
    HostileZips.write(f, entries);
    ModelFileTest.assertRefused(f)
        .hasMessageContaining("configuration.json appears more than once");
  }

  @Test
  void coefficientsStoredAsARowVectorOfShape1ByNLoadToo() throws IOException {
    // Older DL4J writers stored the flattened parameters as [1, n]: 16 header bytes more.
    FssdModel original = FssdModel.load(writeGood("rewritten-src.zip"));
    org.nd4j.linalg.api.ndarray.INDArray row =
        original.graph().params().reshape(1, original.graph().numParams());
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
      org.nd4j.linalg.factory.Nd4j.write(row, out);
    }
    assertThat(bytes.size()).isEqualTo(coefficientBytes + 16);
    List<HostileZips.Entry> entries = new ArrayList<>();
    good.forEach(
        (k, v) ->
            entries.add(
                HostileZips.of(k, k.equals(ModelZip.COEFFICIENTS) ? bytes.toByteArray() : v)));
    Path f = dir.resolve("row.zip");
    HostileZips.write(f, entries);
    assertThat(FssdModel.load(f).graph().params()).isEqualTo(original.graph().params());
  }

  private Path writeGood(String name) throws IOException {
    Path f = dir.resolve(name);
    HostileZips.write(f, goodEntries());
    return f;
  }

  @Test
  void theHandWrittenZipOfTheGoodEntriesLoads() throws IOException {
    Path f = dir.resolve("rewritten.zip");
    HostileZips.write(f, goodEntries());
    assertThat(FssdModel.load(f).config()).isEqualTo(FssdTestModels.tiny300(3));
  }

  private List<HostileZips.Entry> goodEntries() {
    List<HostileZips.Entry> entries = new ArrayList<>();
    good.forEach((k, v) -> entries.add(HostileZips.of(k, v)));
    return entries;
  }

  /** The good model with entry {@code name} replaced by {@code prefix} + 1 GiB of zeros. */
  private Path bomb(String name, byte[] prefix, long declared) throws IOException {
    Path f = dir.resolve("bomb-" + name + "-" + declared + ".zip");
    List<HostileZips.Entry> entries = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : good.entrySet()) {
      entries.add(
          e.getKey().equals(name)
              ? HostileZips.zeros(name, prefix, GIB_IN_MIB, declared)
              : HostileZips.of(e.getKey(), e.getValue()));
    }
    if (!good.containsKey(name)) {
      entries.add(HostileZips.zeros(name, prefix, GIB_IN_MIB, declared));
    }
    HostileZips.write(f, entries);
    assertThat(Files.size(f)).as("the bomb is small on disk").isLessThan(4L << 20);
    return f;
  }
}
