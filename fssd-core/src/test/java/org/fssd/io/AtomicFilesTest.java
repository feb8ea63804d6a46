package org.fssd.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fssd.FssdException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AtomicFiles}: the temporary file's data is forced before the rename, the directory after
 * it, with the real {@code FileChannel.force} underneath (a recording wrapper around it observes
 * the order and what the files hold at each step).
 */
class AtomicFilesTest {
  @TempDir Path dir;

  private final AtomicFiles.Durability real = AtomicFiles.REAL;

  @AfterEach
  void restore() {
    AtomicFiles.durability(real);
  }

  /** Records every step and what the disk shows at that moment, then does the real force. */
  private static final class Recording implements AtomicFiles.Durability {
    final List<String> steps = new ArrayList<>();
    final Path target;

    Recording(Path target) {
      this.target = target;
    }

    @Override
    public void forceFile(Path file) throws IOException {
      steps.add(
          "file "
              + file.getFileName()
              + " holds '"
              + Files.readString(file)
              + "', target "
              + (Files.exists(target) ? "holds '" + Files.readString(target) + "'" : "absent"));
      AtomicFiles.REAL.forceFile(file);
    }

    @Override
    public void forceDirectory(Path d) throws IOException {
      steps.add("dir " + d + ", target holds '" + Files.readString(target) + "'");
      AtomicFiles.REAL.forceDirectory(d);
    }
  }

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void theTemporaryFileIsForcedWholeBeforeTheRenameAndTheDirectoryAfter() throws IOException {
    Path target = dir.resolve("model.zip");
    Files.writeString(target, "old");
    Recording r = new Recording(target);
    AtomicFiles.durability(r);
    AtomicFiles.write(target, "new content".getBytes(StandardCharsets.UTF_8));
    assertThat(r.steps).hasSize(2);
    assertThat(r.steps.get(0))
        .startsWith("file .model.zip.")
        .endsWith(".tmp holds 'new content', target holds 'old'");
    assertThat(r.steps.get(1))
        .isEqualTo("dir " + dir.toAbsolutePath() + ", target holds 'new content'");
    assertThat(Files.readString(target)).isEqualTo("new content");
    assertThat(names()).containsExactly("model.zip");
  }

  @Test
  void aWriterThatStreamsIsForcedAfterItClosedItsStream() throws IOException {
    Path target = dir.resolve("report.json");
    Recording r = new Recording(target);
    AtomicFiles.durability(r);
    AtomicFiles.write(
        target,
        tmp -> {
          try (var w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (int i = 0; i < 1000; i++) {
              w.write('x');
            }
          }
        });
    assertThat(r.steps.get(0)).contains("holds '" + "x".repeat(1000) + "', target absent");
    assertThat(Files.size(target)).isEqualTo(1000);
  }

  @Test
  void aDirectoryThatCannotBeForcedIsNotAnError() throws IOException {
    Path target = dir.resolve("a.txt");
    AtomicFiles.durability(
        new AtomicFiles.Durability() {
          @Override
          public void forceFile(Path file) throws IOException {
            AtomicFiles.REAL.forceFile(file);
          }

          @Override
          public void forceDirectory(Path d) throws IOException {
            throw new IOException("Access is denied"); // what Windows says for a directory
          }
        });
    AtomicFiles.write(target, new byte[] {1, 2, 3});
    assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
    assertThat(names()).containsExactly("a.txt");
  }

  @Test
  void aFailedDataForceLeavesTheOldFileAndNoTemporary() throws IOException {
    Path target = dir.resolve("checkpoint-0000000010.zip");
    Files.writeString(target, "previous");
    AtomicFiles.durability(
        new AtomicFiles.Durability() {
          @Override
          public void forceFile(Path file) throws IOException {
            throw new IOException("Input/output error");
          }

          @Override
          public void forceDirectory(Path d) {
            throw new AssertionError("no rename happened, nothing to force");
          }
        });
    assertThatThrownBy(() -> AtomicFiles.write(target, new byte[] {9}))
        .isInstanceOf(FssdException.class)
        .hasMessageContaining(target.toString())
        .hasMessageContaining("Input/output error");
    assertThat(Files.readString(target)).isEqualTo("previous");
    assertThat(names()).containsExactly("checkpoint-0000000010.zip");
  }

  @Test
  @DisabledOnOs(OS.WINDOWS) // Windows cannot open a directory as a channel
  void theRealForcesRunOnThisFileSystem() throws IOException {
    // no wrapper: FileChannel.force on the file and (on POSIX) on the directory
    Path target = dir.resolve("big.bin");
    byte[] content = new byte[3 * 1024 * 1024 + 17];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 31);
    }
    AtomicFiles.write(target, content);
    assertThat(Files.readAllBytes(target)).isEqualTo(content);
    assertThat(names()).containsExactly("big.bin");
    AtomicFiles.REAL.forceDirectory(dir); // a POSIX directory opens and forces without error
  }

  @Test
  void aFailingWriterLeavesNoTemporaryAndNoTarget() throws IOException {
    Path target = dir.resolve("x.png");
    assertThatThrownBy(
            () ->
                AtomicFiles.write(
                    target,
                    tmp -> {
                      Files.writeString(tmp, "half");
                      throw new IOException("disk full");
                    }))
        .isInstanceOf(FssdException.class)
        .hasMessageContaining("disk full");
    assertThat(names()).isEmpty();
  }
}
