package org.fssd.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fssd.serve.ServeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code fssd serve}: the HTTP detection service (fssd-serve) with its web page at {@code /}. Its
 * options are fssd-serve's {@link ServeOptions}, the same class as {@code FssdServer}'s own main;
 * without {@code --model} it serves the demo model {@code models/demo-shapes.zip}, as detect does.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Serve a model over HTTP: POST /v1/detect, GET /v1/models, /health, /metrics, and a web page at /."
            + " Without --model: the demo model "
            + DefaultModel.RELATIVE
            + ", as for detect.")
final class ServeCommand implements Callable<Integer> {
  @Mixin ServeOptions options = new ServeOptions();

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    Path file = options.model() != null ? options.model() : DefaultModel.require();
    options.builder(file).build().runUntilStopped(spec.commandLine().getOut());
    return 0;
  }
}
