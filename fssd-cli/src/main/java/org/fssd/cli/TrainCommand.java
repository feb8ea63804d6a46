package org.fssd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fssd.data.DetectionDataset;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.train.FssdTrainer;
import org.fssd.train.ProgressListener;
import org.fssd.train.TrainingProgress;
import org.fssd.train.optim.WarmupStepSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code fssd train}: trains FSSD on a dataset with the reference recipe (SPEC §6-§8). */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train FSSD (MultiBox loss, SGD momentum 0.9, weight decay 5e-4, warm-up + step decay, SSD augmentation).")
final class TrainCommand implements Callable<Integer> {
  @Mixin ConfigOptions configOptions = new ConfigOptions();
  @Mixin DatasetOptions dataset = new DatasetOptions();

  @Option(names = "--epochs", defaultValue = "250", description = "epochs (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--batch", defaultValue = "32", description = "batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--lr", defaultValue = "1e-3", description = "base learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--warmup", defaultValue = "LINEAR", description = "NONE | LINEAR | REFERENCE (the reference's quirk) (default: ${DEFAULT-VALUE})")
  WarmupStepSchedule.Warmup warmup;

  @Option(names = "--decay-epochs", split = ",", defaultValue = "150,200", description = "epochs where lr x0.1 (default: ${DEFAULT-VALUE})")
  int[] decayEpochs;

  @Option(names = "--seed", defaultValue = "0", description = "seed of initialisation, shuffling and augmentation (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--augment", defaultValue = "ssd",
      description = "ssd (the reference's augmentation) | light (mirror + resize only; pass the same value with --resume) (default: ${DEFAULT-VALUE})")
  String augment;

  @Option(names = "--workers", defaultValue = "2", description = "data loading threads (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(names = "--sparsity", defaultValue = "0",
      description = "network slimming: add s*sign(gamma) to BN gamma gradients (reference 1e-4; needs --bn) (default: ${DEFAULT-VALUE})")
  double sparsity;

  @Option(names = "--mixup", description = "Mixup for detection: blend pairs of training images, boxes weighted by lam (pass it again with --resume)")
  boolean mixup;

  @Option(names = "--mixup-alpha", defaultValue = "1.5", description = "Mixup lam ~ Beta(alpha, alpha) (default: ${DEFAULT-VALUE})")
  double mixupAlpha;

  @Option(names = "--mixup-prob", defaultValue = "0.5", description = "probability that a sample is mixed (default: ${DEFAULT-VALUE})")
  double mixupProb;

  @Option(names = "--mixup-off-epochs", defaultValue = "0", description = "last N epochs trained without Mixup (default: ${DEFAULT-VALUE})")
  int mixupOffEpochs;

  @Option(names = "--init-model", description = "start from this model file instead of a fresh initialisation")
  Path initModel;

  @Option(names = "--backbone", description = "VGG16 reduced-fc ImageNet weights (.pth, keys N.weight) for the base")
  Path backbone;

  @Option(names = "--checkpoint-dir", description = "write resumable checkpoints here")
  Path checkpointDir;

  @Option(names = "--checkpoint-every", defaultValue = "500", description = "iterations between checkpoints (default: ${DEFAULT-VALUE})")
  int checkpointEvery;

  @Option(names = "--resume", description = "continue the newest checkpoint of --checkpoint-dir (settings come from it)")
  boolean resume;

  @Option(names = "--max-iterations", description = "stop after this many updates in total")
  Long maxIterations;

  @Option(names = "--log-every", defaultValue = "10", description = "print progress every N iterations (default: ${DEFAULT-VALUE})")
  int logEvery;

  @Option(names = "--plots", description = "write loss.png, lr.png and report.html here (updated at every checkpoint)")
  Path plots;

  @Option(names = "--out", required = true, description = "trained model file (.zip)")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    DetectionDataset ds = dataset.open();
    PrintWriter err = spec.commandLine().getErr();
    FssdTrainer.Builder b;
    if (resume) {
      if (checkpointDir == null) {
        throw new IllegalArgumentException("--resume needs --checkpoint-dir");
      }
      b = FssdTrainer.resume(checkpointDir, ds);
    } else {
      b = FssdTrainer.builder(ds).batchSize(batch).epochs(epochs).seed(seed).learningRate(lr).warmup(warmup)
          .decayEpochs(decayEpochs).sparsity(sparsity);
      if (initModel != null) {
        b.initialModel(FssdModel.load(initModel));
      } else {
        FssdConfig config = configOptions.toConfig().toBuilder().numClasses(ds.labels().numClasses()).build();
        if (backbone != null) {
          FssdModel m = FssdModel.create(config, ds.labels(), seed);
          int n = PyTorchImporter.importBackbone(backbone, config, m.graph());
          err.println("train: base initialised from " + backbone + " (" + n + " tensors)");
          b.initialModel(m);
        } else {
          b.config(config);
        }
      }
      if (checkpointDir != null) {
        b.checkpointDir(checkpointDir).checkpointEvery(checkpointEvery);
      }
    }
    b.workers(workers);
    if (mixup) {
      b.mixup(org.fssd.data.augment.MixupOptions.builder().alpha(mixupAlpha).probability(mixupProb)
          .offEpochs(mixupOffEpochs).build());
    }
    switch (augment) {
      case "ssd" -> { }
      case "light" -> b.transform(org.fssd.data.augment.TrainTransform.light(
          new org.fssd.image.Preprocessor(configOptions.toConfig().inputSize())));
      default -> throw new IllegalArgumentException(
          "unknown --augment '" + augment + "' (expected ssd or light)");
    }
    if (maxIterations != null) {
      b.maxIterations(maxIterations);
    }
    RunPictures pictures = plots == null ? null
        : new RunPictures(plots, "fssd train", String.join(" ", spec.commandLine().getParseResult().originalArgs()));
    b.listener(new ProgressListener() {
      @Override
      public void onIteration(TrainingProgress p) {
        if (pictures != null) {
          pictures.record(p);
        }
        if (p.iteration() % logEvery == 0) {
          err.println(String.format(Locale.ROOT,
              "train: epoch %d batch %d/%d iteration %d loss %.4f (loc %.4f conf %.4f) lr %.2e %.1f img/s",
              p.epoch(), p.batchInEpoch(), p.batchesPerEpoch(), p.iteration(), p.loss(), p.locLoss(),
              p.confLoss(), p.learningRate(), p.imagesPerSecond()));
          err.flush();
        }
      }

      @Override
      public void onCheckpoint(Path file, long iteration) {
        err.println("train: checkpoint " + file + " at iteration " + iteration);
        err.flush();
        if (pictures != null) {
          pictures.trainingCurves();
        }
      }
    });
    FssdModel trained = b.build().train();
    trained.save(out);
    if (pictures != null) {
      pictures.trainingCurves();
      pictures.report(trained);
    }
    spec.commandLine().getOut().println("wrote " + out);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
