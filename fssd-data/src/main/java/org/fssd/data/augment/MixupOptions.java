package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Locale;
import java.util.Objects;

/**
 * Settings of {@link Mixup} for detection (Zhang et al. 2019, "Bag of Freebies for Training Object
 * Detection Neural Networks"): the probability that a training sample is blended with a second one,
 * the {@code alpha} of the symmetric Beta distribution the blend factor is drawn from, and the
 * number of final epochs trained without Mixup.
 *
 * <pre>{@code
 * MixupOptions m = MixupOptions.builder().probability(0.5).alpha(1.5).offEpochs(2).build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class MixupOptions {
  /** Default probability that a sample is mixed. */
  public static final double DEFAULT_PROBABILITY = 0.5;

  /** Default alpha of Beta(alpha, alpha), the paper's 1.5. */
  public static final double DEFAULT_ALPHA = 1.5;

  private final double probability;
  private final double alpha;
  private final int offEpochs;

  private MixupOptions(Builder b) {
    this.probability = b.probability;
    this.alpha = b.alpha;
    this.offEpochs = b.offEpochs;
  }

  /** The defaults: probability 0.5, alpha 1.5, Mixup until the last epoch. */
  public static MixupOptions defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Probability in [0, 1] that a training sample is blended with another one. */
  public double probability() {
    return probability;
  }

  /** alpha > 0 of the blend factor's Beta(alpha, alpha) distribution. */
  public double alpha() {
    return alpha;
  }

  /** Number of final epochs trained without Mixup (>= 0). */
  public int offEpochs() {
    return offEpochs;
  }

  /**
   * Whether Mixup is used in {@code epoch} (0-based) of a run of {@code totalEpochs}: every epoch
   * before the last {@link #offEpochs()}.
   */
  public boolean activeIn(int epoch, int totalEpochs) {
    return probability > 0 && epoch < totalEpochs - offEpochs;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MixupOptions m
        && Double.compare(m.probability, probability) == 0
        && Double.compare(m.alpha, alpha) == 0
        && m.offEpochs == offEpochs;
  }

  @Override
  public int hashCode() {
    return Objects.hash(probability, alpha, offEpochs);
  }

  /** E.g. {@code mixup(p=0.5, alpha=1.5, off for the last 2 epochs)}. */
  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "mixup(p=%s, alpha=%s, off for the last %d epochs)",
        probability,
        alpha,
        offEpochs);
  }

  /** Builder of {@link MixupOptions}; each setter validates its value. */
  public static final class Builder {
    private double probability = DEFAULT_PROBABILITY;
    private double alpha = DEFAULT_ALPHA;
    private int offEpochs;

    private Builder() {}

    /** Probability that a sample is mixed, in [0, 1] (default 0.5). */
    public Builder probability(double p) {
      checkArgument(p >= 0 && p <= 1, "mixup probability must be in [0, 1], got %s", p);
      this.probability = p;
      return this;
    }

    /** alpha of Beta(alpha, alpha), finite and > 0 (default 1.5). */
    public Builder alpha(double alpha) {
      checkArgument(
          alpha > 0 && Double.isFinite(alpha), "mixup alpha must be finite and > 0, got %s", alpha);
      this.alpha = alpha;
      return this;
    }

    /** Final epochs without Mixup, >= 0 (default 0). */
    public Builder offEpochs(int n) {
      checkArgument(n >= 0, "mixup offEpochs must be >= 0, got %s", n);
      this.offEpochs = n;
      return this;
    }

    /** The options. */
    public MixupOptions build() {
      return new MixupOptions(this);
    }
  }
}
