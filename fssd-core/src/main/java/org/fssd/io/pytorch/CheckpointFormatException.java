package org.fssd.io.pytorch;

import java.nio.file.Path;
import org.fssd.ModelFormatException;
import org.jspecify.annotations.Nullable;

/**
 * A PyTorch checkpoint could not be read: it is not a {@code torch.save} file, is truncated or
 * corrupt, exceeds a {@link ReaderLimits} limit, refers to a pickle global outside the allow-list,
 * or lacks a tensor asked for. The message always starts with the file path, then says the problem,
 * e.g. {@code "model.pth: pickle refers to forbidden global 'os.system' ..."} or {@code "model.pth:
 * truncated: storage '3' needs 4096 bytes, 1200 left"}.
 */
public class CheckpointFormatException extends ModelFormatException {
  private static final long serialVersionUID = 1L;

  private final String file;

  /** A problem with {@code file}; the message is {@code file + ": " + problem}. */
  public CheckpointFormatException(Path file, String problem) {
    this(String.valueOf(file), problem, null);
  }

  /** A problem with {@code file} caused by {@code cause} (typically an {@code IOException}). */
  public CheckpointFormatException(Path file, String problem, @Nullable Throwable cause) {
    this(String.valueOf(file), problem, cause);
  }

  CheckpointFormatException(String file, String problem) {
    this(file, problem, null);
  }

  CheckpointFormatException(String file, String problem, @Nullable Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The path of the checkpoint file at fault, as given to the reader. */
  public String file() {
    return file;
  }
}
