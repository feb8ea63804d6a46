package org.fssd;

/**
 * Range checks for settings (builders, presets, records) and arguments, so that every module words
 * a value out of range the same way: the setting's name, the range, the value received. Each check
 * returns the value, so that a setter can check and store in one statement.
 *
 * <p>Every method throws {@link IllegalArgumentException}: a value out of range is the caller's
 * mistake, not bad input data. The message is built only on failure and nothing is boxed, so the
 * checks cost nothing on hot paths (NMS, post-processing).
 */
public final class Checks {
  private Checks() {}

  /**
   * {@code value} if it is at least {@code min}.
   *
   * @throws IllegalArgumentException "{@code name} must be >= {@code min}, got {@code value}"
   */
  public static int atLeast(String name, int min, int value) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
    }
    return value;
  }

  /**
   * {@code value} if it is at least {@code min}.
   *
   * @throws IllegalArgumentException "{@code name} must be >= {@code min}, got {@code value}"
   */
  public static long atLeast(String name, long min, long value) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
    }
    return value;
  }

  /**
   * {@code value} if it is greater than zero (a limit, a count).
   *
   * @throws IllegalArgumentException "{@code name} must be positive: {@code value}"
   */
  public static long positive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }

  /**
   * {@code value} if it is greater than zero (a limit, a count).
   *
   * @throws IllegalArgumentException "{@code name} must be positive: {@code value}"
   */
  public static int positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }

  /**
   * {@code value} if it is finite and greater than zero (a size, a step, a variance); NaN and
   * infinity fail.
   *
   * @throws IllegalArgumentException "{@code name} must be finite and > 0, got {@code value}"
   */
  public static double finitePositive(String name, double value) {
    if (!(Double.isFinite(value) && value > 0)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, got " + value);
    }
    return value;
  }
}
