package org.fssd.serve;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Objects;
import org.fssd.detect.DetectorSettings;

/**
 * The settings of one {@link FssdServer}, immutable and validated: what the server copies from its
 * {@link FssdServer.Builder} when built, and reads from then on. The detection settings are one
 * {@link DetectorSettings}: its {@code scoreThreshold} is the default threshold of a request, its
 * {@code replicas} the batcher threads (one detector replica each), its {@code maxDetections},
 * {@code maxPixels}, NMS and per-class settings those of a detector the server builds.
 *
 * @param host address to bind (127.0.0.1 by default; 0.0.0.0 for all interfaces)
 * @param port port, 0 for an ephemeral free one
 * @param modelName the model's name in the v2 endpoints ({@code /v2/models/NAME})
 * @param maxBatch most images per detector call, in [1, 128]
 * @param maxDelayMs how long a request may wait for companions, in [0, 10000] ms
 * @param maxQueue most decoded requests waiting for a batch, at least 1
 * @param maxUploadBytes largest request body in bytes, at least 1
 * @param maxUploads most uploads received or decoded at once, in [1, 10000]
 * @param bodyIdleTimeoutMs longest pause between two arrivals of body data, in [1, 3600000] ms
 * @param bodyTimeoutMs most time to receive a whole body, in [1, 3600000] ms
 * @param drainTimeoutMs how long {@link FssdServer#close()} waits for requests in flight, at least
 *     0
 * @param detector the detection settings (see above)
 */
public record ServerSettings(
    String host,
    int port,
    String modelName,
    int maxBatch,
    long maxDelayMs,
    int maxQueue,
    long maxUploadBytes,
    int maxUploads,
    long bodyIdleTimeoutMs,
    long bodyTimeoutMs,
    long drainTimeoutMs,
    DetectorSettings detector) {

  /** Names the v2 endpoints accept. */
  static final String MODEL_NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]{0,127}";

  /** Checks every value; each message names the setting, its range and the value received. */
  public ServerSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(detector, "detector");
    checkModelName(modelName);
    checkPort(port);
    checkMaxBatch(maxBatch);
    checkMaxDelayMs(maxDelayMs);
    checkMaxQueue(maxQueue);
    checkMaxUploadBytes(maxUploadBytes);
    checkMaxUploads(maxUploads);
    checkBodyIdleTimeoutMs(bodyIdleTimeoutMs);
    checkBodyTimeoutMs(bodyTimeoutMs);
    checkDrainTimeoutMs(drainTimeoutMs);
  }

  /** The default threshold of a request (the detector settings' score threshold). */
  public float defaultThreshold() {
    return detector.scoreThreshold();
  }

  /** Batcher threads: one per detector replica. */
  public int replicas() {
    return detector.replicas();
  }

  static void checkModelName(String name) {
    checkArgument(
        name != null && name.matches(MODEL_NAME_PATTERN),
        "modelName must be letters, digits, '_', '.', '-' (starting with a letter or digit, at most 128), got %s",
        name);
  }

  static void checkPort(int port) {
    checkArgument(port >= 0 && port <= 65535, "port must be in [0, 65535], got %s", port);
  }

  static void checkMaxBatch(int n) {
    checkArgument(n >= 1 && n <= 128, "maxBatch must be in [1, 128], got %s", n);
  }

  static void checkMaxDelayMs(long ms) {
    checkArgument(ms >= 0 && ms <= 10_000, "maxDelayMs must be in [0, 10000], got %s", ms);
  }

  static void checkMaxQueue(int n) {
    checkArgument(n >= 1, "maxQueue must be >= 1, got %s", n);
  }

  static void checkMaxUploadBytes(long bytes) {
    checkArgument(bytes >= 1, "maxUploadBytes must be >= 1, got %s", bytes);
  }

  static void checkMaxUploads(int n) {
    checkArgument(n >= 1 && n <= 10_000, "maxUploads must be in [1, 10000], got %s", n);
  }

  static void checkBodyIdleTimeoutMs(long ms) {
    checkArgument(
        ms >= 1 && ms <= 3_600_000, "bodyIdleTimeoutMs must be in [1, 3600000], got %s", ms);
  }

  static void checkBodyTimeoutMs(long ms) {
    checkArgument(ms >= 1 && ms <= 3_600_000, "bodyTimeoutMs must be in [1, 3600000], got %s", ms);
  }

  static void checkDrainTimeoutMs(long ms) {
    checkArgument(ms >= 0, "drainTimeoutMs must be >= 0, got %s", ms);
  }
}
