package org.fssd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fssd.data.DetectionDataset;
import org.fssd.model.ActivationRanges;
import org.fssd.model.FssdModel;
import org.fssd.train.FssdQuantizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fssd quantize}: int8 post-training static quantisation ({@link FssdQuantizer}). The first
 * {@code --calibration-images} images of the dataset calibrate; with {@code --held-out N} the next
 * N images give the mAP before and after.
 */
@Command(
    name = "quantize",
    mixinStandardHelpOptions = true,
    description =
        "Quantise a model to int8 (post-training, static): calibrate activation ranges on dataset images"
            + " (minmax, percentile, mse; the one losing least calibration mAP is kept) and write an int8 model file"
            + " that detect, serve and Spark run in int8.")
final class QuantizeCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "fp32 model file (.zip)")
  Path model;

  @Mixin DatasetOptions dataset = new DatasetOptions();
  @Mixin MetricOption metric = new MetricOption();

  @Option(
      names = "--calibration-images",
      defaultValue = "200",
      description = "calibrate on the dataset's first N images (default: ${DEFAULT-VALUE})")
  int calibrationImages;

  @Option(
      names = "--held-out",
      defaultValue = "0",
      description =
          "also print the mAP before and after on the N images after the calibration images (default: none)")
  int heldOut;

  @Option(
      names = "--methods",
      split = ",",
      defaultValue = "minmax,percentile,mse",
      description = "calibration methods to try (default: ${DEFAULT-VALUE})")
  List<String> methods;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "images per forward pass (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--out", required = true, description = "int8 model file (.zip) to write")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if (calibrationImages < 1 || heldOut < 0) {
      throw new IllegalArgumentException("--calibration-images must be >= 1 and --held-out >= 0");
    }
    FssdModel m = FssdModel.load(model);
    DetectionDataset ds = dataset.open();
    int calib = Math.min(calibrationImages, ds.size());
    FssdQuantizer.Builder b =
        FssdQuantizer.builder()
            .calibration(ds)
            .calibrationImages(calib)
            .batch(batch)
            .apMethod(metric.resolve(dataset))
            .methods(methods(methods));
    if (heldOut > 0) {
      if (calib + heldOut > ds.size()) {
        throw new IllegalArgumentException(
            "--calibration-images "
                + calib
                + " + --held-out "
                + heldOut
                + " exceed the dataset's "
                + ds.size()
                + " images");
      }
      b.heldOut(
          FssdQuantizer.range(
              ds, calib, heldOut, ds.name() + " [" + calib + ", " + (calib + heldOut) + ")"));
    }
    PrintWriter err = spec.commandLine().getErr();
    b.log(
        line -> {
          err.println("quantize: " + line);
          err.flush();
        });
    FssdQuantizer.Result r = b.build().quantize(m);
    r.model().save(out);
    PrintWriter o = spec.commandLine().getOut();
    o.print(r.summary());
    o.println("wrote int8 model " + out);
    o.flush();
    return 0;
  }

  private static ActivationRanges.Method[] methods(List<String> names) {
    return names.stream()
        .map(
            n ->
                switch (n.trim().toLowerCase(Locale.ROOT)) {
                  case "minmax" -> ActivationRanges.Method.MINMAX;
                  case "percentile" -> ActivationRanges.Method.PERCENTILE;
                  case "mse" -> ActivationRanges.Method.MSE;
                  default ->
                      throw new IllegalArgumentException(
                          "unknown --methods entry '" + n + "' (minmax, percentile, mse)");
                })
        .toArray(ActivationRanges.Method[]::new);
  }
}
