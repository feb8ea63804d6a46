package org.fssd.io.pytorch;

import static org.fssd.Checks.positive;

import java.nio.file.Path;

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

  /**
   * Refuses a checkpoint whose {@code held} (what holds the bytes: "storages", "the tensors") add
   * up to {@code total} bytes, more than {@link #maxTensorBytes()}; one message for every reader.
   */
  void checkTensorBytes(Path file, String held, long total) {
    if (total > maxTensorBytes) {
      throw new CheckpointFormatException(
          file,
          held + " hold more than " + maxTensorBytes + " bytes (ReaderLimits.maxTensorBytes)");
    }
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
      this.maxTensorBytes = positive("maxTensorBytes", bytes);
      return this;
    }

    /** See {@link ReaderLimits#maxPickleBytes()}. */
    public Builder maxPickleBytes(long bytes) {
      this.maxPickleBytes = positive("maxPickleBytes", bytes);
      return this;
    }

    /** See {@link ReaderLimits#maxPickleOps()}. */
    public Builder maxPickleOps(long ops) {
      this.maxPickleOps = positive("maxPickleOps", ops);
      return this;
    }

    /** See {@link ReaderLimits#maxStackDepth()}. */
    public Builder maxStackDepth(int depth) {
      this.maxStackDepth = positive("maxStackDepth", depth);
      return this;
    }

    /** See {@link ReaderLimits#maxNesting()}. */
    public Builder maxNesting(int depth) {
      this.maxNesting = positive("maxNesting", depth);
      return this;
    }

    /** See {@link ReaderLimits#maxStringLength()}. */
    public Builder maxStringLength(int bytes) {
      this.maxStringLength = positive("maxStringLength", bytes);
      return this;
    }

    /** The limits. */
    public ReaderLimits build() {
      return new ReaderLimits(this);
    }
  }
}
