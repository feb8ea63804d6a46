package org.fssd.io.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads the fixtures written by tools/reference/make_checkpoint_fixtures.py (torch 1.13) and
 * compares every tensor with expected.json, exactly; hostile and truncated files must be refused
 * with a {@link CheckpointFormatException} that names the problem.
 */
class TorchCheckpointTest {
  static final List<String> GOOD =
      List.of("good_zip.pth", "good_legacy.pth", "wrapped_zip.pth", "wrapped_legacy.pth");

  @TempDir Path tmp;

  static Path fixture(String name) {
    try {
      return Path.of(TorchCheckpointTest.class.getResource(name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode expected() throws IOException {
    return new ObjectMapper().readTree(fixture("expected.json").toFile());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"good_zip.pth", "good_legacy.pth", "wrapped_zip.pth", "wrapped_legacy.pth"})
  void everyTensorEqualsTheExpectedValues(String name) throws IOException {
    JsonNode want = expected().get(name);
    StateDict sd = TorchCheckpoint.read(fixture(name));

    List<String> wantKeys = new ArrayList<>();
    want.fieldNames().forEachRemaining(wantKeys::add);
    assertThat(sd.keys()).containsExactlyElementsOf(wantKeys);
    assertThat(sd.size()).isEqualTo(wantKeys.size());

    for (String key : wantKeys) {
      JsonNode w = want.get(key);
      TorchTensor t = sd.get(key);
      assertThat(t.dtype().name()).as(key).isEqualTo(w.get("dtype").asText());
      long[] shape = new long[w.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = w.get("shape").get(i).asLong();
      }
      assertThat(t.shape()).as(key).containsExactly(shape);
      assertThat(t.dim()).isEqualTo(shape.length);
      assertThat(t.numel()).as(key).isEqualTo(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
      JsonNode values = w.get("values");
      assertThat((long) values.size()).as(key).isEqualTo(t.numel());
      if (t.dtype().isFloatingPoint()) {
        double[] d = t.toDoubleArray();
        float[] f = t.toFloatArray();
        for (int i = 0; i < d.length; i++) {
          double v = values.get(i).asDouble();
          assertThat(d[i]).as("%s[%d]", key, i).isEqualTo(v);
          assertThat(f[i]).as("%s[%d]", key, i).isEqualTo((float) v);
        }
      } else {
        long[] l = t.toLongArray();
        for (int i = 0; i < l.length; i++) {
          assertThat(l[i]).as("%s[%d]", key, i).isEqualTo(values.get(i).asLong());
        }
      }
    }
  }

  @Test
  void zipAndLegacyFormatsAreDetectedByContentNotByName() throws IOException {
    Path zipAsTxt = Files.copy(fixture("good_zip.pth"), tmp.resolve("weights.txt"));
    Path legacyAsZip = Files.copy(fixture("good_legacy.pth"), tmp.resolve("weights.zip"));
    assertThat(TorchCheckpoint.detect(zipAsTxt)).isEqualTo(TorchCheckpoint.Format.ZIP);
    assertThat(TorchCheckpoint.detect(legacyAsZip)).isEqualTo(TorchCheckpoint.Format.LEGACY);
    assertThat(TorchCheckpoint.read(zipAsTxt).keys())
        .isEqualTo(TorchCheckpoint.read(legacyAsZip).keys());
  }

  @Test
  void modulePrefixIsStrippedAndTheCheckpointDictUnwrapped() {
    for (String name : List.of("wrapped_zip.pth", "wrapped_legacy.pth")) {
      StateDict sd = TorchCheckpoint.read(fixture(name));
      assertThat(sd.modulePrefixStripped()).isTrue();
      // 'epoch' and the optimizer's momentum buffer are not part of the state_dict
      assertThat(sd.keys()).containsExactly("conv.weight", "conv.bias", "bn.num_batches_tracked");
      assertThat(sd.get("conv.bias").toFloatArray()).containsExactly(3f, -4f);
    }
    assertThat(TorchCheckpoint.read(fixture("good_zip.pth")).modulePrefixStripped()).isFalse();
  }

  @Test
  void stateDictApi() {
    StateDict sd = TorchCheckpoint.read(fixture("good_zip.pth"));
    assertThat(sd.contains("f64")).isTrue();
    assertThat(sd.contains("_metadata")).isFalse();
    assertThat(sd.asMap()).hasSize(sd.size()).containsKey("scalar");
    assertThat(sd.asMap().keySet()).containsExactlyElementsOf(sd.keys());
    assertThat(sd.file()).isEqualTo(fixture("good_zip.pth").toString());
    assertThatThrownBy(() -> sd.get("base.0.weight"))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageStartingWith(fixture("good_zip.pth").toString())
        .hasMessageContaining("'base.0.weight'");
    assertThatThrownBy(() -> sd.asMap().clear()).isInstanceOf(UnsupportedOperationException.class);
    long[] shape = sd.get("conv.weight").shape();
    shape[0] = 99;
    assertThat(sd.get("conv.weight").shape()).containsExactly(2, 3);
  }

  @Test
  void conversionsRefuseTheWrongKindOfDtype() {
    StateDict sd = TorchCheckpoint.read(fixture("good_legacy.pth"));
    assertThatThrownBy(() -> sd.get("i64").toFloatArray())
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("'i64'")
        .hasMessageContaining("INT64");
    assertThatThrownBy(() -> sd.get("flags").toDoubleArray())
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("BOOL");
    assertThatThrownBy(() -> sd.get("f64").toLongArray())
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("'f64'")
        .hasMessageContaining("FLOAT64");
  }

  @ParameterizedTest
  @CsvSource({
    "evil_os_system_zip.pth, forbidden global 'os.system'",
    "evil_posix_system_zip.pth, forbidden global 'posix.system'",
    "evil_builtins_eval_legacy.pth, forbidden global 'builtins.eval'",
    "evil_subprocess_popen_legacy.pth, forbidden global 'subprocess.Popen'",
    "evil_getattr_stack_global_zip.pth, forbidden global 'builtins.getattr'",
    "bad_magic_legacy.pth, wrong magic number 0x1950a86a20f9469cfc6d",
    "bad_version_legacy.pth, unsupported legacy protocol version 1002",
    "huge_count_legacy.pth, truncated: storage '0'",
    "missing_storage_zip.pth, zip entry 'good_zip/data/0' of storage '0' is missing",
    "traversal_zip.pth, zip entry name 'good_zip/data/../../evil' leaves the archive",
    "bomb_zip.pth, zip bomb: entry 'good_zip/data/0' declares 4026531840 bytes",
  })
  void hostileFilesAreRefusedWithAMessageNamingTheProblem(String name, String problem) {
    Path file = fixture(name);
    assertThatThrownBy(() -> TorchCheckpoint.read(file))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageStartingWith(file + ": ")
        .hasMessageContaining(problem)
        .satisfies(
            e -> assertThat(((CheckpointFormatException) e).file()).isEqualTo(file.toString()));
  }

  @Test
  void forbiddenGlobalMessageListsTheAllowedOnes() {
    assertThatThrownBy(() -> TorchCheckpoint.read(fixture("evil_os_system_zip.pth")))
        .hasMessageContaining("pickle refers to forbidden global 'os.system'")
        .hasMessageContaining("allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2");
  }

  @Test
  void truncationAtEvery97thByteIsRefused() throws IOException {
    int cases = 0;
    for (String name : GOOD) {
      byte[] all = Files.readAllBytes(fixture(name));
      for (int len = 0; len < all.length; len += 97) {
        Path cut = tmp.resolve(name + "." + len);
        Files.write(cut, Arrays.copyOf(all, len));
        assertThatThrownBy(() -> TorchCheckpoint.read(cut))
            .as("%s cut to %d of %d bytes", name, len, all.length)
            .isInstanceOf(CheckpointFormatException.class)
            .hasMessageStartingWith(cut + ": ");
        cases++;
      }
      // and the last byte
      Path cut = tmp.resolve(name + ".last");
      Files.write(cut, Arrays.copyOf(all, all.length - 1));
      assertThatThrownBy(() -> TorchCheckpoint.read(cut))
          .isInstanceOf(CheckpointFormatException.class);
    }
    assertThat(cases).isGreaterThan(50);
  }

  @Test
  void missingEmptyAndForeignFilesAreRefused() throws IOException {
    Path missing = tmp.resolve("nope.pth");
    assertThatThrownBy(() -> TorchCheckpoint.read(missing))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageStartingWith(missing + ": ");
    Path empty = Files.write(tmp.resolve("empty.pth"), new byte[0]);
    assertThatThrownBy(() -> TorchCheckpoint.read(empty)).hasMessageContaining("empty");
    Path html = Files.writeString(tmp.resolve("page.pth"), "<html>404</html>");
    assertThatThrownBy(() -> TorchCheckpoint.read(html))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("not a PyTorch checkpoint: it starts with 3c 68 74 6d");
    assertThatThrownBy(() -> TorchCheckpoint.read(tmp))
        .isInstanceOf(CheckpointFormatException.class);
  }

  /** Each limit set just below what a small fixture needs: refused, naming the limit or entry. */
  @ParameterizedTest(name = "{0} with {1} {2}")
  @CsvSource({
    "good_zip.pth,    maxTensorBytes,  40,  maxTensorBytes",
    "good_zip.pth,    maxPickleOps,    50,  maxPickleOps",
    "good_zip.pth,    maxPickleBytes,  100, data.pkl",
    "good_zip.pth,    maxNesting,      2,   maxNesting",
    "good_zip.pth,    maxStackDepth,   5,   maxStackDepth",
    "good_zip.pth,    maxStringLength, 4,   maxStringLength",
    "good_legacy.pth, maxTensorBytes,  40,  maxTensorBytes",
  })
  void limitsAreEnforced(String name, String limit, int value, String named) {
    ReaderLimits.Builder b = ReaderLimits.builder();
    switch (limit) {
      case "maxTensorBytes" -> b.maxTensorBytes(value);
      case "maxPickleOps" -> b.maxPickleOps(value);
      case "maxPickleBytes" -> b.maxPickleBytes(value);
      case "maxNesting" -> b.maxNesting(value);
      case "maxStackDepth" -> b.maxStackDepth(value);
      default -> b.maxStringLength(value);
    }
    ReaderLimits limits = b.build();
    Path file = fixture(name);
    assertThatThrownBy(() -> TorchCheckpoint.read(file, limits))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining(named);
  }

  @Test
  void limitsMustBePositive() {
    assertThatThrownBy(() -> ReaderLimits.builder().maxTensorBytes(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxTensorBytes");
  }

  @Test
  void realZipBombIsRefusedBeforeInflating() throws IOException {
    // 64 MiB of zeros deflate to about 64 KiB; the storage declares 16M float32 elements.
    byte[] pkl =
        PickleBytes.proto2()
            .op('}')
            .str("w")
            .tensor("FloatStorage", "0", 16L << 20, 0, new long[] {16L << 20}, new long[] {1})
            .op('s')
            .stop()
            .bytes();
    Path file = tmp.resolve("bomb.pth");
    try (var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
      zip.putNextEntry(new java.util.zip.ZipEntry("archive/data.pkl"));
      zip.write(pkl);
      zip.putNextEntry(new java.util.zip.ZipEntry("archive/data/0"));
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 64; i++) {
        zip.write(zeros);
      }
    }
    assertThat(Files.size(file)).isLessThan(1 << 20);
    assertThatThrownBy(
            () ->
                TorchCheckpoint.read(file, ReaderLimits.builder().maxTensorBytes(1 << 20).build()))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("maxTensorBytes");
    // within limits it reads (deflated entries are allowed)
    assertThat(TorchCheckpoint.read(file).get("w").numel()).isEqualTo(16L << 20);
  }

  @Test
  void readsEveryFixtureTwiceWithTheSameResult() {
    for (String name : GOOD) {
      Map<String, TorchTensor> a = TorchCheckpoint.read(fixture(name)).asMap();
      Map<String, TorchTensor> b = TorchCheckpoint.read(fixture(name)).asMap();
      Iterator<String> keys = a.keySet().iterator();
      while (keys.hasNext()) {
        String k = keys.next();
        if (a.get(k).dtype().isFloatingPoint()) {
          assertThat(b.get(k).toDoubleArray()).containsExactly(a.get(k).toDoubleArray());
        }
      }
    }
  }
}
