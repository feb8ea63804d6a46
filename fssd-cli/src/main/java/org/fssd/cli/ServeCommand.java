package org.fssd.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fssd.serve.FssdServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code fssd serve}: the HTTP detection service (fssd-serve) with its web page at {@code /}. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve a model over HTTP: POST /v1/detect, GET /v1/models, /health, /metrics, and a web page at /.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model",
      description = "native model file (.zip); default: the demo model " + DefaultModel.RELATIVE + ", as for detect")
  Path model;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "port, 0 = any free one (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = {"--workers", "--replicas"}, defaultValue = "1",
      description = "batcher threads, sharing one detector with as many replicas (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(names = "--max-batch", defaultValue = "8", description = "images per forward pass (default: ${DEFAULT-VALUE})")
  int maxBatch;

  @Option(names = "--max-delay-ms", defaultValue = "5", description = "how long a batch waits for more requests (default: ${DEFAULT-VALUE})")
  long maxDelayMs;

  @Option(names = "--max-queue", defaultValue = "64", description = "queued requests before 503 (default: ${DEFAULT-VALUE})")
  int maxQueue;

  @Option(names = "--max-upload-mb", defaultValue = "20", description = "largest request body in MiB (default: ${DEFAULT-VALUE})")
  int maxUploadMb;

  @Option(names = "--threshold", defaultValue = "0.3", description = "default score threshold of a request (default: ${DEFAULT-VALUE})")
  float threshold;

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

  @Override
  public Integer call() throws InterruptedException {
    Path file = model != null ? model : DefaultModel.require();
    FssdServer.Builder server = FssdServer.builder().model(file).host(host).port(port).workers(workers);
    if (modelName != null) {
      server.modelName(modelName);
    }
    server.maxBatch(maxBatch).maxDelayMs(maxDelayMs).maxQueue(maxQueue)
        .maxUploadBytes((long) maxUploadMb << 20).scoreThreshold(threshold).maxUploads(maxUploads)
        .bodyIdleTimeoutMs(bodyIdleTimeoutMs).bodyTimeoutMs(bodyTimeoutMs).build()
        .runUntilStopped(spec.commandLine().getOut());
    return 0;
  }
}
