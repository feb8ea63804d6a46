package org.fssd.spark;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import java.util.Objects;
import java.util.Optional;
import org.fssd.detect.DetectorSettings;

/**
 * Settings of a distributed detection run ({@link FssdSpark}): what each executor's detector is
 * built with (one {@link DetectorSettings}, the same value the detector, the service and the CLI
 * take) and how partitions are batched. Immutable and serialisable (it travels to the executors
 * inside the task closure).
 *
 * <pre>{@code
 * DetectOptions options = DetectOptions.builder()
 *     .detectorSettings(DetectorSettings.builder().scoreThreshold(0.3f).maxDetections(100).build())
 *     .batchSize(8)           // images per forward pass inside a partition (default 8)
 *     .partitions(64)         // repartition the images first (default 0: keep the input's)
 *     .build();
 * }</pre>
 */
public final class DetectOptions implements Serializable {
  private static final long serialVersionUID = 2L;

  private final DetectorSettings detectorSettings;
  private final int batchSize;
  private final int partitions;
  private final String pathGlobFilter;

  private DetectOptions(Builder b) {
    this.detectorSettings = b.detectorSettings.build();
    this.batchSize = b.batchSize;
    this.partitions = b.partitions;
    this.pathGlobFilter = b.pathGlobFilter;
  }

  /**
   * The defaults: {@link DetectorSettings#defaults()} (threshold 0.3, 1 replica, ...), batch 8,
   * input partitioning kept, every file.
   */
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
    b.detectorSettings = detectorSettings.toBuilder();
    b.batchSize = batchSize;
    b.partitions = partitions;
    b.pathGlobFilter = pathGlobFilter;
    return b;
  }

  /** What each executor's detector is built with. */
  public DetectorSettings detectorSettings() {
    return detectorSettings;
  }

  /** Detections must score strictly above this ({@link DetectorSettings#scoreThreshold()}). */
  public float scoreThreshold() {
    return detectorSettings.scoreThreshold();
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
    return detectorSettings.replicas();
  }

  /**
   * The glob file names must match in {@link FssdSpark#detectPaths} (e.g. {@code *.jpg}), if any.
   */
  public Optional<String> pathGlobFilter() {
    return Optional.ofNullable(pathGlobFilter);
  }

  /** Identifies the detector these settings build on an executor (batching does not matter). */
  String detectorKey() {
    return "detector=" + detectorSettings;
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
    return detectorSettings.equals(that.detectorSettings)
        && batchSize == that.batchSize
        && partitions == that.partitions
        && Objects.equals(pathGlobFilter, that.pathGlobFilter);
  }

  @Override
  public int hashCode() {
    return Objects.hash(detectorSettings, batchSize, partitions, pathGlobFilter);
  }

  @Override
  public String toString() {
    return "DetectOptions{detector="
        + detectorSettings
        + ", batchSize="
        + batchSize
        + ", partitions="
        + partitions
        + (pathGlobFilter == null ? "" : ", pathGlobFilter=" + pathGlobFilter)
        + "}";
  }

  /** Builds {@link DetectOptions}; each setter checks its argument. */
  public static final class Builder {
    private DetectorSettings.Builder detectorSettings = DetectorSettings.builder();
    private int batchSize = 8;
    private int partitions;
    private String pathGlobFilter;

    private Builder() {}

    /**
     * All detection settings at once, replacing those set before (default {@link
     * DetectorSettings#defaults()}).
     */
    public Builder detectorSettings(DetectorSettings settings) {
      detectorSettings = Objects.requireNonNull(settings, "settings").toBuilder();
      return this;
    }

    /** Score threshold in [0, 1) (default 0.3); the same as the detector settings' one. */
    public Builder scoreThreshold(float t) {
      detectorSettings.scoreThreshold(t);
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
      detectorSettings.replicas(n);
      return this;
    }

    /** A Hadoop glob file names must match ({@code null}: every file), e.g. {@code *.{jpg,png}}. */
    public Builder pathGlobFilter(String glob) {
      checkArgument(
          glob == null || !glob.isBlank(),
          "pathGlobFilter must be null or non-blank, got '%s'",
          glob);
      pathGlobFilter = glob;
      return this;
    }

    /** The options. */
    public DetectOptions build() {
      return new DetectOptions(this);
    }
  }
}
