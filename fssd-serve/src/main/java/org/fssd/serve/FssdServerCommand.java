package org.fssd.serve;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The command line of {@link FssdServer#main}: the options of {@link ServeOptions} (the same class
 * {@code fssd serve} uses), with {@code --model} required.
 */
@Command(
    name = "fssd serve",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    description =
        "Serve a model over HTTP: POST /v1/detect, GET /v1/models, /health, /metrics, and a web page at /.")
final class FssdServerCommand implements Callable<Integer> {
  @Mixin ServeOptions options = new ServeOptions();

  @Spec CommandSpec spec;

  /**
   * A picocli command line for {@code command}: a later repeat of a flag overrides an earlier one,
   * arguments are taken as they are (no {@code @file} expansion).
   */
  static CommandLine commandLine(FssdServerCommand command) {
    return new CommandLine(command).setOverwrittenOptionsAllowed(true).setExpandAtFiles(false);
  }

  /**
   * The builder these options describe; a missing {@code --model} or a refused value is a usage
   * error.
   */
  FssdServer.Builder builder() {
    if (options.model() == null) {
      throw new ParameterException(spec.commandLine(), "Missing required option: '--model=FILE'");
    }
    return options.builder(options.model());
  }

  @Override
  public Integer call() throws InterruptedException {
    builder().build().runUntilStopped(spec.commandLine().getOut());
    return 0;
  }
}
