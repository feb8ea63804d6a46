package org.fssd.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fssd.data.ShapesDataset;
import org.fssd.image.Annotator;
import org.fssd.image.BgrImage;
import org.fssd.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fssd sample-image}: writes a synthetic shapes image (the demo model's domain) as PNG. */
@Command(
    name = "sample-image",
    mixinStandardHelpOptions = true,
    description =
        "Write a synthetic shapes image (circles, squares, triangles, ...) as a PNG, for trying detect.")
final class SampleImageCommand implements Callable<Integer> {
  @Option(
      names = "--seed",
      defaultValue = "99",
      description = "which image (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--width",
      defaultValue = "300",
      description = "width in pixels (default: ${DEFAULT-VALUE})")
  int width;

  @Option(
      names = "--height",
      defaultValue = "300",
      description = "height in pixels (default: ${DEFAULT-VALUE})")
  int height;

  @Option(
      names = "--preset",
      defaultValue = "SEPARATED",
      description =
          "shapes preset: STANDARD | SEPARATED (the demo model's training data) | HARD (default: ${DEFAULT-VALUE})")
  ShapesDataset.Preset preset;

  @Option(names = "--out", required = true, description = "PNG file to write")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    ShapesDataset ds =
        ShapesDataset.builder().preset(preset).count(1).seed(seed).imageSize(width, height).build();
    try (BgrImage img = ds.loadImage(0)) {
      AtomicFiles.write(out, Annotator.encodePng(img));
    }
    spec.commandLine()
        .getOut()
        .println("wrote " + out + " (" + ds.annotation(0).boxes().size() + " shapes)");
    spec.commandLine().getOut().flush();
    return 0;
  }
}
