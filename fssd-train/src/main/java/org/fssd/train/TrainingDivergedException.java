package org.fssd.train;

import org.fssd.FssdException;

/** Training stopped because the loss became NaN or infinite. */
public final class TrainingDivergedException extends FssdException {
  private static final long serialVersionUID = 1L;

  /** With a message that says where and what the last good checkpoint is. */
  public TrainingDivergedException(String message) {
    super(message);
  }
}
