package org.fssd;

import org.jspecify.annotations.Nullable;

/**
 * A model or checkpoint file is missing, truncated, corrupt, of an unknown format version, or does
 * not fit the network it is loaded into. The message names the file and the problem.
 */
public class ModelFormatException extends FssdException {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
