package org.fssd.data;

import org.fssd.FssdException;

/**
 * A dataset's annotation or image list is malformed or inconsistent: the message names the file
 * and, where known, the line, object or JSON element, and what is wrong.
 */
public class DatasetFormatException extends FssdException {
  private static final long serialVersionUID = 1L;

  /** An exception with the given message. */
  public DatasetFormatException(String message) {
    super(message);
  }

  /** An exception with the given message and cause. */
  public DatasetFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
