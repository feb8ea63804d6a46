package org.fssd.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import org.fssd.FssdException;
import org.jspecify.annotations.Nullable;

/**
 * Writes files so that nobody ever sees a half-written one, even after a crash or a power cut: the
 * content goes to a hidden temporary file in the target's directory ({@code .<name>*.tmp}), whose
 * data is forced to the storage device ({@link FileChannel#force(boolean)}), which is then renamed
 * over the target ({@code ATOMIC_MOVE}, or a plain replacing move where the file system cannot do
 * atomic moves), and finally the directory itself is forced so that the rename is durable too. On
 * any failure the temporary file is deleted and the target is left as it was. Files end up {@code
 * rw-r--r--} (temporary files are created owner-only).
 *
 * <p>Why both forces: without the first, a file system may commit the rename before the data (ext4
 * with {@code data=writeback}, XFS), so after a power cut the target exists under its final name
 * but is empty or truncated; without the second, the rename itself may be lost and the old file (or
 * none) reappears. Forcing a directory is not possible everywhere (Windows refuses to open one), so
 * there an {@link IOException} from that step is ignored: the data force still guarantees that
 * whatever name survives holds complete content.
 *
 * <p>Every file fssd4j writes (models, checkpoints, result files, images, JSON) goes through here.
 * Stateless and thread-safe (two writers of one target: the last rename wins, both files whole).
 */
public final class AtomicFiles {
  /**
   * How data reaches the device: {@link #REAL} forces through {@link FileChannel}; tests may wrap
   * it (see {@link #durability(Durability)}) to observe the order of the steps.
   */
  interface Durability {
    /** Forces the content and metadata of the regular file {@code file}. */
    void forceFile(Path file) throws IOException;

    /** Forces the directory {@code dir} (its entries); may throw where the platform refuses. */
    void forceDirectory(Path dir) throws IOException;
  }

  /** The real thing: {@code FileChannel.force(true)} on the file, then on the directory. */
  static final Durability REAL =
      new Durability() {
        @Override
        public void forceFile(Path file) throws IOException {
          try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
          }
        }

        @Override
        public void forceDirectory(Path dir) throws IOException {
          try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
          }
        }
      };

  private static volatile Durability durability = REAL;

  private AtomicFiles() {}

  /** Replaces how data is forced (tests only); returns the previous one. */
  static Durability durability(Durability d) {
    Durability before = durability;
    durability = Objects.requireNonNull(d, "durability");
    return before;
  }

  /** Writes a temporary file; receives its path. */
  @FunctionalInterface
  public interface Writer {
    void writeTo(Path temporary) throws IOException;
  }

  /** Writes {@code content} to {@code target} atomically. */
  public static void write(Path target, byte[] content) {
    Objects.requireNonNull(content, "content");
    write(target, tmp -> Files.write(tmp, content));
  }

  /**
   * Lets {@code writer} fill a temporary file beside {@code target} (it must close what it opens),
   * forces the temporary file's data to the device, moves it into place and forces the directory.
   *
   * @throws FssdException naming {@code target} when the directory is missing or writing fails
   */
  public static void write(Path target, Writer writer) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(writer, "writer");
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new FssdException("cannot write " + target + ": directory " + dir + " does not exist");
    }
    Durability d = durability;
    Path tmp = null;
    try {
      tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
      writer.writeTo(tmp);
      readableByAll(tmp);
      // the data must be on the device before the new name can be: see the class comment
      d.forceFile(tmp);
      try {
        Files.move(
            tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
      forceDirectoryQuietly(d, dir);
    } catch (IOException | RuntimeException e) {
      throw e instanceof FssdException
          ? (FssdException) e
          : new FssdException("cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  private static void forceDirectoryQuietly(Durability d, Path dir) {
    try {
      d.forceDirectory(dir);
    } catch (IOException e) {
      // platforms that cannot open a directory as a channel (Windows): the file's data is forced
      // already, only the durability of the rename is left to the file system
    }
  }

  /** Deletes {@code p} if it exists, ignoring failures (for temporary files). */
  public static void deleteQuietly(@Nullable Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // best effort: a leftover hidden .tmp file is never read as a result
      }
    }
  }

  private static void readableByAll(Path p) {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (UnsupportedOperationException | IOException e) {
      // not a POSIX file system: keep the default permissions
    }
  }
}
