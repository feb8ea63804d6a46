package org.fssd.data;

/**
 * What a dataset does with bad input (malformed annotation files or rows, unknown class names,
 * missing images, boxes outside the image or degenerate).
 */
public enum BadInputPolicy {
  /** Throw a {@link DatasetFormatException} naming the file (and line or object). The default. */
  FAIL,
  /**
   * Skip the bad item (the whole image for a malformed file or a missing image; only the object for
   * a bad box or unknown class), log a warning and count it in the dataset's {@link DataProblems}.
   * Nothing is dropped silently.
   */
  SKIP
}
