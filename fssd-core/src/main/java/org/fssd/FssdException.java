package org.fssd;

import org.jspecify.annotations.Nullable;

/**
 * Root of every exception fssd4j throws on purpose. Unchecked, like Guava's and DJL's: a caller
 * that wants to handle "anything the detector refused" catches this one type.
 *
 * <p>Messages always name the thing at fault (a file, a key, a value) and what was expected.
 */
public class FssdException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public FssdException(String message) {
    super(message);
  }

  public FssdException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
