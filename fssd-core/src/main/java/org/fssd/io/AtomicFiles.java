package org.fssd.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import org.fssd.FssdException;

/**
 * Writes files so that nobody ever sees a half-written one: the content goes to a hidden
 * temporary file in the target's directory ({@code .<name>*.tmp}), which is then renamed over the
 * target ({@code ATOMIC_MOVE}, or a plain replacing move where the file system cannot do atomic
 * moves). On any failure the temporary file is deleted and the target is left as it was. Files
 * end up {@code rw-r--r--} (temporary files are created owner-only).
 *
 * <p>Every file fssd4j writes (models, checkpoints, result files, images, JSON) goes through here.
 * Stateless and thread-safe (two writers of one target: the last rename wins, both files whole).
 */
public final class AtomicFiles {
  private AtomicFiles() {}

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
   * Lets {@code writer} fill a temporary file beside {@code target}, then moves it into place.
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
    Path tmp = null;
    try {
      tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
      writer.writeTo(tmp);
      readableByAll(tmp);
      try {
        Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException | RuntimeException e) {
      throw e instanceof FssdException ? (FssdException) e
          : new FssdException("cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /** Deletes {@code p} if it exists, ignoring failures (for temporary files). */
  public static void deleteQuietly(Path p) {
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
