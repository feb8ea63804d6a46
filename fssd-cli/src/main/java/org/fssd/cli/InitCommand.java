package org.fssd.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fssd init}: writes a randomly initialised model (SPEC 7 initialisation). */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description = "Write a randomly initialised model file (Kaiming init as SPEC 7).")
final class InitCommand implements Callable<Integer> {
  @Mixin ConfigOptions options = new ConfigOptions();

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "random seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--labels",
      split = ",",
      description = "object class names, comma-separated (default: the preset's VOC/COCO classes)")
  List<String> labels;

  @Option(names = "--out", required = true, description = "model file to write (.zip)")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Labels l = labels == null ? options.presetLabels() : Labels.of(labels);
    FssdConfig config = options.toConfig().toBuilder().numClasses(l.numClasses()).build();
    FssdModel model = FssdModel.create(config, l, seed);
    model.save(out);
    spec.commandLine()
        .getOut()
        .println(
            "wrote "
                + out
                + " (FSSD"
                + config.inputSize()
                + ", "
                + l.numClasses()
                + " classes, seed "
                + seed
                + ")");
    spec.commandLine().getOut().flush();
    return 0;
  }
}
