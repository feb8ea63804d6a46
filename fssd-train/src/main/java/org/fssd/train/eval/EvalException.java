package org.fssd.train.eval;

import org.fssd.FssdException;

/**
 * Evaluation input that cannot be used: a malformed result file line (the message names the file
 * and the 1-based line number), a missing result file, an image id no dataset image has.
 */
public class EvalException extends FssdException {
  private static final long serialVersionUID = 1L;

  /** An exception with the given message. */
  public EvalException(String message) {
    super(message);
  }

  /** An exception with the given message and cause. */
  public EvalException(String message, Throwable cause) {
    super(message, cause);
  }
}
