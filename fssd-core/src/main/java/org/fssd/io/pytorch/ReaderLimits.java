package org.fssd.io.pytorch;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Resource limits of {@link TorchCheckpoint#read(java.nio.file.Path, ReaderLimits)}: a checkpoint
 * is untrusted input, and a file that would exceed one of these is refused with a {@link
 * CheckpointFormatException} before the memory is allocated.
 *
 * <p>Immutable and thread-safe. {@link #defaults()} suits every FSSD checkpoint (about 100 MB);
 * build other values with {@link #builder()}.
 */
public final class ReaderLimits {
  private static final ReaderLimits DEFAULTS = builder().build();

  private final long maxTensorBytes;
  private final long maxPickleBytes;
  private final long maxPickleOps;
  private final int maxStackDepth;
  private final int maxNesting;
  private final int maxStringLength;

  private ReaderLimits(Builder b) {
    this.maxTensorBytes = b.maxTensorBytes;
    this.maxPickleBytes = b.maxPickleBytes;
    this.maxPickleOps = b.maxPickleOps;
    this.maxStackDepth = b.maxStackDepth;
    this.maxNesting = b.maxNesting;
    this.maxStringLength = b.maxStringLength;
  }

  /**
   * The defaults: 2 GiB of tensor data, 256 MiB of pickle, 10 million pickle opcodes, a pickle
   * stack of 100,000 values, 1,000 nested MARKs, strings of 16 MiB.
   */
  public static ReaderLimits defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Most bytes of tensor data read: both the storages materialised and the sum over the state
   * dict's tensors of numel × element size (an expanded, zero-stride view counts in full, since
   * that is what its {@code to*Array()} allocates).
   */
  public long maxTensorBytes() {
    return maxTensorBytes;
  }

  /** Most bytes of one pickle held in memory (the zip format's {@code data.pkl}). */
  public long maxPickleBytes() {
    return maxPickleBytes;
  }

  /** Most opcodes executed in one pickle. */
  public long maxPickleOps() {
    return maxPickleOps;
  }

  /** Most values on the pickle stack at once. */
  public int maxStackDepth() {
    return maxStackDepth;
  }

  /** Most MARKs open at once (nesting depth of tuples, lists and dicts being built). */
  public int maxNesting() {
    return maxNesting;
  }

  /** Longest string or byte string in a pickle, in bytes. */
  public int maxStringLength() {
    return maxStringLength;
  }

  @Override
  public String toString() {
    return String.format(
        "ReaderLimits[maxTensorBytes=%d, maxPickleBytes=%d, maxPickleOps=%d, maxStackDepth=%d,"
            + " maxNesting=%d, maxStringLength=%d]",
        maxTensorBytes, maxPickleBytes, maxPickleOps, maxStackDepth, maxNesting, maxStringLength);
  }

  /** Builder of {@link ReaderLimits}; every value must be positive. */
  public static final class Builder {
    private long maxTensorBytes = 2L << 30;
    private long maxPickleBytes = 256L << 20;
    private long maxPickleOps = 10_000_000L;
    private int maxStackDepth = 100_000;
    private int maxNesting = 1_000;
    private int maxStringLength = 16 << 20;

    private Builder() {}

    /** See {@link ReaderLimits#maxTensorBytes()}. */
    public Builder maxTensorBytes(long bytes) {
      checkArgument(bytes > 0, "maxTensorBytes must be positive: %s", bytes);
      this.maxTensorBytes = bytes;
      return this;
    }

    /** See {@link ReaderLimits#maxPickleBytes()}. */
    public Builder maxPickleBytes(long bytes) {
      checkArgument(bytes > 0, "maxPickleBytes must be positive: %s", bytes);
      this.maxPickleBytes = bytes;
      return this;
    }

    /** See {@link ReaderLimits#maxPickleOps()}. */
    public Builder maxPickleOps(long ops) {
      checkArgument(ops > 0, "maxPickleOps must be positive: %s", ops);
      this.maxPickleOps = ops;
      return this;
    }

    /** See {@link ReaderLimits#maxStackDepth()}. */
    public Builder maxStackDepth(int depth) {
      checkArgument(depth > 0, "maxStackDepth must be positive: %s", depth);
      this.maxStackDepth = depth;
      return this;
    }

    /** See {@link ReaderLimits#maxNesting()}. */
    public Builder maxNesting(int depth) {
      checkArgument(depth > 0, "maxNesting must be positive: %s", depth);
      this.maxNesting = depth;
      return this;
    }

    /** See {@link ReaderLimits#maxStringLength()}. */
    public Builder maxStringLength(int bytes) {
      checkArgument(bytes > 0, "maxStringLength must be positive: %s", bytes);
      this.maxStringLength = bytes;
      return this;
    }

    /** The limits. */
    public ReaderLimits build() {
      return new ReaderLimits(this);
    }
  }
}
