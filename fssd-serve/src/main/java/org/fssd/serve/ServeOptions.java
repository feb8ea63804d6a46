package org.fssd.serve;

import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The one command line of the service: every option of {@code fssd serve} (fssd-cli) and of {@link
 * FssdServer#main}, declared once here and used by both as a {@code @Mixin}, so the two cannot
 * drift apart. The detection options come from {@link DetectorOptions}. {@code --model} is optional
 * here: {@code fssd serve} falls back to the demo model, {@link FssdServer#main} requires it.
 */
public final class ServeOptions {
  /** Default {@code --port}. */
  public static final int DEFAULT_PORT = 8080;

  @Option(names = "--model", paramLabel = "FILE", description = "native model file (.zip)")
  Path model;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "address to listen on (default: ${DEFAULT-VALUE})")
  String host;

  @Option(
      names = "--port",
      defaultValue = "" + DEFAULT_PORT,
      description = "port, 0 = any free one (default: ${DEFAULT-VALUE})")
  int port;

  @Option(
      names = "--max-batch",
      defaultValue = "8",
      description = "most images per forward pass (default: ${DEFAULT-VALUE})")
  int maxBatch;

  @Option(
      names = "--max-delay-ms",
      defaultValue = "5",
      description = "how long a request waits for companions, ms (default: ${DEFAULT-VALUE})")
  long maxDelayMs;

  @Option(
      names = "--max-queue",
      defaultValue = "64",
      description = "queued requests before 503 (default: ${DEFAULT-VALUE})")
  int maxQueue;

  /** Set by {@code --max-upload-bytes} or {@code --max-upload-mb}; the last one given wins. */
  long maxUploadBytes = 20L << 20;

  @Option(
      names = "--max-upload-bytes",
      paramLabel = "BYTES",
      description = "largest request body in bytes (default: 20971520, 20 MiB)")
  void maxUploadBytes(long bytes) {
    maxUploadBytes = bytes;
  }

  @Option(
      names = "--max-upload-mb",
      paramLabel = "MIB",
      description =
          "largest request body in MiB, another way to give --max-upload-bytes (default: 20)")
  void maxUploadMb(long mib) {
    if (mib < 1 || mib > Long.MAX_VALUE >> 20) {
      throw new ParameterException(
          spec.commandLine(),
          "--max-upload-mb must be in [1, " + (Long.MAX_VALUE >> 20) + "], got " + mib);
    }
    maxUploadBytes = mib << 20;
  }

  @Option(
      names = "--max-uploads",
      defaultValue = "64",
      description = "uploads received or decoded at once before 503 (default: ${DEFAULT-VALUE})")
  int maxUploads;

  @Option(
      names = "--body-idle-timeout-ms",
      defaultValue = "10000",
      description = "longest pause in an upload's body before 408, ms (default: ${DEFAULT-VALUE})")
  long bodyIdleTimeoutMs;

  @Option(
      names = "--body-timeout-ms",
      defaultValue = "30000",
      description =
          "most time to receive an upload's body before 408, ms (default: ${DEFAULT-VALUE})")
  long bodyTimeoutMs;

  @Option(
      names = "--model-name",
      paramLabel = "NAME",
      description = "the model's name in /v2/models/NAME (default: the file name without .zip)")
  String modelName;

  @Mixin DetectorOptions detector = new DetectorOptions();

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  /** The {@code --model} given, or null. */
  public Path model() {
    return model;
  }

  /**
   * The server builder these options describe, serving {@code modelFile} (the {@code --model}
   * given, or the caller's default); a value the builder refuses is a usage error naming it.
   */
  public FssdServer.Builder builder(Path modelFile) {
    try {
      FssdServer.Builder b = FssdServer.builder().model(modelFile);
      if (modelName != null) {
        b.modelName(modelName);
      }
      return b.host(host)
          .port(port)
          .maxBatch(maxBatch)
          .maxDelayMs(maxDelayMs)
          .maxQueue(maxQueue)
          .maxUploadBytes(maxUploadBytes)
          .maxUploads(maxUploads)
          .bodyIdleTimeoutMs(bodyIdleTimeoutMs)
          .bodyTimeoutMs(bodyTimeoutMs)
          .detectorSettings(detector.settings());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }
}
