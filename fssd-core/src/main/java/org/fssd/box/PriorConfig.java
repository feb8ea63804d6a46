package org.fssd.box;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkElementIndex;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.fssd.Checks.finitePositive;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * SPEC §3: the settings that define a detector's prior (default) boxes: input size S, and per
 * pyramid level k the feature-map size f_k, step, min and max size (pixels of the S x S input) and
 * aspect ratios; plus the box-coding variances (SPEC §4) and whether priors are clipped.
 *
 * <p>Presets with the exact numbers of the reference: {@link #voc300()}, {@link #voc512()}, {@link
 * #coco300()}, {@link #coco512()}. A custom configuration:
 *
 * <pre>{@code
 * PriorConfig c = PriorConfig.builder()
 *     .imageSize(300)
 *     .featureMaps(38, 19, 10, 5, 3, 1)
 *     .steps(8, 16, 32, 64, 100, 300)
 *     .minSizes(30, 60, 111, 162, 213, 264)
 *     .maxSizes(60, 111, 162, 213, 264, 315)
 *     .aspectRatios(new int[][] {{2, 3}, {2, 3}, {2, 3}, {2, 3}, {2}, {2}})
 *     .build();                       // variances (0.1, 0.2) and clip = true by default
 * }</pre>
 *
 * <p>Level k has {@link #priorsPerLocation(int)} = 2 + 2 * ratios_k boxes per cell; the prior index
 * of cell (i, j), box a at level k is {@code levelOffset(k) + (i * f_k + j) * A_k + a}.
 *
 * <p>Immutable and thread-safe; every array getter returns a copy. Validated on construction: all
 * per-level arrays have the same, non-zero length; sizes, steps and variances are finite and
 * positive; ratios are at least 1.
 */
public final class PriorConfig {
  private final int imageSize;
  private final int[] featureMaps;
  private final double[] steps;
  private final double[] minSizes;
  private final double[] maxSizes;
  private final int[][] aspectRatios;
  private final double[] variances;
  private final boolean clip;
  private final int[] levelOffsets; // length levels + 1; last = numPriors

  private PriorConfig(Builder b) {
    checkArgument(b.imageSize > 0, "imageSize must be > 0, got %s", b.imageSize);
    checkArgument(b.featureMaps != null, "featureMaps not set");
    checkArgument(b.steps != null, "steps not set");
    checkArgument(b.minSizes != null, "minSizes not set");
    checkArgument(b.maxSizes != null, "maxSizes not set");
    checkArgument(b.aspectRatios != null, "aspectRatios not set");
    int levels = b.featureMaps.length;
    checkArgument(levels > 0, "featureMaps must not be empty");
    checkLevels("steps", b.steps.length, levels);
    checkLevels("minSizes", b.minSizes.length, levels);
    checkLevels("maxSizes", b.maxSizes.length, levels);
    checkLevels("aspectRatios", b.aspectRatios.length, levels);
    this.imageSize = b.imageSize;
    this.featureMaps = b.featureMaps.clone();
    this.steps = b.steps.clone();
    this.minSizes = b.minSizes.clone();
    this.maxSizes = b.maxSizes.clone();
    this.aspectRatios = new int[levels][];
    for (int k = 0; k < levels; k++) {
      checkArgument(featureMaps[k] > 0, "featureMaps[%s] must be > 0, got %s", k, featureMaps[k]);
      checkPositive("steps", k, steps[k]);
      checkPositive("minSizes", k, minSizes[k]);
      checkPositive("maxSizes", k, maxSizes[k]);
      checkNotNull(b.aspectRatios[k], "aspectRatios[%s] is null", k);
      aspectRatios[k] = b.aspectRatios[k].clone();
      for (int r = 0; r < aspectRatios[k].length; r++) {
        checkArgument(
            aspectRatios[k][r] >= 1,
            "aspectRatios[%s][%s] must be >= 1, got %s",
            k,
            r,
            aspectRatios[k][r]);
      }
    }
    this.variances =
        new double[] {
          finitePositive("variance0", b.variance0), finitePositive("variance1", b.variance1)
        };
    this.clip = b.clip;
    this.levelOffsets = new int[levels + 1];
    long total = 0;
    for (int k = 0; k < levels; k++) {
      levelOffsets[k] = (int) total;
      total += (long) featureMaps[k] * featureMaps[k] * priorsPerLocation(k);
      checkArgument(
          total * 4 <= Integer.MAX_VALUE - 8,
          "too many priors (%s after level %s) for a float array",
          total,
          k);
    }
    levelOffsets[levels] = (int) total;
  }

  private static void checkPositive(String name, int k, double v) {
    finitePositive(name + "[" + k + "]", v);
  }

  /** Every per-level array has one entry per feature map. */
  private static void checkLevels(String name, int length, int levels) {
    checkArgument(
        length == levels,
        "%s has %s entries, featureMaps %s: need one per level",
        name,
        length,
        levels);
  }

  /** FSSD300 on PASCAL VOC (SPEC §3 table, VOC_300): 11620 priors. */
  public static PriorConfig voc300() {
    return grid300()
        .minSizes(30, 60, 111, 162, 213, 264)
        .maxSizes(60, 111, 162, 213, 264, 315)
        .build();
  }

  /** FSSD512 on PASCAL VOC (SPEC §3 table, VOC_512): 32756 priors. */
  public static PriorConfig voc512() {
    return grid512()
        .minSizes(35.84, 76.8, 153.6, 230.4, 307.2, 384.0, 460.8)
        .maxSizes(76.8, 153.6, 230.4, 307.2, 384.0, 460.8, 537.6)
        .build();
  }

  /** FSSD300 on COCO (SPEC §3 table, COCO_300): 11620 priors. */
  public static PriorConfig coco300() {
    return grid300()
        .minSizes(21, 45, 99, 153, 207, 261)
        .maxSizes(45, 99, 153, 207, 261, 315)
        .build();
  }

  /** FSSD512 on COCO (SPEC §3 table, COCO_512): 32756 priors. */
  public static PriorConfig coco512() {
    return grid512()
        .minSizes(20.48, 51.2, 133.12, 215.04, 296.96, 378.88, 460.8)
        .maxSizes(51.2, 133.12, 215.04, 296.96, 378.88, 460.8, 542.72)
        .build();
  }

  /**
   * The levels of every FSSD300 preset (VOC and COCO differ only in the box sizes): feature maps,
   * steps and aspect ratios.
   */
  private static Builder grid300() {
    return builder()
        .imageSize(300)
        .featureMaps(38, 19, 10, 5, 3, 1)
        .steps(8, 16, 32, 64, 100, 300)
        .aspectRatios(new int[][] {{2, 3}, {2, 3}, {2, 3}, {2, 3}, {2}, {2}});
  }

  /** The levels of every FSSD512 preset, as {@link #grid300()}. */
  private static Builder grid512() {
    return builder()
        .imageSize(512)
        .featureMaps(64, 32, 16, 8, 4, 2, 1)
        .steps(8, 16, 32, 64, 128, 256, 512)
        .aspectRatios(new int[][] {{2, 3}, {2, 3}, {2, 3}, {2, 3}, {2, 3}, {2}, {2}});
  }

  /** A new builder with variances (0.1, 0.2) and clip = true; everything else must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration's values. */
  public Builder toBuilder() {
    return builder()
        .imageSize(imageSize)
        .featureMaps(featureMaps)
        .steps(steps)
        .minSizes(minSizes)
        .maxSizes(maxSizes)
        .aspectRatios(aspectRatios)
        .variances(variances[0], variances[1])
        .clip(clip);
  }

  /** Side S of the square network input, in pixels. */
  public int imageSize() {
    return imageSize;
  }

  /** Number of pyramid levels (heads). */
  public int numLevels() {
    return featureMaps.length;
  }

  /** Feature-map sizes f_k (the grid of level k is f_k x f_k); a copy. */
  public int[] featureMaps() {
    return featureMaps.clone();
  }

  /** Feature-map size of one level. */
  public int featureMap(int level) {
    checkElementIndex(level, featureMaps.length, "level");
    return featureMaps[level];
  }

  /** Steps in input pixels (the centre grid uses S / step_k cells); a copy. */
  public double[] steps() {
    return steps.clone();
  }

  /** Min sizes in input pixels; a copy. */
  public double[] minSizes() {
    return minSizes.clone();
  }

  /** Max sizes in input pixels; a copy. */
  public double[] maxSizes() {
    return maxSizes.clone();
  }

  /** Aspect ratios per level (e.g. {@code {2, 3}}); a deep copy. */
  public int[][] aspectRatios() {
    int[][] copy = new int[aspectRatios.length][];
    for (int k = 0; k < copy.length; k++) {
      copy[k] = aspectRatios[k].clone();
    }
    return copy;
  }

  /** Aspect ratios of one level; a copy. */
  public int[] aspectRatios(int level) {
    checkElementIndex(level, aspectRatios.length, "level");
    return aspectRatios[level].clone();
  }

  /** Box-coding variances {v0, v1} (SPEC §4); a copy. */
  public double[] variances() {
    return variances.clone();
  }

  /** Whether every prior number is clamped to [0, 1] after generation. */
  public boolean clip() {
    return clip;
  }

  /** Boxes per location A_k = 2 + 2 * (number of aspect ratios of level k). */
  public int priorsPerLocation(int level) {
    checkElementIndex(level, aspectRatios.length, "level");
    return 2 + 2 * aspectRatios[level].length;
  }

  /** Index of the first prior of a level, {@code sum over k < level of f_k^2 * A_k}. */
  public int levelOffset(int level) {
    checkElementIndex(level, featureMaps.length, "level");
    return levelOffsets[level];
  }

  /**
   * Prior index of box {@code a} of cell (row {@code i}, column {@code j}) at {@code level}: {@code
   * levelOffset(level) + (i * f_k + j) * A_k + a}.
   */
  public int priorIndex(int level, int i, int j, int a) {
    int f = featureMap(level);
    checkElementIndex(i, f, "i");
    checkElementIndex(j, f, "j");
    int na = priorsPerLocation(level);
    checkElementIndex(a, na, "a");
    return levelOffsets[level] + (i * f + j) * na + a;
  }

  /** Total number of priors P = sum over k of f_k^2 * A_k (VOC300: 11620, VOC512: 32756). */
  public int numPriors() {
    return levelOffsets[featureMaps.length];
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof PriorConfig c
            && imageSize == c.imageSize
            && clip == c.clip
            && Arrays.equals(featureMaps, c.featureMaps)
            && Arrays.equals(steps, c.steps)
            && Arrays.equals(minSizes, c.minSizes)
            && Arrays.equals(maxSizes, c.maxSizes)
            && Arrays.deepEquals(aspectRatios, c.aspectRatios)
            && Arrays.equals(variances, c.variances));
  }

  @Override
  public int hashCode() {
    int h = imageSize;
    h = 31 * h + Arrays.hashCode(featureMaps);
    h = 31 * h + Arrays.hashCode(steps);
    h = 31 * h + Arrays.hashCode(minSizes);
    h = 31 * h + Arrays.hashCode(maxSizes);
    h = 31 * h + Arrays.deepHashCode(aspectRatios);
    h = 31 * h + Arrays.hashCode(variances);
    return 31 * h + Boolean.hashCode(clip);
  }

  @Override
  public String toString() {
    return "PriorConfig{imageSize="
        + imageSize
        + ", featureMaps="
        + Arrays.toString(featureMaps)
        + ", steps="
        + Arrays.toString(steps)
        + ", minSizes="
        + Arrays.toString(minSizes)
        + ", maxSizes="
        + Arrays.toString(maxSizes)
        + ", aspectRatios="
        + Arrays.deepToString(aspectRatios)
        + ", variances="
        + Arrays.toString(variances)
        + ", clip="
        + clip
        + ", numPriors="
        + numPriors()
        + "}";
  }

  /**
   * Builder of {@link PriorConfig}; {@link #build()} validates. Defaults: variances (0.1, 0.2),
   * clip = true. Arrays passed in are copied. Not thread-safe.
   */
  public static final class Builder {
    private int imageSize;
    private int @Nullable [] featureMaps;
    private double @Nullable [] steps;
    private double @Nullable [] minSizes;
    private double @Nullable [] maxSizes;
    private int @Nullable [][] aspectRatios;
    private double variance0 = 0.1;
    private double variance1 = 0.2;
    private boolean clip = true;

    private Builder() {}

    /** Side S of the square network input, in pixels (> 0). */
    public Builder imageSize(int imageSize) {
      this.imageSize = imageSize;
      return this;
    }

    /** Feature-map size f_k per level (> 0). */
    public Builder featureMaps(int... featureMaps) {
      this.featureMaps = checkNotNull(featureMaps, "featureMaps").clone();
      return this;
    }

    /** Step per level, in input pixels (> 0); the centre grid of level k has S / step_k cells. */
    public Builder steps(double... steps) {
      this.steps = checkNotNull(steps, "steps").clone();
      return this;
    }

    /** Min size per level, in input pixels (> 0). */
    public Builder minSizes(double... minSizes) {
      this.minSizes = checkNotNull(minSizes, "minSizes").clone();
      return this;
    }

    /** Max size per level, in input pixels (> 0). */
    public Builder maxSizes(double... maxSizes) {
      this.maxSizes = checkNotNull(maxSizes, "maxSizes").clone();
      return this;
    }

    /** Aspect ratios per level (each >= 1; may be empty for a level); deep-copied. */
    public Builder aspectRatios(int[][] aspectRatios) {
      checkNotNull(aspectRatios, "aspectRatios");
      this.aspectRatios = new int[aspectRatios.length][];
      for (int k = 0; k < aspectRatios.length; k++) {
        this.aspectRatios[k] = checkNotNull(aspectRatios[k], "aspectRatios[%s] is null", k).clone();
      }
      return this;
    }

    /** Box-coding variances (default 0.1 and 0.2). */
    public Builder variances(double variance0, double variance1) {
      this.variance0 = variance0;
      this.variance1 = variance1;
      return this;
    }

    /** Whether to clamp every prior number to [0, 1] (default true). */
    public Builder clip(boolean clip) {
      this.clip = clip;
      return this;
    }

    /**
     * The validated configuration.
     *
     * @throws IllegalArgumentException naming the setting at fault (or one never set)
     */
    public PriorConfig build() {
      return new PriorConfig(this);
    }
  }
}
