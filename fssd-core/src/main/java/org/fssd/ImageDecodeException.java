package org.fssd;

import org.jspecify.annotations.Nullable;

/**
 * An image could not be used: missing, unreadable, not an image, corrupt, zero-sized or larger than
 * the configured pixel limit. The message names the image and the problem.
 */
public class ImageDecodeException extends FssdException {
  private static final long serialVersionUID = 1L;

  public ImageDecodeException(String message) {
    super(message);
  }

  public ImageDecodeException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
