package org.fssd.data;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link BadInputPolicy} and counts what was skipped: under {@link BadInputPolicy#FAIL} a
 * problem is thrown as a {@link DatasetFormatException}; under {@link BadInputPolicy#SKIP} it is
 * logged (warn), counted and its message kept, so a caller can read {@link #skippedImages()},
 * {@link #skippedObjects()} and {@link #messages()} after loading.
 *
 * <p>Thread-safe (synchronised); datasets fill it while loading and only read it afterwards.
 */
public final class DataProblems {
  private static final Logger LOG = LoggerFactory.getLogger(DataProblems.class);
  private static final int MAX_MESSAGES = 1000;

  private final BadInputPolicy policy;
  private int skippedImages;
  private int skippedObjects;
  private final List<String> messages = new ArrayList<>();

  /** A counter applying {@code policy}. */
  public DataProblems(BadInputPolicy policy) {
    this.policy = checkNotNull(policy, "policy");
  }

  /** The policy applied. */
  public BadInputPolicy policy() {
    return policy;
  }

  /**
   * Reports a problem that invalidates a whole image (malformed file, missing image).
   *
   * @throws DatasetFormatException under {@link BadInputPolicy#FAIL}
   */
  public void badImage(String message, Throwable cause) {
    if (policy == BadInputPolicy.FAIL) {
      throw new DatasetFormatException(message, cause);
    }
    synchronized (this) {
      skippedImages++;
      keep("skipped image: " + message);
    }
  }

  /**
   * Reports a problem with one object (unknown class, bad box); the rest of the image is kept.
   *
   * @throws DatasetFormatException under {@link BadInputPolicy#FAIL}
   */
  public void badObject(String message) {
    if (policy == BadInputPolicy.FAIL) {
      throw new DatasetFormatException(message);
    }
    synchronized (this) {
      skippedObjects++;
      keep("skipped object: " + message);
    }
  }

  private void keep(String m) {
    LOG.warn(m);
    if (messages.size() < MAX_MESSAGES) {
      messages.add(m);
    }
  }

  /** Number of images skipped. */
  public synchronized int skippedImages() {
    return skippedImages;
  }

  /** Number of objects skipped (in images that were kept). */
  public synchronized int skippedObjects() {
    return skippedObjects;
  }

  /** The first 1000 warning messages, in order. */
  public synchronized List<String> messages() {
    return ImmutableList.copyOf(messages);
  }

  /** Whether nothing was skipped. */
  public synchronized boolean isEmpty() {
    return skippedImages == 0 && skippedObjects == 0;
  }

  @Override
  public synchronized String toString() {
    return "DataProblems{policy="
        + policy
        + ", skippedImages="
        + skippedImages
        + ", skippedObjects="
        + skippedObjects
        + "}";
  }
}
