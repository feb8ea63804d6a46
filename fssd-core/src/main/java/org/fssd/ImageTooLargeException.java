package org.fssd;

/**
 * An image is larger than the configured limit: more pixels than the loader's pixel limit (read
 * from the header, before decoding) or a file with more bytes than it reads. The message names the
 * image, its size and the limit. A front-end can tell it from other decode failures by type (the
 * HTTP service answers 413 for it and 400 for the rest).
 */
public class ImageTooLargeException extends ImageDecodeException {
  private static final long serialVersionUID = 1L;

  public ImageTooLargeException(String message) {
    super(message);
  }
}
