package org.fssd.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.FssdModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fssd import}: a reference PyTorch checkpoint -> a native model file. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description =
        "Convert a PyTorch FSSD checkpoint (.pth, zip or legacy format) into a native model file. "
            + "Widths, class count and the BN variant are read from the checkpoint; --config gives size and priors.")
final class ImportCommand implements Callable<Integer> {
  @Mixin ConfigOptions options = new ConfigOptions();

  @Option(names = "--weights", required = true, description = "PyTorch state_dict file (.pth)")
  Path weights;

  @Option(names = "--out", required = true, description = "model file to write (.zip)")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    FssdModel model = PyTorchImporter.importModel(weights, options.toConfig());
    options.checkVariant(model.config());
    model.save(out);
    var o = spec.commandLine().getOut();
    o.println(
        "wrote "
            + out
            + " (FSSD"
            + model.config().inputSize()
            + ", "
            + (model.config().batchNorm() ? "BN variant, " : "")
            + model.config().numClasses()
            + " classes, widths "
            + model.config().widths()
            + ")");
    o.flush();
    return 0;
  }
}
