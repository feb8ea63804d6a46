package org.fssd.model;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.base.Joiner;
import com.google.common.base.Splitter;
import com.google.common.primitives.Ints;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntUnaryOperator;

/**
 * SPEC §2.8: the output width (channel count) of every convolution of FSSD, as data.
 *
 * <p>A pruned network has the same topology with fewer channels; every input width is derived from
 * its producer's output width, never stored. Groups, in network order:
 *
 * <ul>
 *   <li>{@code base}: the 13 VGG16 3x3 convolutions (conv1_1 .. conv5_3); the pools sit at fixed
 *       places (after conv 2, 4, 7 (ceil mode), 10 and 13), written {@code M}/{@code C} in the SPEC
 *       notation {@code [64, 64, M, 128, ..., C, ...]};
 *   <li>{@code conv6}, {@code conv7}: the converted fc6/fc7;
 *   <li>{@code extras}: 4 convolutions; {@code fusion}: the 3 ft_module convolutions;
 *   <li>{@code pyramid}: 6 (FSSD300) or 7 (FSSD512) convolutions, one per detection level.
 * </ul>
 *
 * <p>Immutable; accessors return copies.
 */
public final class Widths {
  /** Number of VGG 3x3 convolutions in the base (conv1_1 .. conv5_3). */
  public static final int BASE_CONVS = 13;

  /** Index (0-based, into {@link #base()}) of the conv after which each base pool sits. */
  static final int[] POOL_AFTER = {1, 3, 6, 9, 12};

  /** Index into {@link #base()} of conv4_3, whose ReLU output is source 1. */
  public static final int CONV4_3 = 9;

  private static final int[] FULL_BASE = {
    64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512
  };

  private final int[] base;
  private final int conv6;
  private final int conv7;
  private final int[] extras;
  private final int[] fusion;
  private final int[] pyramid;

  private Widths(int[] base, int conv6, int conv7, int[] extras, int[] fusion, int[] pyramid) {
    checkArgument(
        base.length == BASE_CONVS, "base needs %s conv widths, got %s", BASE_CONVS, base.length);
    checkArgument(extras.length == 4, "extras needs 4 widths, got %s", extras.length);
    checkArgument(fusion.length == 3, "fusion (ft_module) needs 3 widths, got %s", fusion.length);
    checkArgument(
        pyramid.length == 6 || pyramid.length == 7,
        "pyramid needs 6 (FSSD300) or 7 (FSSD512) widths, got %s",
        pyramid.length);
    checkPositive("base", base);
    checkPositive("conv6", conv6);
    checkPositive("conv7", conv7);
    checkPositive("extras", extras);
    checkPositive("fusion", fusion);
    checkPositive("pyramid", pyramid);
    this.base = base.clone();
    this.conv6 = conv6;
    this.conv7 = conv7;
    this.extras = extras.clone();
    this.fusion = fusion.clone();
    this.pyramid = pyramid.clone();
  }

  private static void checkPositive(String group, int... widths) {
    for (int i = 0; i < widths.length; i++) {
      checkArgument(widths[i] >= 1, "%s width %s must be >= 1, got %s", group, i, widths[i]);
    }
  }

  /** Widths from explicit groups (arrays are copied). */
  public static Widths of(
      int[] base, int conv6, int conv7, int[] extras, int[] fusion, int[] pyramid) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(extras, "extras");
    Objects.requireNonNull(fusion, "fusion");
    Objects.requireNonNull(pyramid, "pyramid");
    return new Widths(base, conv6, conv7, extras, fusion, pyramid);
  }

  /** The published, unpruned FSSD300 widths. */
  public static Widths full300() {
    return full(512, 512, 256, 256, 256, 256);
  }

  /** The published, unpruned FSSD512 widths (one pyramid level more). */
  public static Widths full512() {
    return full(512, 512, 256, 256, 256, 256, 256);
  }

  /** The published widths, which FSSD300 and FSSD512 share up to the pyramid. */
  private static Widths full(int... pyramid) {
    return new Widths(
        FULL_BASE, 1024, 1024, new int[] {256, 512, 128, 256}, new int[] {256, 256, 256}, pyramid);
  }

  /**
   * FSSD300 with half of the channels of every prunable layer removed: {@link #full300()} {@link
   * #scaled(double) scaled} by 0.5, i.e. base {@code [32, 32, M, 64, 64, M, 128, 128, 128, C, 256,
   * 256, 256, M, 256, 256, 256]}, conv6 512, conv7 512, extras {@code [128, 256, 64, 128]}, fusion
   * {@code [128, 128, 128]}, pyramid {@code [256, 256, 128, 128, 128, 128]}.
   *
   * <p>This is what a global 50 % network-slimming prune (SPEC §11) produces when it happens to
   * take the same share from every layer; a real prune takes more from some layers than from others
   * (e.g. the published widths of SPEC §2.8). Every width here is the output width of a BN'd body
   * convolution, the set the pruner selects from; the heads are not part of the widths and keep
   * their output sizes (only their input width follows the pyramid).
   */
  public static Widths half300() {
    return full300().scaled(0.5);
  }

  /**
   * These widths with every group's every width multiplied by {@code keep} and rounded to the
   * nearest integer (halves up), at least 1: the widths of a uniform prune that keeps the share
   * {@code keep} of each layer's channels.
   *
   * @throws IllegalArgumentException if {@code keep} is not in (0, 1]
   */
  public Widths scaled(double keep) {
    checkArgument(keep > 0 && keep <= 1, "keep must be in (0, 1], got %s", keep);
    return map(width -> Math.max(1, (int) Math.floor(width * keep + 0.5)));
  }

  /**
   * These widths with every width divided by {@code divisor} (rounded down), at least 1: a network
   * {@code divisor} times narrower everywhere, for quick experiments and timings.
   *
   * @throws IllegalArgumentException if {@code divisor} is not positive
   */
  public Widths divided(int divisor) {
    checkArgument(divisor >= 1, "divisor must be >= 1, got %s", divisor);
    return map(width -> Math.max(1, width / divisor));
  }

  private Widths map(IntUnaryOperator f) {
    return new Widths(
        map(base, f),
        f.applyAsInt(conv6),
        f.applyAsInt(conv7),
        map(extras, f),
        map(fusion, f),
        map(pyramid, f));
  }

  private static int[] map(int[] widths, IntUnaryOperator f) {
    return Arrays.stream(widths).map(f).toArray();
  }

  /**
   * Parses a base in the SPEC notation, e.g. {@code "[38, 58, M, 101, 121, M, 218, 232, 234, C,
   * 282, 297, 243, M, 214, 199, 54]"}: 13 integers with {@code M}/{@code C} at the pool places.
   *
   * @throws IllegalArgumentException naming the token at fault
   */
  public static int[] parseBase(String notation) {
    Objects.requireNonNull(notation, "notation");
    String s = notation.trim();
    if (s.startsWith("[") && s.endsWith("]")) {
      s = s.substring(1, s.length() - 1);
    }
    List<String> tokens = Splitter.on(',').trimResults().omitEmptyStrings().splitToList(s);
    List<String> expectedPools = List.of("M", "M", "C", "M");
    List<Integer> widths = new ArrayList<>();
    int pools = 0;
    for (String t : tokens) {
      if (t.equals("M") || t.equals("C")) {
        checkArgument(pools < expectedPools.size(), "too many pools in base '%s'", notation);
        checkArgument(
            widths.size() == POOL_AFTER[pools] + 1 && t.equals(expectedPools.get(pools)),
            "pool '%s' at the wrong place in base '%s' (expected [a, b, M, c, d, M, e, f, g, C, h, i, j, M, k, l, m])",
            t,
            notation);
        pools++;
      } else {
        Integer w = Ints.tryParse(t);
        checkArgument(w != null, "not a width: '%s' in base '%s'", t, notation);
        widths.add(w);
      }
    }
    checkArgument(
        widths.size() == BASE_CONVS,
        "base '%s' has %s widths, expected %s",
        notation,
        widths.size(),
        BASE_CONVS);
    return Ints.toArray(widths);
  }

  /** The base widths in SPEC notation, pools included. */
  public static String formatBase(int[] base) {
    List<String> out = new ArrayList<>();
    String[] pools = {"M", "M", "C", "M"};
    int p = 0;
    for (int i = 0; i < base.length; i++) {
      out.add(Integer.toString(base[i]));
      if (p < pools.length && i == POOL_AFTER[p]) {
        out.add(pools[p++]);
      }
    }
    return "[" + Joiner.on(", ").join(out) + "]";
  }

  public int[] base() {
    return base.clone();
  }

  public int base(int i) {
    return base[i];
  }

  public int conv6() {
    return conv6;
  }

  public int conv7() {
    return conv7;
  }

  public int[] extras() {
    return extras.clone();
  }

  public int extras(int i) {
    return extras[i];
  }

  public int[] fusion() {
    return fusion.clone();
  }

  public int fusion(int i) {
    return fusion[i];
  }

  /** Channels of the fusion concat (sum of the three ft_module widths). */
  public int fusionConcat() {
    return fusion[0] + fusion[1] + fusion[2];
  }

  public int[] pyramid() {
    return pyramid.clone();
  }

  public int pyramid(int i) {
    return pyramid[i];
  }

  /** Number of detection levels (6 for FSSD300, 7 for FSSD512). */
  public int levels() {
    return pyramid.length;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Widths)) {
      return false;
    }
    Widths w = (Widths) o;
    return Arrays.equals(base, w.base)
        && conv6 == w.conv6
        && conv7 == w.conv7
        && Arrays.equals(extras, w.extras)
        && Arrays.equals(fusion, w.fusion)
        && Arrays.equals(pyramid, w.pyramid);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        Arrays.hashCode(base),
        conv6,
        conv7,
        Arrays.hashCode(extras),
        Arrays.hashCode(fusion),
        Arrays.hashCode(pyramid));
  }

  @Override
  public String toString() {
    return "Widths{base="
        + formatBase(base)
        + ", conv6="
        + conv6
        + ", conv7="
        + conv7
        + ", extras="
        + Arrays.toString(extras)
        + ", fusion="
        + Arrays.toString(fusion)
        + ", pyramid="
        + Arrays.toString(pyramid)
        + "}";
  }
}
