package org.fssd.io.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random mutations of the good fixtures (byte flips, truncations, insertions, deletions,
 * duplicated ranges, "interesting" length bytes): of the whole file in both formats, and of the zip
 * format's inner data.pkl written into a fresh zip. Each case must either load (and then convert
 * every tensor) or throw {@link CheckpointFormatException} — no other exception, and no hang (30 s
 * per case: a guard against endless loops, generous enough not to trip on a loaded machine; a case
 * normally takes milliseconds, and speed is not what this test measures).
 */
class CheckpointFuzzTest {
  /** -Dfssd.fuzz.seed=N and -Dfssd.fuzz.scale=K run other or K times more cases by hand. */
  private static final long SEED = Long.getLong("fssd.fuzz.seed", 0x5EEDF55DL);

  private static final int SCALE = Integer.getInteger("fssd.fuzz.scale", 1);
  private static final int OUTER_CASES_PER_FILE = 300 * SCALE;
  private static final int INNER_CASES_PER_FILE = 300 * SCALE;
  private static final Duration PER_CASE = Duration.ofSeconds(30);

  @TempDir Path tmp;

  private int loaded;
  private int refused;

  @Test
  void mutatedFilesLoadOrThrowCheckpointFormatException() throws IOException {
    Random rnd = new Random(SEED);
    int cases = 0;
    for (String name : TorchCheckpointTest.GOOD) {
      byte[] good = Files.readAllBytes(TorchCheckpointTest.fixture(name));
      for (int i = 0; i < OUTER_CASES_PER_FILE; i++) {
        runCase(name + " outer #" + i, mutate(good, rnd));
        cases++;
      }
    }
    for (String name : new String[] {"good_zip.pth", "wrapped_zip.pth"}) {
      Map<String, byte[]> entries = unzip(TorchCheckpointTest.fixture(name));
      String pklName =
          entries.keySet().stream().filter(n -> n.endsWith("/data.pkl")).findFirst().orElseThrow();
      for (int i = 0; i < INNER_CASES_PER_FILE; i++) {
        Map<String, byte[]> copy = new LinkedHashMap<>(entries);
        copy.put(pklName, mutate(entries.get(pklName), rnd));
        runCase(name + " data.pkl #" + i, zip(copy));
        cases++;
      }
    }
    assertThat(cases).isGreaterThanOrEqualTo(1000);
    // The mutations reach both outcomes (a fuzzer that only ever breaks the magic tests little).
    assertThat(refused).isGreaterThan(cases / 4);
    assertThat(loaded).isGreaterThan(10);
  }

  private void runCase(String label, byte[] bytes) throws IOException {
    Path file = tmp.resolve("case.pth");
    Files.write(file, bytes);
    boolean ok =
        assertTimeoutPreemptively(
            PER_CASE,
            () -> {
              try {
                StateDict sd = TorchCheckpoint.read(file);
                for (TorchTensor t : sd.asMap().values()) {
                  try {
                    if (t.dtype().isFloatingPoint()) {
                      assertThat(t.toFloatArray()).hasSize((int) t.numel());
                    } else {
                      assertThat(t.toLongArray()).hasSize((int) t.numel());
                    }
                  } catch (CheckpointFormatException e) {
                    fail(label + ": conversion of a loaded tensor failed", e);
                  }
                }
                return true;
              } catch (CheckpointFormatException e) {
                assertThat(e.getMessage()).as(label).startsWith(file + ": ");
                return false;
              } catch (RuntimeException | Error e) {
                throw new AssertionError(
                    label + ": " + e.getClass().getSimpleName() + " escaped: " + e, e);
              }
            },
            label + " took more than " + PER_CASE);
    if (ok) {
      loaded++;
    } else {
      refused++;
    }
  }

  private static final byte[] INTERESTING = {
    0, 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff, (byte) 0xfe, 'X', 'q', 'h', '(', 't', 'R', '.'
  };

  /** 1 to 4 random edits. */
  static byte[] mutate(byte[] in, Random rnd) {
    byte[] b = in.clone();
    int edits = 1 + rnd.nextInt(4);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int pos = rnd.nextInt(b.length);
      switch (rnd.nextInt(7)) {
        case 0: // random byte
          b[pos] = (byte) rnd.nextInt(256);
          break;
        case 1: // bit flip
          b[pos] ^= (byte) (1 << rnd.nextInt(8));
          break;
        case 2: // interesting value, often a length or opcode
          b[pos] = INTERESTING[rnd.nextInt(INTERESTING.length)];
          break;
        case 3: // truncation
          b = Arrays.copyOf(b, pos);
          break;
        case 4: // insertion of random bytes
          {
            byte[] ins = new byte[1 + rnd.nextInt(16)];
            rnd.nextBytes(ins);
            b = splice(b, pos, pos, ins);
            break;
          }
        case 5: // deletion of a range
          b = splice(b, pos, Math.min(b.length, pos + 1 + rnd.nextInt(16)), new byte[0]);
          break;
        default: // a range duplicated elsewhere
          {
            int from = rnd.nextInt(b.length);
            int to = Math.min(b.length, from + 1 + rnd.nextInt(64));
            b = splice(b, pos, pos, Arrays.copyOfRange(b, from, to));
            break;
          }
      }
    }
    return b;
  }

  private static byte[] splice(byte[] b, int from, int to, byte[] ins) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(b, 0, from);
    out.writeBytes(ins);
    out.write(b, to, b.length - to);
    return out.toByteArray();
  }

  private static Map<String, byte[]> unzip(Path file) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      for (ZipEntry e : java.util.Collections.list(zip.entries())) {
        out.put(e.getName(), zip.getInputStream(e).readAllBytes());
      }
    }
    return out;
  }

  private static byte[] zip(Map<String, byte[]> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
