package org.fssd.serve;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The command line of {@link FssdServer#main}: picocli options onto a {@link FssdServer.Builder}. */
@Command(name = "fssd serve", sortOptions = false,
    description = "Serve a model over HTTP: POST /v1/detect, GET /v1/models, /health, /metrics, and a web page at /.")
final class FssdServerCommand implements Callable<Integer> {
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
  boolean help;

  @Option(names = "--model", paramLabel = "FILE", required = true, description = "native model file (.zip)")
  Path model;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "port, 0 = any free one (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--max-batch", defaultValue = "8", description = "most images per forward pass (default: ${DEFAULT-VALUE})")
  int maxBatch;

  @Option(names = "--max-delay-ms", defaultValue = "5",
      description = "how long a request waits for companions, ms (default: ${DEFAULT-VALUE})")
  long maxDelayMs;

  @Option(names = "--max-queue", defaultValue = "64", description = "queued requests before 503 (default: ${DEFAULT-VALUE})")
  int maxQueue;

  @Option(names = "--max-upload-bytes", defaultValue = "20971520",
      description = "largest request body in bytes (default: ${DEFAULT-VALUE})")
  long maxUploadBytes;

  @Option(names = "--threshold", defaultValue = "0.3",
      description = "default score threshold of a request, in [0, 1] (default: ${DEFAULT-VALUE})")
  float threshold;

  @Option(names = "--max-detections", defaultValue = "200",
      description = "most detections per image (default: ${DEFAULT-VALUE})")
  int maxDetections;

  @Option(names = "--workers", defaultValue = "1",
      description = "batcher threads, one model copy each (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(names = "--max-pixels", defaultValue = "100000000",
      description = "largest image in pixels (default: ${DEFAULT-VALUE})")
  long maxPixels;

  @Option(names = "--max-uploads", defaultValue = "64",
      description = "uploads received or decoded at once before 503 (default: ${DEFAULT-VALUE})")
  int maxUploads;

  @Option(names = "--body-idle-timeout-ms", defaultValue = "10000",
      description = "longest pause in an upload's body before 408, ms (default: ${DEFAULT-VALUE})")
  long bodyIdleTimeoutMs;

  @Option(names = "--body-timeout-ms", defaultValue = "30000",
      description = "most time to receive an upload's body before 408, ms (default: ${DEFAULT-VALUE})")
  long bodyTimeoutMs;

  @Option(names = "--model-name", paramLabel = "NAME",
      description = "the model's name in /v2/models/NAME (default: the file name without .zip)")
  String modelName;

  @Spec CommandSpec spec;

  /**
   * A picocli command line for {@code command}: a later repeat of a flag overrides an earlier one,
   * arguments are taken as they are (no {@code @file} expansion).
   */
  static CommandLine commandLine(FssdServerCommand command) {
    return new CommandLine(command).setOverwrittenOptionsAllowed(true).setExpandAtFiles(false);
  }

  /** The builder these options describe; a value the builder refuses is a usage error. */
  FssdServer.Builder builder() {
    try {
      FssdServer.Builder b = FssdServer.builder();
      if (modelName != null) {
        b.modelName(modelName);
      }
      return b.model(model).host(host).port(port).maxBatch(maxBatch).maxDelayMs(maxDelayMs)
          .maxQueue(maxQueue).maxUploadBytes(maxUploadBytes).scoreThreshold(threshold)
          .maxDetections(maxDetections).workers(workers).maxPixels(maxPixels).maxUploads(maxUploads)
          .bodyIdleTimeoutMs(bodyIdleTimeoutMs).bodyTimeoutMs(bodyTimeoutMs);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    builder().build().runUntilStopped(spec.commandLine().getOut());
    return 0;
  }
}
