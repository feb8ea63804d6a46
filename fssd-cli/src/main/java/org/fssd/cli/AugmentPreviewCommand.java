package org.fssd.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.fssd.data.DetectionDataset;
import org.fssd.data.augment.AugmentPreview;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fssd augment-preview}: annotated PNGs of training samples before and after augmentation.
 */
@Command(
    name = "augment-preview",
    mixinStandardHelpOptions = true,
    description = "Write annotated PNGs of original and augmented (SPEC 8) training samples.")
final class AugmentPreviewCommand implements Callable<Integer> {
  @Mixin DatasetOptions dataset = new DatasetOptions();

  @Option(
      names = "--count",
      defaultValue = "8",
      description = "samples (default: ${DEFAULT-VALUE})")
  int count;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "augmentation seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--size",
      defaultValue = "300",
      description = "network input size S (default: ${DEFAULT-VALUE})")
  int size;

  @Option(
      names = "--mixup",
      description =
          "show Mixup samples (each image blended with a random partner, boxes named with their weight)")
  boolean mixup;

  @Option(
      names = "--mixup-alpha",
      defaultValue = "1.5",
      description = "alpha of the Mixup Beta(alpha, alpha) (default: ${DEFAULT-VALUE})")
  double mixupAlpha;

  @Option(names = "--out", required = true, description = "output folder")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    DetectionDataset ds = dataset.open();
    List<Path> files =
        AugmentPreview.write(
            ds,
            count,
            seed,
            out,
            size,
            mixup ? org.fssd.data.augment.MixupOptions.builder().alpha(mixupAlpha).build() : null);
    var o = spec.commandLine().getOut();
    o.println(
        "wrote "
            + files.size()
            + " PNGs to "
            + out
            + " ("
            + ds.name()
            + ", "
            + ds.size()
            + " images)");
    o.flush();
    return 0;
  }
}
