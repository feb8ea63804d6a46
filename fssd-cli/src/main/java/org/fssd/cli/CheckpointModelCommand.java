package org.fssd.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fssd.model.FssdModel;
import org.fssd.train.CheckpointModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fssd checkpoint-model}: writes the inference model of a training checkpoint. */
@Command(
    name = "checkpoint-model",
    mixinStandardHelpOptions = true,
    description =
        "Write the model of a training checkpoint (e.g. to evaluate or ship an intermediate one).")
final class CheckpointModelCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      description = "checkpoint-NNNNNNNNNN.zip written by ./fssd train")
  Path checkpoint;

  @Option(names = "--out", required = true, description = "model file (.zip) to write")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    FssdModel model = CheckpointModels.load(checkpoint);
    model.save(out);
    spec.commandLine().getOut().println("wrote " + out + " (" + model.config() + ")");
    spec.commandLine().getOut().flush();
    return 0;
  }
}
