package org.fssd.spark;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of a distributed detection run ({@link FssdSpark}): what each executor's detector is
 * built with and how partitions are batched. Immutable and serialisable (it travels to the
 * executors inside the task closure).
 *
 * <pre>{@code
 * DetectOptions options = DetectOptions.builder()
 *     .scoreThreshold(0.3f)   // the detector's strict score threshold (default 0.3)
 *     .batchSize(8)           // images per forward pass inside a partition (default 8)
 *     .partitions(64)         // repartition the images first (default 0: keep the input's)
 *     .build();
 * }</pre>
 */
public final class DetectOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  private final float scoreThreshold;
  private final int batchSize;
  private final int partitions;
  private final int replicas;
  private final String pathGlobFilter;

  private DetectOptions(Builder b) {
    this.scoreThreshold = b.scoreThreshold;
    this.batchSize = b.batchSize;
    this.partitions = b.partitions;
    this.replicas = b.replicas;
    this.pathGlobFilter = b.pathGlobFilter;
  }

  /** The defaults: threshold 0.3, batch 8, input partitioning kept, 1 replica, every file. */
  public static DetectOptions defaults() {
    return builder().build();
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.scoreThreshold = scoreThreshold;
    b.batchSize = batchSize;
    b.partitions = partitions;
    b.replicas = replicas;
    b.pathGlobFilter = pathGlobFilter;
    return b;
  }

  /** Detections must score strictly above this (see {@code FssdDetector.Builder#scoreThreshold}). */
  public float scoreThreshold() {
    return scoreThreshold;
  }

  /** Images per forward pass inside a partition. */
  public int batchSize() {
    return batchSize;
  }

  /** Partitions to spread the images over before detecting; 0 keeps the input's partitioning. */
  public int partitions() {
    return partitions;
  }

  /** Network copies in each executor's detector (tasks running at once on an executor share it). */
  public int replicas() {
    return replicas;
  }

  /** The glob file names must match in {@link FssdSpark#detectPaths} (e.g. {@code *.jpg}), if any. */
  public Optional<String> pathGlobFilter() {
    return Optional.ofNullable(pathGlobFilter);
  }

  /** Identifies the detector these settings build on an executor (batching does not matter). */
  String detectorKey() {
    return "threshold=" + Float.floatToIntBits(scoreThreshold) + ",replicas=" + replicas;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof DetectOptions)) {
      return false;
    }
    DetectOptions that = (DetectOptions) o;
    return Float.compare(scoreThreshold, that.scoreThreshold) == 0
        && batchSize == that.batchSize
        && partitions == that.partitions
        && replicas == that.replicas
        && Objects.equals(pathGlobFilter, that.pathGlobFilter);
  }

  @Override
  public int hashCode() {
    return Objects.hash(scoreThreshold, batchSize, partitions, replicas, pathGlobFilter);
  }

  @Override
  public String toString() {
    return "DetectOptions{scoreThreshold=" + scoreThreshold + ", batchSize=" + batchSize
        + ", partitions=" + partitions + ", replicas=" + replicas
        + (pathGlobFilter == null ? "" : ", pathGlobFilter=" + pathGlobFilter) + "}";
  }

  /** Builds {@link DetectOptions}; each setter checks its argument. */
  public static final class Builder {
    private float scoreThreshold = 0.3f;
    private int batchSize = 8;
    private int partitions;
    private int replicas = 1;
    private String pathGlobFilter;

    private Builder() {}

    /** Score threshold in [0, 1) (default 0.3). */
    public Builder scoreThreshold(float t) {
      checkArgument(t >= 0f && t < 1f, "scoreThreshold must be in [0, 1), got %s", t);
      scoreThreshold = t;
      return this;
    }

    /** Images per forward pass, 1 to 256 (default 8). */
    public Builder batchSize(int n) {
      checkArgument(n >= 1 && n <= 256, "batchSize must be in [1, 256], got %s", n);
      batchSize = n;
      return this;
    }

    /** Partitions to repartition the images into; 0 keeps the input's (default 0). */
    public Builder partitions(int n) {
      checkArgument(n >= 0, "partitions must be >= 0, got %s", n);
      partitions = n;
      return this;
    }

    /** Network copies per executor detector, 1 to 64 (default 1); match the executor's cores. */
    public Builder replicas(int n) {
      checkArgument(n >= 1 && n <= 64, "replicas must be in [1, 64], got %s", n);
      replicas = n;
      return this;
    }

    /** A Hadoop glob file names must match ({@code null}: every file), e.g. {@code *.{jpg,png}}. */
    public Builder pathGlobFilter(String glob) {
      checkArgument(glob == null || !glob.isBlank(), "pathGlobFilter must be null or non-blank, got '%s'", glob);
      pathGlobFilter = glob;
      return this;
    }

    /** The options. */
    public DetectOptions build() {
      return new DetectOptions(this);
    }
  }
}
