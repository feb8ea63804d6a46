package org.fssd.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fssd.data.DetectionDataset;
import org.fssd.data.augment.TrainTransform;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.model.FssdModel;
import org.fssd.train.CheckpointModels;
import org.fssd.train.PreciseBatchNorm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fssd recalibrate-bn}: population BN statistics for a model (see PreciseBatchNorm). */
@Command(
    name = "recalibrate-bn",
    mixinStandardHelpOptions = true,
    description =
        "Re-estimate the running mean/variance of every BN layer from training batches (precise BN).")
final class RecalibrateBnCommand implements Callable<Integer> {
  @Option(names = "--model", description = "model file (.zip)")
  Path model;

  @Option(names = "--checkpoint", description = "or a training checkpoint")
  Path checkpoint;

  @Mixin DatasetOptions dataset = new DatasetOptions();

  @Option(
      names = "--batches",
      defaultValue = "50",
      description = "training batches to average over (default: ${DEFAULT-VALUE})")
  int batches;

  @Option(
      names = "--batch",
      defaultValue = "16",
      description = "batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--augment",
      defaultValue = "light",
      description =
          "ssd | light: the training augmentation of the batches (default: ${DEFAULT-VALUE})")
  String augment;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "seed of the batches (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--out", required = true, description = "model file (.zip) to write")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if ((model == null) == (checkpoint == null)) {
      throw new IllegalArgumentException("give exactly one of --model and --checkpoint");
    }
    FssdModel m = model != null ? FssdModel.load(model) : CheckpointModels.load(checkpoint);
    DetectionDataset ds = dataset.open();
    TrainTransform transform = TrainTransform.named(augment, m.config().inputSize());
    FssdModel outModel;
    try (FssdDataSetIterator it =
        FssdDataSetIterator.builder(ds, m.config().priors())
            .batchSize(batch)
            .seed(seed)
            .workers(1)
            .transform(transform)
            .build()) {
      outModel =
          PreciseBatchNorm.recalibrate(
              m,
              PreciseBatchNorm.features(it, batches),
              batches
                  + " batches of "
                  + batch
                  + " from "
                  + ds.name()
                  + " ("
                  + augment
                  + " augmentation)");
    }
    outModel.save(out);
    spec.commandLine().getOut().println("recalibrated the BN layers; wrote " + out);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
