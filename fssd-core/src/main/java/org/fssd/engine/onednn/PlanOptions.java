package org.fssd.engine.onednn;

import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Objects;

/**
 * How a {@link OneDnnPlan} is compiled: the convolution algorithm and the numeric precision.
 *
 * <pre>{@code
 * PlanOptions o = PlanOptions.builder().algorithm(PlanOptions.Algorithm.DIRECT).build();
 * PlanOptions d = PlanOptions.defaults(); // AUTO, FP32
 * }</pre>
 *
 * <p>Threads are not an option: oneDNN's OpenMP runtime reads {@code OMP_NUM_THREADS} once, so set
 * that environment variable before the JVM starts (the default is one thread per core).
 *
 * <p>Immutable and thread-safe.
 */
public final class PlanOptions {
  /** Which oneDNN convolution algorithm a plan asks for. */
  public enum Algorithm {
    /**
     * Winograd for the 3x3, stride-1, non-dilated convolutions on maps of at least 32 px except the
     * network's first one, direct elsewhere and wherever oneDNN refuses Winograd. The fastest
     * choice on AVX-512 for the memory: Winograd keeps each such layer's weights as 6x6 tiles (4x
     * the bytes) and needs a larger scratchpad, so the small late maps, where it saves little time
     * and much memory, run direct. FSSD300 batch 1: ~1.8x the speed of {@link #DIRECT}, peak RSS
     * ~1.3x.
     */
    AUTO,
    /**
     * Direct convolution everywhere: the least memory (each weight stored once, no Winograd
     * scratchpad), at about the speed of ONNX Runtime's CPU engine.
     */
    DIRECT,
    /**
     * Winograd for every 3x3, stride-1, non-dilated convolution, the first one included (direct
     * where oneDNN refuses Winograd); direct elsewhere.
     */
    WINOGRAD
  }

  /** The data type of weights and activations inside the plan; input and outputs stay float. */
  public enum Precision {
    /** 32-bit float. */
    FP32,
    /**
     * bfloat16 weights and activations (fp32 accumulation, biases and outputs): about 1e-2 relative
     * error. Needs a CPU with AVX512_BF16 ({@link OneDnnPlan#cpuHasBf16()}); refused with
     * UnsupportedOperationException elsewhere.
     */
    BF16,
    /**
     * 8-bit integers: int8 weights (symmetric, per output channel) and u8/s8 activations with the
     * per-tensor scales of a model's {@link org.fssd.model.Quantization} (from {@code fssd
     * quantize}); int32 accumulation, fp32 head outputs. Only for quantised models: weights built
     * without a quantisation refuse it. Fastest on CPUs with AVX512_VNNI.
     */
    INT8
  }

  private static final PlanOptions DEFAULTS = builder().build();

  private final Algorithm algorithm;
  private final Precision precision;

  private PlanOptions(Builder b) {
    this.algorithm = b.algorithm;
    this.precision = b.precision;
  }

  /** {@link Algorithm#AUTO}, {@link Precision#FP32}. */
  public static PlanOptions defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The convolution algorithm. */
  public Algorithm algorithm() {
    return algorithm;
  }

  /** The precision. */
  public Precision precision() {
    return precision;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof PlanOptions)) {
      return false;
    }
    PlanOptions that = (PlanOptions) o;
    return algorithm == that.algorithm && precision == that.precision;
  }

  @Override
  public int hashCode() {
    return Objects.hash(algorithm, precision);
  }

  @Override
  public String toString() {
    return "PlanOptions{algorithm=" + algorithm + ", precision=" + precision + "}";
  }

  /** Builder of {@link PlanOptions}; not thread-safe. */
  public static final class Builder {
    private Algorithm algorithm = Algorithm.AUTO;
    private Precision precision = Precision.FP32;

    private Builder() {}

    /** Sets the convolution algorithm (default {@link Algorithm#AUTO}). */
    public Builder algorithm(Algorithm algorithm) {
      this.algorithm = checkNotNull(algorithm, "algorithm");
      return this;
    }

    /** Sets the precision (default {@link Precision#FP32}). */
    public Builder precision(Precision precision) {
      this.precision = checkNotNull(precision, "precision");
      return this;
    }

    /** The options. */
    public PlanOptions build() {
      return new PlanOptions(this);
    }
  }
}
