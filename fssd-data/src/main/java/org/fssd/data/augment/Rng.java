package org.fssd.data.augment;

import java.util.SplittableRandom;

/**
 * The random numbers of augmentation, derived from ({@code seed}, epoch, index) only, so a sample
 * is reproducible whatever thread computes it and in whatever order. Helpers mirror Python's {@code
 * random} calls of the reference ({@code uniform}, {@code randrange}, {@code randint}).
 */
public final class Rng {
  private Rng() {}

  /** A generator for sample {@code index} of {@code epoch} under {@code seed}. */
  public static SplittableRandom forSample(long seed, long epoch, long index) {
    return new SplittableRandom(mix(mix(seed, epoch), index));
  }

  /** A 64-bit mix of two values (SplitMix64 finaliser). */
  public static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** {@code random.uniform(a, b)}: {@code a + (b - a) * U[0, 1)}. */
  static double uniform(SplittableRandom r, double a, double b) {
    return a + (b - a) * r.nextDouble();
  }

  /** {@code random.randrange(2) == 1}: a fair coin. */
  static boolean coin(SplittableRandom r) {
    return r.nextInt(2) == 1;
  }

  /** {@code random.randint(a, b)}, both inclusive. */
  static int randint(SplittableRandom r, int a, int b) {
    return r.nextInt(a, b + 1);
  }
}
