package org.fssd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fssd.data.DetectionDataset;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.train.FssdTrainer;
import org.fssd.train.TrainingListener;
import org.fssd.train.TrainingProgress;
import org.fssd.train.optim.WarmupStepSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fssd train}: trains FSSD on a dataset with the reference recipe (SPEC §6-§8).
 *
 * <p>{@code --resume} continues the newest checkpoint of {@code --checkpoint-dir}. Every option of
 * the run is stored in the checkpoints: the trainer's own settings in its {@link
 * org.fssd.train.TrainingState} and {@link org.fssd.train.RunSettings}, this command's
 * augmentation, Mixup, precise-BN and evaluation options as the settings' notes (keyed by option
 * name). A resumed run takes an option from the command line when it is given there, else from the
 * checkpoint; options the checkpoint fixes (network, batch, seed, learning-rate schedule, sparsity)
 * are refused when given with another value. See {@link #RESUME_HELP}.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description =
        "Train FSSD (MultiBox loss, SGD momentum 0.9, weight decay 5e-4, warm-up + step decay, SSD augmentation).",
    footer = {"", TrainCommand.RESUME_HELP})
final class TrainCommand implements Callable<Integer> {
  /** What {@code --resume} takes from where (the help's footer). */
  static final String RESUME_HELP =
      "With --resume (same --dataset options and --checkpoint-dir):%n"
          + "  fixed by the checkpoint (refused when given with another value): --config, --bn,%n"
          + "    --width-divisor (the network), --batch, --seed, --lr, --warmup, --decay-epochs,%n"
          + "    --sparsity; --init-model and --backbone are refused.%n"
          + "  from the command line when given, else from the checkpoint: --epochs,%n"
          + "    --checkpoint-every, --augment, --mixup/--no-mixup, --mixup-alpha, --mixup-prob,%n"
          + "    --mixup-off-epochs, --precise-bn, --eval-every, --eval-shapes-seed,%n"
          + "    --eval-shapes-count, --eval-voc-sets, --engine, --conv-algorithm, --precision.%n"
          + "  this invocation only (not stored): --max-iterations (a total, counted from iteration%n"
          + "    0), --workers, --log-every, --plots, --out.";

  @Mixin ConfigOptions configOptions = new ConfigOptions();
  @Mixin DatasetOptions dataset = new DatasetOptions();

  @Option(
      names = "--epochs",
      defaultValue = "250",
      description = "epochs (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(
      names = "--batch",
      defaultValue = "32",
      description = "batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--lr",
      defaultValue = "1e-3",
      description = "base learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(
      names = "--warmup",
      defaultValue = "LINEAR",
      description = "NONE | LINEAR | REFERENCE (the reference's quirk) (default: ${DEFAULT-VALUE})")
  WarmupStepSchedule.Warmup warmup;

  @Option(
      names = "--decay-epochs",
      split = ",",
      defaultValue = "150,200",
      description = "epochs where lr x0.1 (default: ${DEFAULT-VALUE})")
  int[] decayEpochs;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description =
          "seed of initialisation, shuffling and augmentation (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--augment",
      defaultValue = "ssd",
      description =
          "ssd (the reference's augmentation) | light (mirror + resize only) (default: ${DEFAULT-VALUE})")
  String augment;

  @Option(
      names = "--workers",
      defaultValue = "2",
      description = "data loading threads (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(
      names = "--sparsity",
      defaultValue = "0",
      description =
          "network slimming: add s*sign(gamma) to BN gamma gradients (reference 1e-4; needs --bn) (default: ${DEFAULT-VALUE})")
  double sparsity;

  @Option(
      names = "--mixup",
      negatable = true,
      description =
          "Mixup for detection: blend pairs of training images, boxes weighted by lam (--no-mixup turns it off when resuming a run that had it)")
  boolean mixup;

  @Option(
      names = "--mixup-alpha",
      defaultValue = "1.5",
      description = "Mixup lam ~ Beta(alpha, alpha) (default: ${DEFAULT-VALUE})")
  double mixupAlpha;

  @Option(
      names = "--mixup-prob",
      defaultValue = "0.5",
      description = "probability that a sample is mixed (default: ${DEFAULT-VALUE})")
  double mixupProb;

  @Option(
      names = "--mixup-off-epochs",
      defaultValue = "0",
      description = "last N epochs trained without Mixup (default: ${DEFAULT-VALUE})")
  int mixupOffEpochs;

  @Mixin EngineOptions engineOptions = new EngineOptions();

  @Option(
      names = "--precise-bn",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "at the end, re-estimate the BN running mean/variance over N training batches, as recalibrate-bn does (0 = off; no effect without BN) (default: ${DEFAULT-VALUE})")
  int preciseBn;

  @Option(
      names = "--init-model",
      description = "start from this model file instead of a fresh initialisation")
  Path initModel;

  @Option(
      names = "--backbone",
      description = "VGG16 reduced-fc ImageNet weights (.pth, keys N.weight) for the base")
  Path backbone;

  @Option(names = "--checkpoint-dir", description = "write resumable checkpoints here")
  Path checkpointDir;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "500",
      description = "iterations between checkpoints (default: ${DEFAULT-VALUE})")
  int checkpointEvery;

  @Option(
      names = "--resume",
      description =
          "continue the newest checkpoint of --checkpoint-dir (see below for which options come from it)")
  boolean resume;

  @Option(
      names = "--max-iterations",
      description =
          "stop after this many updates in total (counted from the run's start, also when resuming; not stored)")
  Long maxIterations;

  @Option(
      names = "--log-every",
      defaultValue = "10",
      description = "print progress every N iterations (default: ${DEFAULT-VALUE})")
  int logEvery;

  @Option(
      names = "--plots",
      description = "write loss.png, lr.png and report.html here (updated at every checkpoint)")
  Path plots;

  @Option(
      names = "--eval-every",
      defaultValue = "0",
      description =
          "evaluate mAP (VOC07 11-point) on a held-out set every K iterations and at the end of the planned epochs; with --plots, map.png (0 = off) (default: ${DEFAULT-VALUE})")
  int evalEvery;

  @Option(
      names = "--eval-shapes-seed",
      description =
          "held-out set of --dataset shapes: same preset and size, this seed (default: --shapes-seed + 1)")
  Long evalShapesSeed;

  @Option(
      names = "--eval-shapes-count",
      defaultValue = "50",
      description = "images of the held-out shapes set (default: ${DEFAULT-VALUE})")
  int evalShapesCount;

  @Option(
      names = "--eval-voc-sets",
      split = ",",
      description =
          "held-out set of --dataset voc: year:set pairs under --voc-root, e.g. 2007:test")
  java.util.List<String> evalVocSets;

  @Option(names = "--out", required = true, description = "trained model file (.zip)")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    DetectionDataset ds = dataset.open();
    PrintWriter err = spec.commandLine().getErr();
    FssdTrainer.Builder b;
    FssdConfig runConfig;
    if (resume) {
      if (checkpointDir == null) {
        throw new IllegalArgumentException("--resume needs --checkpoint-dir");
      }
      for (String o : new String[] {"--init-model", "--backbone"}) {
        if (given(o)) {
          throw new IllegalArgumentException(
              o
                  + " cannot be used with --resume: a resumed run continues from the"
                  + " parameters of its checkpoint");
        }
      }
      b = FssdTrainer.resume(checkpointDir, ds);
      org.fssd.train.TrainingState st = b.resumedState().orElseThrow();
      runConfig = st.config();
      inherited = b.resumedSettings().map(org.fssd.train.RunSettings::notes).orElse(Map.of());
      // options the checkpoint fixes: forwarded only when given, the trainer refuses other values
      if (given("--config") || given("--bn") || given("--width-divisor")) {
        b.config(configOptions.toConfig().toBuilder().numClasses(ds.labels().numClasses()).build());
      }
      if (given("--batch")) {
        b.batchSize(batch);
      }
      if (given("--seed")) {
        b.seed(seed);
      }
      if (given("--lr")) {
        b.learningRate(lr);
      }
      if (given("--warmup")) {
        b.warmup(warmup);
      }
      if (given("--decay-epochs")) {
        b.decayEpochs(decayEpochs);
      }
      if (given("--sparsity")) {
        b.sparsity(sparsity);
      }
      if (given("--epochs")) {
        b.epochs(epochs);
      }
      if (given("--checkpoint-every") || b.resumedSettings().isEmpty()) {
        b.checkpointEvery(checkpointEvery);
      }
      err.println(
          "train: resuming "
              + checkpointDir
              + " at iteration "
              + st.iteration()
              + " (epoch "
              + st.epoch()
              + " of "
              + (given("--epochs") ? epochs : st.epochs())
              + ")");
    } else {
      b =
          FssdTrainer.builder(ds)
              .batchSize(batch)
              .epochs(epochs)
              .seed(seed)
              .learningRate(lr)
              .warmup(warmup)
              .decayEpochs(decayEpochs)
              .sparsity(sparsity);
      if (initModel != null) {
        FssdModel init = FssdModel.load(initModel);
        runConfig = init.config();
        b.initialModel(init);
      } else {
        FssdConfig config =
            configOptions.toConfig().toBuilder().numClasses(ds.labels().numClasses()).build();
        runConfig = config;
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
    // the options stored as notes: the command line's value when given, else the checkpoint's
    String augmentUsed = setting("--augment", augment);
    boolean mixupUsed = Boolean.parseBoolean(setting("--mixup", Boolean.toString(mixup)));
    double alphaUsed = Double.parseDouble(setting("--mixup-alpha", Double.toString(mixupAlpha)));
    double probUsed = Double.parseDouble(setting("--mixup-prob", Double.toString(mixupProb)));
    int offUsed = Integer.parseInt(setting("--mixup-off-epochs", Integer.toString(mixupOffEpochs)));
    int preciseBnUsed = Integer.parseInt(setting("--precise-bn", Integer.toString(preciseBn)));
    int evalEveryUsed = Integer.parseInt(setting("--eval-every", Integer.toString(evalEvery)));
    String evalSeedUsed =
        setting("--eval-shapes-seed", evalShapesSeed == null ? "" : evalShapesSeed.toString());
    int evalCountUsed =
        Integer.parseInt(setting("--eval-shapes-count", Integer.toString(evalShapesCount)));
    String evalVocUsed =
        setting("--eval-voc-sets", evalVocSets == null ? "" : String.join(",", evalVocSets));
    Map<String, String> notes = new LinkedHashMap<>();
    notes.put("--augment", augmentUsed);
    notes.put("--mixup", Boolean.toString(mixupUsed));
    notes.put("--mixup-alpha", Double.toString(alphaUsed));
    notes.put("--mixup-prob", Double.toString(probUsed));
    notes.put("--mixup-off-epochs", Integer.toString(offUsed));
    notes.put("--precise-bn", Integer.toString(preciseBnUsed));
    notes.put("--eval-every", Integer.toString(evalEveryUsed));
    notes.put("--eval-shapes-seed", evalSeedUsed);
    notes.put("--eval-shapes-count", Integer.toString(evalCountUsed));
    notes.put("--eval-voc-sets", evalVocUsed);
    org.fssd.train.TrainingEngine engineUsed =
        org.fssd.train.TrainingEngine.valueOf(
            setting("--engine", engineOptions.engine().name()).toUpperCase(Locale.ROOT));
    org.fssd.engine.onednn.PlanOptions.Algorithm algorithmUsed =
        org.fssd.engine.onednn.PlanOptions.Algorithm.valueOf(
            setting("--conv-algorithm", engineOptions.convAlgorithm.name())
                .toUpperCase(Locale.ROOT));
    notes.put("--engine", engineUsed.name());
    org.fssd.engine.onednn.PlanOptions.Precision precisionUsed =
        org.fssd.engine.onednn.PlanOptions.Precision.valueOf(
            setting("--precision", engineOptions.precision.name()).toUpperCase(Locale.ROOT));
    notes.put("--conv-algorithm", algorithmUsed.name());
    notes.put("--precision", precisionUsed.name());
    b.engine(engineUsed).planAlgorithm(algorithmUsed).planPrecision(precisionUsed);
    b.notes(notes);
    b.workers(workers);
    b.preciseBnBatches(preciseBnUsed);
    if (mixupUsed) {
      b.mixup(
          org.fssd.data.augment.MixupOptions.builder()
              .alpha(alphaUsed)
              .probability(probUsed)
              .offEpochs(offUsed)
              .build());
    }
    b.transform(org.fssd.data.augment.TrainTransform.named(augmentUsed, runConfig.inputSize()));
    if (maxIterations != null) {
      b.maxIterations(maxIterations);
    }
    if (evalEveryUsed > 0) {
      DetectionDataset heldOut =
          heldOut(
              evalSeedUsed.isEmpty() ? null : Long.valueOf(evalSeedUsed),
              evalCountUsed,
              evalVocUsed.isEmpty() ? null : Arrays.asList(evalVocUsed.split(",")));
      err.println(
          "train: evaluating on "
              + heldOut.name()
              + " ("
              + heldOut.size()
              + " images) every "
              + evalEveryUsed
              + " iterations");
      b.evaluateEvery(evalEveryUsed, heldOut);
    }
    FssdTrainer[] trainer = new FssdTrainer[1];
    RunPictures pictures =
        plots == null
            ? null
            : new RunPictures(
                plots,
                "fssd train",
                String.join(" ", spec.commandLine().getParseResult().originalArgs()));
    b.listener(
        new TrainingListener() {
          @Override
          public void onIteration(TrainingProgress p) {
            if (p.iteration() % logEvery == 0) {
              err.println(
                  String.format(
                      Locale.ROOT,
                      "train: epoch %d batch %d/%d iteration %d loss %.4f (loc %.4f conf %.4f) lr %.2e %.1f img/s",
                      p.epoch(),
                      p.batchInEpoch(),
                      p.batchesPerEpoch(),
                      p.iteration(),
                      p.loss(),
                      p.locLoss(),
                      p.confLoss(),
                      p.learningRate(),
                      p.imagesPerSecond()));
              err.flush();
            }
          }

          @Override
          public void onCheckpoint(Path file, long iteration) {
            err.println("train: checkpoint " + file + " at iteration " + iteration);
            err.flush();
            if (pictures != null) {
              pictures.trainingCurves(trainer[0].history());
              pictures.report(null);
            }
          }

          @Override
          public void onEvaluation(long iteration, int epoch, org.fssd.train.eval.EvalResult r) {
            err.println(
                String.format(
                    Locale.ROOT,
                    "train: evaluation at iteration %d (epoch %d): mAP %.4f on %d images",
                    iteration,
                    epoch,
                    r.map(),
                    r.images()));
            err.flush();
          }
        });
    trainer[0] = b.build();
    FssdModel trained = trainer[0].train();
    trained.save(out);
    if (pictures != null) {
      pictures.trainingCurves(trainer[0].history());
      pictures.report(trained);
    }
    spec.commandLine().getOut().println("wrote " + out);
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** Whether {@code option} was given on the command line (not just defaulted). */
  private boolean given(String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  /** Notes of the resumed checkpoint (empty for a new run). */
  private Map<String, String> inherited = Map.of();

  /**
   * The value of a stored option: the command line's when given, else the checkpoint's, else the
   * default.
   */
  private String setting(String option, String commandLine) {
    return !given(option) && inherited.containsKey(option) ? inherited.get(option) : commandLine;
  }

  /** The held-out set of --eval-every: shapes with another seed, or VOC sets under --voc-root. */
  private DetectionDataset heldOut(
      Long evalShapesSeed, int evalShapesCount, List<String> evalVocSets) {
    String kind = dataset.kind == null ? "voc" : dataset.kind.toLowerCase(Locale.ROOT);
    switch (kind) {
      case "shapes":
        {
          long s = evalShapesSeed != null ? evalShapesSeed : dataset.shapesSeed + 1;
          if (s == dataset.shapesSeed) {
            throw new IllegalArgumentException(
                "--eval-shapes-seed "
                    + s
                    + " is the training seed: the held-out set would be the training set");
          }
          return org.fssd.data.ShapesDataset.builder()
              .preset(dataset.shapesPreset)
              .count(evalShapesCount)
              .seed(s)
              .imageSize(dataset.shapesSize, dataset.shapesSize)
              .build();
        }
      case "voc":
        {
          if (evalVocSets == null || evalVocSets.isEmpty()) {
            throw new IllegalArgumentException(
                "--eval-every on VOC needs --eval-voc-sets, e.g. 2007:test");
          }
          org.fssd.data.VocDataset.Builder vb =
              org.fssd.data.VocDataset.builder(dataset.vocRoot)
                  .badInput(
                      dataset.skipBad
                          ? org.fssd.data.BadInputPolicy.SKIP
                          : org.fssd.data.BadInputPolicy.FAIL);
          for (String pair : evalVocSets) {
            String[] p = pair.split(":");
            if (p.length != 2) {
              throw new IllegalArgumentException(
                  "--eval-voc-sets entry '" + pair + "' is not year:set");
            }
            vb.add(p[0], p[1]);
          }
          return vb.build();
        }
      default:
        throw new IllegalArgumentException(
            "--eval-every supports --dataset shapes and voc, not " + kind);
    }
  }
}
