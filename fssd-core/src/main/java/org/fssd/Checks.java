package org.fssd;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Range checks for settings (builders, presets, records), so that every module words a value out of
 * range the same way: the setting's name, the range, the value received. Each check returns the
 * value, so that a setter can check and store in one statement.
 *
 * <p>Every method throws {@link IllegalArgumentException}: a value out of range is the caller's
 * mistake, not bad input data.
 */
public final class Checks {
  private Checks() {}

  /**
   * {@code value} if it is at least {@code min}.
   *
   * @throws IllegalArgumentException "{@code name} must be >= {@code min}, got {@code value}"
   */
  public static int atLeast(String name, int min, int value) {
    checkArgument(value >= min, "%s must be >= %s, got %s", name, min, value);
    return value;
  }

  /**
   * {@code value} if it is at least {@code min}.
   *
   * @throws IllegalArgumentException "{@code name} must be >= {@code min}, got {@code value}"
   */
  public static long atLeast(String name, long min, long value) {
    checkArgument(value >= min, "%s must be >= %s, got %s", name, min, value);
    return value;
  }

  /**
   * {@code value} if it is greater than zero (a limit, a count).
   *
   * @throws IllegalArgumentException "{@code name} must be positive: {@code value}"
   */
  public static long positive(String name, long value) {
    checkArgument(value > 0, "%s must be positive: %s", name, value);
    return value;
  }

  /**
   * {@code value} if it is greater than zero (a limit, a count).
   *
   * @throws IllegalArgumentException "{@code name} must be positive: {@code value}"
   */
  public static int positive(String name, int value) {
    checkArgument(value > 0, "%s must be positive: %s", name, value);
    return value;
  }

  /**
   * {@code value} if it is finite and greater than zero (a size, a step, a variance); NaN and
   * infinity fail.
   *
   * @throws IllegalArgumentException "{@code name} must be finite and > 0, got {@code value}"
   */
  public static double finitePositive(String name, double value) {
    checkArgument(
        Double.isFinite(value) && value > 0, "%s must be finite and > 0, got %s", name, value);
    return value;
  }
}
