package org.fssd.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fssd.image.BgrImage;
import org.fssd.image.ImageLoader;
import org.fssd.image.Preprocessor;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.FssdModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fssd forward}: the raw network outputs for one image as {@code .npy} files — {@code
 * loc.npy} [1, P, 4] and {@code conf.npy} [1, P, C] (logits) — for comparisons with other
 * implementations (tools/reference/check-full.sh).
 */
@Command(
    name = "forward",
    mixinStandardHelpOptions = true,
    description =
        "Write the raw outputs (loc.npy [1,P,4], conf.npy [1,P,C] logits) of the network for an image.")
final class ForwardCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  DetectCommand.ModelSource source;

  @Mixin ConfigOptions configOptions = new ConfigOptions();

  @Option(names = "--out", required = true, description = "output folder")
  Path out;

  @Parameters(arity = "1", paramLabel = "IMAGE", description = "image file")
  Path image;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    FssdModel model =
        source.model != null
            ? FssdModel.load(source.model)
            : PyTorchImporter.importModel(source.weights, configOptions.toConfig());
    int s = model.config().inputSize();
    Preprocessor pre = new Preprocessor(s);
    float[] input;
    try (BgrImage img = ImageLoader.defaults().load(image)) {
      input = pre.toTensor(img);
    }
    INDArray[] outputs = model.graph().output(Nd4j.create(input, new long[] {1, 3, s, s}, 'c'));
    int p = model.config().numPriors();
    Files.createDirectories(out);
    write(outputs[0].reshape('c', 1, p, 4), out.resolve("loc.npy"));
    write(outputs[1].reshape('c', 1, p, model.config().numClasses()), out.resolve("conf.npy"));
    spec.commandLine()
        .getOut()
        .println("wrote " + out.resolve("loc.npy") + " and " + out.resolve("conf.npy"));
    spec.commandLine().getOut().flush();
    return 0;
  }

  private static void write(INDArray a, Path file) {
    INDArray c = a.dup('c');
    org.fssd.io.AtomicFiles.write(file, tmp -> Nd4j.writeAsNumpy(c, new File(tmp.toString())));
  }
}
