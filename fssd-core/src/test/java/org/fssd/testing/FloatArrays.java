package org.fssd.testing;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.opentest4j.AssertionFailedError;

/**
 * Tolerant comparison of floating-point results (network outputs, gradients, losses) for every
 * module's tests (shared through the fssd-core test-jar).
 *
 * <p>An element passes when {@code |actual - expected| <= max(abs, rel * |expected|)}. A failure
 * names the worst element (largest difference relative to its tolerance): its flat index, its
 * coordinates where a shape is known, both values, the difference, the tolerance, and how many
 * elements exceed their tolerance. NaN passes only against NaN.
 *
 * <p><b>Why not bit equality, and how big a tolerance.</b> A float32 result of the network is a
 * long chain of sums (a 3x3 convolution over 512 channels adds 4608 products; FSSD stacks ~25 such
 * layers). oneDNN and ND4J choose kernels by the CPU they run on (AVX2, AVX-512, AVX512_BF16...,
 * direct, Winograd or GEMM), and each kernel sums in its own order. Every reordering changes the
 * rounding: float32 keeps 24 bits (unit roundoff 2^-24 ~ 6e-8), a sum of n terms in another order
 * differs by about sqrt(n) * 6e-8 of the terms' magnitude (~4e-6 for n = 4608), and layers carry
 * the difference on. So outputs computed on another machine, or by another code path, agree to
 * ~1e-5 of their magnitude, not bit for bit: measured up to 4.6e-5 on outputs of magnitude 32
 * between AVX-512 and AVX2 kernels. Hence {@link #OUTPUT_REL} = {@link #OUTPUT_ABS} = 1e-4 for
 * network outputs: relative for large values (one float32 ulp of 32 is already 3.8e-6), plus an
 * absolute floor for values near zero, where the rounding error is that of the large terms that
 * cancelled, not of the small result. Where terms are much larger than 1 the floor should scale
 * with the array ({@code abs = rel * max(1, maxAbs(expected))}); tests pass that explicitly.
 * Tighter tolerances remain right for pure-Java arithmetic; bit equality remains right only for the
 * very same code path on the same machine (same plan run twice, same seed twice).
 */
public final class FloatArrays {
  /**
   * Relative tolerance of float32 network outputs, gradients and losses (see the class comment).
   */
  public static final double OUTPUT_REL = 1e-4;

  /** Absolute floor of float32 network outputs near zero (see the class comment). */
  public static final double OUTPUT_ABS = 1e-4;

  /**
   * With {@code -Dfssd.test.printDifferences=true} every comparison prints its largest difference
   * and largest difference/tolerance ratio to stderr, for measuring the margins on a new machine.
   */
  private static final boolean PRINT = Boolean.getBoolean("fssd.test.printDifferences");

  private FloatArrays() {}

  /**
   * {@code actual} equals {@code expected} element-wise within {@code max(abs, rel * |expected|)}.
   */
  public static void assertClose(
      float[] actual, float[] expected, double rel, double abs, String what) {
    assertClose(toDouble(actual), toDouble(expected), null, rel, abs, what);
  }

  /**
   * {@code actual} equals {@code expected} element-wise within {@code max(abs, rel * |expected|)}.
   */
  public static void assertClose(
      double[] actual, double[] expected, double rel, double abs, String what) {
    assertClose(actual, expected, null, rel, abs, what);
  }

  /**
   * {@code actual} and {@code expected} have the same shape and are element-wise equal within
   * {@code max(abs, rel * |expected|)}; the failure message gives the worst element's coordinates.
   */
  public static void assertClose(
      INDArray actual, INDArray expected, double rel, double abs, String what) {
    if (!Arrays.equals(actual.shape(), expected.shape())) {
      throw new AssertionFailedError(
          String.format(
              "%s: shape %s, expected %s",
              what, Arrays.toString(actual.shape()), Arrays.toString(expected.shape())));
    }
    assertClose(flat(actual), flat(expected), expected.shape(), rel, abs, what);
  }

  /** One value (a loss, a score) within {@code max(abs, rel * |expected|)}. */
  public static void assertClose(
      double actual, double expected, double rel, double abs, String what) {
    assertClose(new double[] {actual}, new double[] {expected}, null, rel, abs, what);
  }

  /**
   * The rms of {@code actual - expected} divided by the rms of {@code expected}: the relative size
   * of an approximation's error (e.g. int8 against fp32 outputs).
   */
  public static double relativeRmsError(float[] actual, float[] expected) {
    if (actual.length != expected.length) {
      throw new IllegalArgumentException(actual.length + " values against " + expected.length);
    }
    double se = 0;
    double ss = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = actual[i] - expected[i];
      se += d * d;
      ss += (double) expected[i] * expected[i];
    }
    return Math.sqrt(se / ss);
  }

  /** Largest absolute value, for an absolute term that scales with the array. */
  public static double maxAbs(float[] values) {
    double m = 0;
    for (float v : values) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /** Largest absolute value, for an absolute term that scales with the array. */
  public static double maxAbs(INDArray values) {
    return values.amaxNumber().doubleValue();
  }

  private static void assertClose(
      double[] actual, double[] expected, long[] shape, double rel, double abs, String what) {
    if (!(rel >= 0 && abs >= 0)) {
      throw new IllegalArgumentException(
          "tolerances must be >= 0, got rel " + rel + ", abs " + abs);
    }
    if (actual.length != expected.length) {
      throw new AssertionFailedError(
          String.format("%s: %s elements, expected %s", what, actual.length, expected.length));
    }
    int worst = -1;
    double worstRatio = 0;
    int exceeding = 0;
    double maxDiff = 0;
    double maxRatio = 0;
    for (int i = 0; i < expected.length; i++) {
      double ratio = ratio(actual[i], expected[i], rel, abs);
      maxRatio = Math.max(maxRatio, ratio);
      maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
      if (ratio > 1) {
        exceeding++;
        if (ratio > worstRatio) {
          worstRatio = ratio;
          worst = i;
        }
      }
    }
    if (PRINT) {
      System.err.printf(
          "FloatArrays %s: max |difference| %.3g, max difference/tolerance %.3g (%d elements)%n",
          what, maxDiff, maxRatio, expected.length);
    }
    if (exceeding > 0) {
      double a = actual[worst];
      double e = expected[worst];
      throw new AssertionFailedError(
          String.format(
              "%s: %d of %d elements differ by more than max(%s, %s * |expected|); worst at index %d%s: "
                  + "actual %s, expected %s, difference %s, tolerance %s",
              what,
              exceeding,
              expected.length,
              abs,
              rel,
              worst,
              coordinates(worst, shape),
              a,
              e,
              Math.abs(a - e),
              tolerance(e, rel, abs)));
    }
  }

  /**
   * |a - e| over its tolerance; > 1 fails; infinite for NaN against a number or a zero tolerance.
   */
  private static double ratio(double a, double e, double rel, double abs) {
    if (Double.isNaN(a) || Double.isNaN(e)) {
      return Double.isNaN(a) && Double.isNaN(e) ? 0 : Double.POSITIVE_INFINITY;
    }
    if (a == e) {
      return 0; // also equal infinities
    }
    double tol = tolerance(e, rel, abs);
    double diff = Math.abs(a - e);
    return tol == 0 || Double.isInfinite(diff) ? Double.POSITIVE_INFINITY : diff / tol;
  }

  private static double tolerance(double e, double rel, double abs) {
    return Math.max(abs, rel * Math.abs(e));
  }

  private static String coordinates(int index, long[] shape) {
    if (shape == null || shape.length < 2) {
      return "";
    }
    long[] at = new long[shape.length];
    long rest = index;
    for (int d = shape.length - 1; d >= 0; d--) {
      at[d] = rest % shape[d];
      rest /= shape[d];
    }
    return " " + Arrays.toString(at) + " of shape " + Arrays.toString(shape);
  }

  private static double[] flat(INDArray a) {
    return Nd4j.toFlattened('c', a.castTo(DataType.DOUBLE)).toDoubleVector();
  }

  private static double[] toDouble(float[] values) {
    double[] d = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      d[i] = values[i];
    }
    return d;
  }

  /**
   * A smooth random image in the network's input range (BGR minus means, clipped to [-123, 151]):
   * each value a running blend of uniform noise, so neighbouring pixels correlate as in photos.
   * Reproducible by {@code seed}.
   */
  public static float[] smoothImage(int length, long seed) {
    float[] v = new float[length];
    java.util.Random rng = new java.util.Random(seed);
    float value = 0;
    for (int i = 0; i < v.length; i++) {
      value = 0.9f * value + 0.1f * (rng.nextFloat() * 240 - 120) * 3;
      v[i] = Math.max(-123, Math.min(151, value));
    }
    return v;
  }
}
