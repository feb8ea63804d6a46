package org.fssd.serve;

import org.fssd.detect.DetectorSettings;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The picocli options of {@link DetectorSettings}, declared once for every command that detects
 * ({@code fssd detect}, {@code fssd serve} and {@link FssdServer#main}): {@code --threshold},
 * {@code --nms}, {@code --per-class-top-k}, {@code --max-detections} (also {@code --max}), {@code
 * --max-pixels}, {@code --clip} and {@code --replicas} (also {@code --workers}), with the settings'
 * defaults. Use it as a {@code @Mixin}; {@link #settings(CommandLine)} checks the values and turns
 * a value out of range into a usage error naming it.
 *
 * <p>It lives in fssd-serve because fssd-core, where {@link DetectorSettings} is, does not depend
 * on picocli; fssd-serve is the lowest module that does, and fssd-cli depends on it.
 */
public final class DetectorOptions {
  @Option(
      names = "--threshold",
      paramLabel = "T",
      defaultValue = "" + DetectorSettings.DEFAULT_SCORE_THRESHOLD,
      description =
          "score threshold, exclusive, in [0, 1); for a server the default of a request's threshold"
              + " (default: ${DEFAULT-VALUE})")
  float threshold;

  @Option(
      names = "--nms",
      paramLabel = "IOU",
      defaultValue = "" + DetectorSettings.DEFAULT_NMS_IOU_THRESHOLD,
      description = "NMS IoU threshold, in (0, 1] (default: ${DEFAULT-VALUE})")
  float nms;

  @Option(
      names = "--per-class-top-k",
      paramLabel = "K",
      defaultValue = "" + DetectorSettings.DEFAULT_PER_CLASS_TOP_K,
      description = "boxes kept per class after NMS (default: ${DEFAULT-VALUE})")
  int perClassTopK;

  @Option(
      names = {"--max-detections", "--max"},
      paramLabel = "N",
      defaultValue = "" + DetectorSettings.DEFAULT_MAX_DETECTIONS,
      description = "most detections per image (default: ${DEFAULT-VALUE})")
  int maxDetections;

  @Option(
      names = "--max-pixels",
      paramLabel = "N",
      defaultValue = "" + DetectorSettings.DEFAULT_MAX_PIXELS,
      description = "largest image in pixels (default: ${DEFAULT-VALUE})")
  long maxPixels;

  @Option(
      names = "--clip",
      description = "clip boxes to the image (default: not clipped, as the reference)")
  boolean clip;

  @Option(
      names = {"--replicas", "--workers"},
      paramLabel = "N",
      defaultValue = "1",
      description =
          "network copies for concurrent work; a server runs one batcher thread per replica, all sharing"
              + " one detector and one copy of the weights (default: ${DEFAULT-VALUE})")
  int replicas;

  /**
   * The settings these options describe.
   *
   * @throws IllegalArgumentException naming a value out of range (see {@link
   *     #settings(CommandLine)})
   */
  public DetectorSettings settings() {
    return DetectorSettings.builder()
        .scoreThreshold(threshold)
        .nmsIouThreshold(nms)
        .perClassTopK(perClassTopK)
        .maxDetections(maxDetections)
        .maxPixels(maxPixels)
        .clipToImage(clip)
        .replicas(replicas)
        .build();
  }

  /**
   * The settings these options describe; a value out of range is a usage error of {@code
   * commandLine}.
   */
  public DetectorSettings settings(CommandLine commandLine) {
    try {
      return settings();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(commandLine, e.getMessage(), e);
    }
  }
}
