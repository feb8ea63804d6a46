package org.fssd.detect;

import static com.google.common.base.Preconditions.checkArgument;
import static org.fssd.Checks.atLeast;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import java.io.ObjectStreamException;
import java.io.Serializable;
import org.fssd.image.ImageLoader;

/**
 * What a detector does with the network's output and which images it takes: one immutable,
 * validated value with one set of names and ranges, taken by {@link FssdDetector.Builder#settings},
 * the HTTP service ({@code FssdServer}), Spark ({@code DetectOptions}) and the command line ({@code
 * fssd detect}, {@code fssd serve}: one picocli mixin declares these options).
 *
 * <pre>{@code
 * DetectorSettings s = DetectorSettings.builder()
 *     .scoreThreshold(0.5f)   // default 0.3
 *     .maxDetections(50)      // default 200
 *     .build();
 * try (FssdDetector d = FssdDetector.builder().model(file).settings(s).build()) { ... }
 * }</pre>
 *
 * <table>
 *   <caption>Settings, ranges and defaults</caption>
 *   <tr><th>name</th><th>range</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code scoreThreshold}</td><td>[0, 1)</td><td>0.3</td><td>a detection needs a score
 *       strictly above it (evaluation uses 0.01)</td></tr>
 *   <tr><td>{@code nmsIouThreshold}</td><td>(0, 1]</td><td>0.45</td><td>NMS suppresses a box whose
 *       IoU with a kept box of its class is strictly above it</td></tr>
 *   <tr><td>{@code perClassTopK}</td><td>&ge; 1</td><td>40</td><td>boxes kept per class after
 *       NMS</td></tr>
 *   <tr><td>{@code maxDetections}</td><td>&ge; 1</td><td>200</td><td>detections per image, highest
 *       scores first (ties at the cut may keep more, as the reference does)</td></tr>
 *   <tr><td>{@code maxPixels}</td><td>&ge; 1</td><td>100 000 000</td><td>largest image accepted,
 *       checked from the header before decoding</td></tr>
 *   <tr><td>{@code clipToImage}</td><td>true, false</td><td>false</td><td>clip boxes to the image
 *       (the reference does not)</td></tr>
 *   <tr><td>{@code replicas}</td><td>[1, 64]</td><td>1</td><td>network copies for concurrent
 *       callers (the service runs one batcher thread per replica)</td></tr>
 * </table>
 *
 * <p>Serialisable both ways: Java serialisation (Spark ships it to executors; a stream holding
 * values out of range is refused on reading) and JSON through Jackson ({@code {"scoreThreshold":
 * 0.3, "nmsIouThreshold": 0.45, ...}}; missing properties take their defaults, unknown ones and
 * values out of range are refused). Thread-safe (immutable).
 */
@JsonDeserialize(builder = DetectorSettings.Builder.class)
@JsonPropertyOrder({
  "scoreThreshold",
  "nmsIouThreshold",
  "perClassTopK",
  "maxDetections",
  "maxPixels",
  "clipToImage",
  "replicas"
})
public final class DetectorSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Default {@link #scoreThreshold()}: 0.3, for applications. */
  public static final float DEFAULT_SCORE_THRESHOLD = 0.3f;

  /** Default {@link #nmsIouThreshold()}: 0.45, the reference's. */
  public static final float DEFAULT_NMS_IOU_THRESHOLD = 0.45f;

  /** Default {@link #perClassTopK()}: 40. */
  public static final int DEFAULT_PER_CLASS_TOP_K = 40;

  /** Default {@link #maxDetections()}: 200. */
  public static final int DEFAULT_MAX_DETECTIONS = 200;

  /** Default {@link #maxPixels()}: 100 megapixels. */
  public static final long DEFAULT_MAX_PIXELS = ImageLoader.DEFAULT_MAX_PIXELS;

  /** Most {@link #replicas()}. */
  public static final int MAX_REPLICAS = 64;

  private static final DetectorSettings DEFAULTS = new Builder().build();

  private final float scoreThreshold;
  private final float nmsIouThreshold;
  private final int perClassTopK;
  private final int maxDetections;
  private final long maxPixels;
  private final boolean clipToImage;
  private final int replicas;

  private DetectorSettings(Builder b) {
    this.scoreThreshold = b.scoreThreshold;
    this.nmsIouThreshold = b.nmsIouThreshold;
    this.perClassTopK = b.perClassTopK;
    this.maxDetections = b.maxDetections;
    this.maxPixels = b.maxPixels;
    this.clipToImage = b.clipToImage;
    this.replicas = b.replicas;
  }

  /** The documented defaults (see the table above). */
  public static DetectorSettings defaults() {
    return DEFAULTS;
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    // Through the setters, so that a deserialised value out of range fails here (readResolve).
    return builder()
        .scoreThreshold(scoreThreshold)
        .nmsIouThreshold(nmsIouThreshold)
        .perClassTopK(perClassTopK)
        .maxDetections(maxDetections)
        .maxPixels(maxPixels)
        .clipToImage(clipToImage)
        .replicas(replicas);
  }

  /** A detection needs a score strictly above this; in [0, 1). */
  @JsonProperty("scoreThreshold")
  public float scoreThreshold() {
    return scoreThreshold;
  }

  /** NMS suppresses a box whose IoU with a kept box is strictly above this; in (0, 1]. */
  @JsonProperty("nmsIouThreshold")
  public float nmsIouThreshold() {
    return nmsIouThreshold;
  }

  /** Boxes kept per class after NMS; at least 1. */
  @JsonProperty("perClassTopK")
  public int perClassTopK() {
    return perClassTopK;
  }

  /** Detections per image; at least 1. */
  @JsonProperty("maxDetections")
  public int maxDetections() {
    return maxDetections;
  }

  /** Largest image accepted, in pixels; at least 1. */
  @JsonProperty("maxPixels")
  public long maxPixels() {
    return maxPixels;
  }

  /** Whether boxes are clipped to the image. */
  @JsonProperty("clipToImage")
  public boolean clipToImage() {
    return clipToImage;
  }

  /** Network copies for concurrent callers; in [1, {@value #MAX_REPLICAS}]. */
  @JsonProperty("replicas")
  public int replicas() {
    return replicas;
  }

  /**
   * {@code t} if it is a valid {@link #scoreThreshold()}, in [0, 1); the settings and {@link
   * DetectionPostprocessor.Builder} share the check and its message.
   */
  static float checkScoreThreshold(float t) {
    checkArgument(t >= 0f && t < 1f, "scoreThreshold must be in [0, 1), got %s", t);
    return t;
  }

  /** {@code t} if it is a valid {@link #nmsIouThreshold()}, in (0, 1]; as above. */
  static float checkNmsIouThreshold(float t) {
    checkArgument(t > 0f && t <= 1f, "nmsIouThreshold must be in (0, 1], got %s", t);
    return t;
  }

  /**
   * The post-processing settings as both this class's and {@link DetectionPostprocessor}'s {@code
   * toString()} show them, so that log lines of the two read alike.
   */
  static String describePostprocessing(
      float scoreThreshold, float nmsIouThreshold, int perClassTopK, int maxDetections) {
    return "scoreThreshold="
        + scoreThreshold
        + ", nmsIouThreshold="
        + nmsIouThreshold
        + ", perClassTopK="
        + perClassTopK
        + ", maxDetections="
        + maxDetections;
  }

  /** Java deserialisation goes through the builder, so a tampered stream cannot skip validation. */
  private Object readResolve() throws ObjectStreamException {
    try {
      return toBuilder().build();
    } catch (IllegalArgumentException e) {
      java.io.InvalidObjectException invalid = new java.io.InvalidObjectException(e.getMessage());
      invalid.initCause(e);
      throw invalid;
    }
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof DetectorSettings s
            && Float.compare(scoreThreshold, s.scoreThreshold) == 0
            && Float.compare(nmsIouThreshold, s.nmsIouThreshold) == 0
            && perClassTopK == s.perClassTopK
            && maxDetections == s.maxDetections
            && maxPixels == s.maxPixels
            && clipToImage == s.clipToImage
            && replicas == s.replicas);
  }

  @Override
  public int hashCode() {
    int h = Float.hashCode(scoreThreshold);
    h = 31 * h + Float.hashCode(nmsIouThreshold);
    h = 31 * h + perClassTopK;
    h = 31 * h + maxDetections;
    h = 31 * h + Long.hashCode(maxPixels);
    h = 31 * h + Boolean.hashCode(clipToImage);
    return 31 * h + replicas;
  }

  @Override
  public String toString() {
    return "{"
        + describePostprocessing(scoreThreshold, nmsIouThreshold, perClassTopK, maxDetections)
        + ", maxPixels="
        + maxPixels
        + ", clipToImage="
        + clipToImage
        + ", replicas="
        + replicas
        + "}";
  }

  /**
   * Builds {@link DetectorSettings}; each setter checks its argument and names the setting, its
   * range and the value received. Not thread-safe.
   */
  @JsonPOJOBuilder(withPrefix = "")
  public static final class Builder {
    private float scoreThreshold = DEFAULT_SCORE_THRESHOLD;
    private float nmsIouThreshold = DEFAULT_NMS_IOU_THRESHOLD;
    private int perClassTopK = DEFAULT_PER_CLASS_TOP_K;
    private int maxDetections = DEFAULT_MAX_DETECTIONS;
    private long maxPixels = DEFAULT_MAX_PIXELS;
    private boolean clipToImage;
    private int replicas = 1;

    private Builder() {}

    /** Score threshold, exclusive, in [0, 1) (default 0.3). */
    @JsonProperty("scoreThreshold")
    public Builder scoreThreshold(float t) {
      this.scoreThreshold = checkScoreThreshold(t);
      return this;
    }

    /** NMS IoU threshold, exclusive, in (0, 1] (default 0.45). */
    @JsonProperty("nmsIouThreshold")
    public Builder nmsIouThreshold(float t) {
      this.nmsIouThreshold = checkNmsIouThreshold(t);
      return this;
    }

    /** Boxes kept per class after NMS, at least 1 (default 40). */
    @JsonProperty("perClassTopK")
    public Builder perClassTopK(int k) {
      this.perClassTopK = atLeast("perClassTopK", 1, k);
      return this;
    }

    /** Detections per image, at least 1 (default 200). */
    @JsonProperty("maxDetections")
    public Builder maxDetections(int n) {
      this.maxDetections = atLeast("maxDetections", 1, n);
      return this;
    }

    /** Largest image in pixels, at least 1 (default 100 000 000). */
    @JsonProperty("maxPixels")
    public Builder maxPixels(long n) {
      this.maxPixels = atLeast("maxPixels", 1L, n);
      return this;
    }

    /** Clip boxes to the image (default false). */
    @JsonProperty("clipToImage")
    public Builder clipToImage(boolean clip) {
      this.clipToImage = clip;
      return this;
    }

    /** Network copies, in [1, 64] (default 1). */
    @JsonProperty("replicas")
    public Builder replicas(int n) {
      checkArgument(
          n >= 1 && n <= MAX_REPLICAS, "replicas must be in [1, %s], got %s", MAX_REPLICAS, n);
      this.replicas = n;
      return this;
    }

    /** The settings (every value was checked by its setter). */
    public DetectorSettings build() {
      return new DetectorSettings(this);
    }
  }
}
