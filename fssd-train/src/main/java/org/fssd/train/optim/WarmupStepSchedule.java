package org.fssd.train.optim;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * SPEC §7: the reference's learning-rate schedule — a warm-up during epoch 0, then the base rate
 * multiplied by {@code decayFactor} once for every decay epoch reached.
 *
 * <p>A pure function of the iteration (0-based count of parameter updates): epoch {@code e =
 * iteration / iterationsPerEpoch}; DL4J's epoch argument is ignored, so the value never depends on
 * whether a caller kept DL4J's epoch counter up to date. With {@code start = }{@value
 * #WARMUP_START}:
 *
 * <ul>
 *   <li>{@link Warmup#LINEAR} (default): in epoch 0, {@code start + (base - start) * iteration /
 *       iterationsPerEpoch} (reaches base at the start of epoch 1);
 *   <li>{@link Warmup#REFERENCE}: in epoch 0, {@code start + (base - start) * iteration / (5 *
 *       iterationsPerEpoch)} (the reference's quirk: it reaches about base / 5, then jumps);
 *   <li>{@link Warmup#NONE}: no warm-up;
 *   <li>afterwards: {@code base * decayFactor^k}, k = number of decay epochs {@code <= e}.
 * </ul>
 *
 * <p>Immutable; serialisable to DL4J's configuration JSON.
 */
public final class WarmupStepSchedule implements ISchedule {
  private static final long serialVersionUID = 1L;

  /** The warm-up's first learning rate. */
  public static final double WARMUP_START = 1e-6;

  /** Warm-up variants. */
  public enum Warmup {
    /** No warm-up. */
    NONE,
    /** Linear from {@value #WARMUP_START} to the base rate over epoch 0. */
    LINEAR,
    /** The reference's warm-up: a fifth of the slope, only during epoch 0. */
    REFERENCE
  }

  private final double baseLr;
  private final int iterationsPerEpoch;
  private final Warmup warmup;
  private final int[] decayEpochs;
  private final double decayFactor;

  /** See the class Javadoc. */
  @JsonCreator
  public WarmupStepSchedule(
      @JsonProperty("baseLr") double baseLr,
      @JsonProperty("iterationsPerEpoch") int iterationsPerEpoch,
      @JsonProperty("warmup") Warmup warmup,
      @JsonProperty("decayEpochs") int[] decayEpochs,
      @JsonProperty("decayFactor") double decayFactor) {
    checkArgument(
        baseLr > 0 && Double.isFinite(baseLr), "baseLr must be finite and > 0, got %s", baseLr);
    checkArgument(
        iterationsPerEpoch >= 1, "iterationsPerEpoch must be >= 1, got %s", iterationsPerEpoch);
    checkArgument(
        decayFactor > 0 && decayFactor <= 1, "decayFactor must be in (0, 1], got %s", decayFactor);
    this.baseLr = baseLr;
    this.iterationsPerEpoch = iterationsPerEpoch;
    this.warmup = Objects.requireNonNull(warmup, "warmup");
    this.decayEpochs = decayEpochs == null ? new int[0] : decayEpochs.clone();
    for (int i = 0; i < this.decayEpochs.length; i++) {
      checkArgument(
          this.decayEpochs[i] >= 1 && (i == 0 || this.decayEpochs[i] > this.decayEpochs[i - 1]),
          "decayEpochs must be increasing and >= 1, got %s",
          Arrays.toString(this.decayEpochs));
    }
    this.decayFactor = decayFactor;
  }

  /** The reference's VOC schedule: base 1e-3, x0.1 at epochs 150 and 200, linear warm-up. */
  public static WarmupStepSchedule reference(int iterationsPerEpoch) {
    return new WarmupStepSchedule(
        1e-3, iterationsPerEpoch, Warmup.LINEAR, new int[] {150, 200}, 0.1);
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    checkArgument(iteration >= 0, "iteration must be >= 0, got %s", iteration);
    int e = iteration / iterationsPerEpoch;
    if (e == 0 && warmup != Warmup.NONE) {
      double span = warmup == Warmup.LINEAR ? iterationsPerEpoch : 5.0 * iterationsPerEpoch;
      return WARMUP_START + (baseLr - WARMUP_START) * iteration / span;
    }
    double lr = baseLr;
    for (int d : decayEpochs) {
      if (e >= d) {
        lr *= decayFactor;
      }
    }
    return lr;
  }

  @JsonProperty("baseLr")
  public double baseLr() {
    return baseLr;
  }

  @JsonProperty("iterationsPerEpoch")
  public int iterationsPerEpoch() {
    return iterationsPerEpoch;
  }

  @JsonProperty("warmup")
  public Warmup warmup() {
    return warmup;
  }

  @JsonProperty("decayEpochs")
  public int[] decayEpochs() {
    return decayEpochs.clone();
  }

  @JsonProperty("decayFactor")
  public double decayFactor() {
    return decayFactor;
  }

  @Override
  public WarmupStepSchedule clone() {
    return this; // immutable
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WarmupStepSchedule s
        && s.baseLr == baseLr
        && s.iterationsPerEpoch == iterationsPerEpoch
        && s.warmup == warmup
        && Arrays.equals(s.decayEpochs, decayEpochs)
        && s.decayFactor == decayFactor;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        baseLr, iterationsPerEpoch, warmup, Arrays.hashCode(decayEpochs), decayFactor);
  }

  @Override
  public String toString() {
    return "WarmupStep(base="
        + baseLr
        + ", itersPerEpoch="
        + iterationsPerEpoch
        + ", warmup="
        + warmup
        + ", decayEpochs="
        + Arrays.toString(decayEpochs)
        + ", x"
        + decayFactor
        + ")";
  }
}
