package org.fssd.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.FssdModel;
import org.fssd.prune.IterativePruner;
import org.fssd.prune.PruneOptions;
import org.fssd.prune.PruneResult;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fssd prune}: network slimming (SPEC §11) of a BN-variant model — global |gamma| threshold,
 * channel selection, weight surgery — with a report of widths, parameters, size, GMACs and measured
 * detect time before and after (this machine, default engine, batch 1).
 *
 * <p>A plain prune is one round of {@link IterativePruner} without sparse training, reported as a
 * before/after comparison. Iterative pruning ({@code --rounds R} or {@code --percents a,b,..}): R
 * rounds of sparse training ({@code --sparse-epochs}, with {@code --sparsity}) -> pruning ->
 * fine-tuning ({@code --fine-tune-epochs}; training runs on {@code --engine} with {@code
 * --conv-algorithm}, as {@code fssd train}), each round saved as {@code <out stem>-round<r>.zip}
 * (the last also as {@code --out}) and reported; mAP per round with {@code --eval-shapes-seed} or
 * {@code --eval-voc-sets}. {@code --report-only} measures a model (any variant) without pruning.
 * Every stage also prints one machine-readable line {@code metrics <stage> params=.. size_mb=..
 * gmacs=.. gflops=.. ms_per_image=.. map=..}.
 */
@Command(
    name = "prune",
    mixinStandardHelpOptions = true,
    description =
        "Prune a BN-variant model (network slimming) and report widths, params, size, GMACs and ms/image.")
final class PruneCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  DetectCommand.ModelSource source;

  @Mixin ConfigOptions configOptions = new ConfigOptions();

  @Option(
      names = "--percent",
      defaultValue = "0.5",
      description =
          "share of BN channels to remove globally: exactly floor(n*p)+1 of the n prunable channels, smallest |gamma| first, ties by network position; warns when the model does not look sparse-trained (default: ${DEFAULT-VALUE})")
  double percent;

  @Option(
      names = "--min-channels",
      defaultValue = "1",
      description = "channels every layer keeps at least (default: ${DEFAULT-VALUE})")
  int minChannels;

  @Option(
      names = "--exclude",
      split = ",",
      description = "layers never pruned, e.g. base.0,pyramid_ext.5")
  String[] exclude;

  @Option(
      names = "--timing-runs",
      defaultValue = "20",
      description = "forward passes timed before/after, 0 = skip (default: ${DEFAULT-VALUE})")
  int timingRuns;

  @Mixin DatasetOptions dataset = new DatasetOptions();

  @Mixin EngineOptions engineOptions = new EngineOptions();

  @Option(
      names = "--fine-tune-epochs",
      defaultValue = "0",
      description =
          "fine-tune the pruned model for this many epochs on --dataset (default: ${DEFAULT-VALUE} = no)")
  int fineTuneEpochs;

  @Option(
      names = "--batch",
      defaultValue = "32",
      description = "fine-tuning batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--lr",
      defaultValue = "1e-3",
      description = "fine-tuning base learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(
      names = "--checkpoint-dir",
      description = "fine-tuning checkpoints (resumable with ./fssd train --resume)")
  Path checkpointDir;

  @Option(names = "--plots", description = "write gamma.png, channels.png and report.html here")
  Path plots;

  @Option(
      names = "--rounds",
      defaultValue = "1",
      description =
          "iterative pruning: rounds of sparse-train -> prune -> fine-tune, each pruning --percent of what is left (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(
      names = "--percents",
      split = ",",
      description =
          "iterative pruning: the percent of each round, e.g. 0.5,0.3 (sets the number of rounds)")
  double[] percents;

  @Option(
      names = "--sparse-epochs",
      split = ",",
      defaultValue = "0",
      description =
          "iterative pruning: sparsity-training epochs before each round's pruning, one value for all rounds or one per round, e.g. 0,5 (default: ${DEFAULT-VALUE})")
  int[] sparseEpochs;

  @Option(
      names = "--sparsity",
      defaultValue = "1e-4",
      description = "s of the sparsity training (default: ${DEFAULT-VALUE})")
  double sparsity;

  @Option(
      names = "--augment",
      defaultValue = "ssd",
      description =
          "augmentation of sparse training and fine-tuning: ssd | light (default: ${DEFAULT-VALUE})")
  String augment;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "seed of sparse training and fine-tuning (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--workers",
      defaultValue = "2",
      description = "data loading threads of training (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(
      names = "--eval-shapes-seed",
      description =
          "mAP per stage (VOC07 11-point) on a shapes dataset like --dataset's (same preset and size) with this seed")
  Long evalShapesSeed;

  @Option(
      names = "--eval-shapes-count",
      defaultValue = "200",
      description = "images of that evaluation set (default: ${DEFAULT-VALUE})")
  int evalShapesCount;

  @Option(
      names = "--eval-voc-sets",
      split = ",",
      description = "mAP per stage on these VOC year:set pairs of --voc-root, e.g. 2007:test")
  java.util.List<String> evalVocSets;

  @Option(
      names = "--report-only",
      description =
          "only measure --model (params, size, GMACs, ms/image, mAP with --eval-*): no pruning, nothing written")
  boolean reportOnly;

  @Option(names = "--out", description = "pruned model file (.zip); required unless --report-only")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    FssdModel model =
        source.model != null
            ? FssdModel.load(source.model)
            : PyTorchImporter.importModel(source.weights, configOptions.toConfig());
    PruneOptions.Builder b = PruneOptions.builder().percent(percent).minChannels(minChannels);
    if (exclude != null) {
      b.exclude(exclude);
    }
    if (reportOnly) {
      IterativePruner.Stage st = IterativePruner.measure(model, evaluator(), timingRuns);
      var o = spec.commandLine().getOut();
      o.println(metrics("input", st));
      o.flush();
      return 0;
    }
    if (out == null) {
      throw new IllegalArgumentException("--out is required (unless --report-only)");
    }
    boolean iterative =
        rounds != 1 || percents != null || Arrays.stream(sparseEpochs).anyMatch(e -> e > 0);
    IterativePruner.Result run = pruner(b.build(), iterative).run(model);
    if (iterative) {
      return reportRounds(run);
    }
    // one round, reported as a before/after comparison
    PruneResult result = run.rounds().get(0).pruning();
    warn(result.selection().warnings(), "");
    FssdModel pruned = run.finalModel();
    pruned.save(out);
    var o = spec.commandLine().getOut();
    o.println(result.report());
    o.println(String.format(Locale.ROOT, "threshold: %.6g", result.selection().threshold()));
    for (String w : result.selection().warnings()) {
      o.println("warning: " + w);
    }
    o.println(
        String.format(
            Locale.ROOT,
            "params: %d -> %d (%.2fx smaller)",
            result.report().paramsBefore(),
            result.report().paramsAfter(),
            (double) result.report().paramsBefore() / result.report().paramsAfter()));
    try {
      o.println(
          String.format(
              Locale.ROOT,
              "file_mb: %.1f -> %.1f",
              (source.model != null ? Files.size(source.model) : 0) / 1e6,
              Files.size(out) / 1e6));
    } catch (java.io.IOException e) {
      // sizes are informative only
    }
    o.println(
        String.format(
            Locale.ROOT,
            "gmacs: %.2f -> %.2f",
            result.report().gmacsBefore(),
            result.report().gmacsAfter()));
    if (timingRuns > 0) {
      double before = run.input().msPerImage();
      double after = run.rounds().get(0).stage().msPerImage();
      o.println(
          String.format(
              Locale.ROOT,
              "ms_per_image (detect, default CPU engine, batch 1, median of %d): %.1f -> %.1f (%.2fx)",
              timingRuns,
              before,
              after,
              before / after));
      o.println(
          "note: ms_per_image times the whole detect call (decode, resize, forward, NMS) of these two models on"
              + " this machine; fixed per-image work does not shrink with the widths, so small models gain less than their"
              + " GMACs ratio, and bench-compare's forward-only figures on full FSSD300 differ (docs/pruning.md, 'Why the"
              + " speed-up figures differ')");
    }
    if (plots != null) {
      RunPictures pictures =
          new RunPictures(
              plots,
              "fssd prune",
              String.join(" ", spec.commandLine().getParseResult().originalArgs()));
      pictures.pruning(result.selection(), model);
      pictures.number(
          "params", result.report().paramsBefore() + " -> " + result.report().paramsAfter());
      pictures.number(
          "GMACs/image",
          String.format(
              Locale.ROOT,
              "%.2f -> %.2f",
              result.report().gmacsBefore(),
              result.report().gmacsAfter()));
      pictures.number(
          "threshold", String.format(Locale.ROOT, "%.6g", result.selection().threshold()));
      List<String> ws = result.selection().warnings();
      for (int i = 0; i < ws.size(); i++) {
        pictures.number("warning " + (i + 1), ws.get(i));
      }
      pictures.report(pruned);
    }
    o.println("wrote " + out);
    o.flush();
    return 0;
  }

  /** Prints the selection's sparsity warnings on stderr, one line each. */
  private void warn(List<String> warnings, String prefix) {
    var err = spec.commandLine().getErr();
    for (String w : warnings) {
      err.println("prune: warning: " + prefix + w);
    }
    err.flush();
  }

  /**
   * The rounds of this command line: {@code --percents} (or {@code --rounds} times {@code
   * --percent}), sparse training and fine-tuning on {@code --dataset} where asked for, mAP with
   * {@code --eval-*}. A plain prune is one round without sparse training; its model is saved to
   * {@code --out} only, while iterative runs also keep each round's file.
   */
  private IterativePruner pruner(PruneOptions options, boolean iterative) {
    double[] ps = percents;
    if (ps == null) {
      ps = new double[rounds];
      Arrays.fill(ps, percent);
    } else if (rounds != 1 && rounds != ps.length) {
      throw new IllegalArgumentException(
          "--rounds " + rounds + " disagrees with the " + ps.length + " values of --percents");
    }
    final int n = ps.length;
    if (sparseEpochs.length != 1 && sparseEpochs.length != n) {
      throw new IllegalArgumentException(
          "--sparse-epochs needs one value or one per round ("
              + n
              + "), got "
              + sparseEpochs.length);
    }
    var err = spec.commandLine().getErr();
    IterativePruner.Builder ib =
        IterativePruner.builder().percents(ps).options(options).timingRuns(timingRuns);
    if (iterative) {
      ib.output(out);
    }
    boolean sparse = Arrays.stream(sparseEpochs).anyMatch(e -> e > 0);
    org.fssd.data.DetectionDataset ds = fineTuneEpochs > 0 || sparse ? dataset.open() : null;
    if (sparse) {
      ib.sparseTrainer(
          (m, r) -> {
            int epochs = sparseEpochs.length == 1 ? sparseEpochs[0] : sparseEpochs[r - 1];
            return epochs == 0
                ? m
                : train(
                    ds,
                    m,
                    epochs,
                    sparsity,
                    "round " + r + " sparse training",
                    checkpointDir == null ? null : checkpointDir.resolve("round" + r + "-sparse"),
                    err);
          });
    }
    if (fineTuneEpochs > 0) {
      // a plain prune fine-tunes straight into --checkpoint-dir (resumable with fssd train)
      ib.fineTuner(
          (m, r) ->
              train(
                  ds,
                  m,
                  fineTuneEpochs,
                  0,
                  iterative ? "round " + r + " fine-tuning" : "fine-tuning",
                  checkpointDir == null
                      ? null
                      : iterative
                          ? checkpointDir.resolve("round" + r + "-fine-tune")
                          : checkpointDir,
                  err));
    }
    java.util.function.ToDoubleFunction<FssdModel> eval = evaluator();
    if (eval != null) {
      ib.evaluator(eval);
    }
    return ib.build();
  }

  /** Saves the last round's model to --out and prints the table and the metrics lines. */
  private int reportRounds(IterativePruner.Result result) {
    for (IterativePruner.Round r : result.rounds()) {
      warn(r.pruning().selection().warnings(), "round " + r.index() + ": ");
    }
    result.finalModel().save(out);
    var o = spec.commandLine().getOut();
    o.println(result);
    o.println(metrics("input", result.input()));
    for (IterativePruner.Round r : result.rounds()) {
      o.println(metrics("round" + r.index(), r.stage()));
    }
    o.println("wrote " + out + " (= round " + result.rounds().size() + ")");
    o.flush();
    return 0;
  }

  private FssdModel train(
      org.fssd.data.DetectionDataset ds,
      FssdModel m,
      int epochs,
      double s,
      String what,
      Path checkpoints,
      java.io.PrintWriter err) {
    org.fssd.train.FssdTrainer.Builder tb =
        org.fssd.train.FssdTrainer.builder(ds)
            .initialModel(m)
            .epochs(epochs)
            .batchSize(batch)
            .learningRate(lr)
            .sparsity(s)
            .seed(seed)
            .workers(workers)
            .engine(engineOptions.engine())
            .planAlgorithm(engineOptions.convAlgorithm)
            .planPrecision(engineOptions.precision);
    tb.transform(org.fssd.data.augment.TrainTransform.named(augment, m.config().inputSize()));
    if (checkpoints != null) {
      tb.checkpointDir(checkpoints);
    }
    tb.listener(
        new org.fssd.train.TrainingListener() {
          @Override
          public void onEpochEnd(int epoch, long iteration) {
            err.println("prune: " + what + " epoch " + (epoch + 1) + "/" + epochs + " done");
            err.flush();
          }
        });
    org.fssd.train.FssdTrainer trainer = tb.build();
    err.println(
        "prune: " + what + ", " + epochs + " epoch(s), engine " + trainer.engineDescription());
    err.flush();
    return trainer.train();
  }

  /** The mAP function of --eval-shapes-seed / --eval-voc-sets, or null. */
  private java.util.function.ToDoubleFunction<FssdModel> evaluator() {
    org.fssd.data.DetectionDataset evalSet;
    if (evalShapesSeed != null) {
      evalSet =
          org.fssd.data.ShapesDataset.builder()
              .preset(dataset.shapesPreset)
              .count(evalShapesCount)
              .seed(evalShapesSeed)
              .imageSize(dataset.shapesSize, dataset.shapesSize)
              .build();
    } else if (evalVocSets != null) {
      if (dataset.vocRoot == null) {
        throw new IllegalArgumentException("--eval-voc-sets needs --voc-root");
      }
      org.fssd.data.VocDataset.Builder vb = org.fssd.data.VocDataset.builder(dataset.vocRoot);
      for (String pair : evalVocSets) {
        String[] p = pair.split(":");
        if (p.length != 2) {
          throw new IllegalArgumentException(
              "--eval-voc-sets entry '" + pair + "' is not year:set");
        }
        vb.add(p[0], p[1]);
      }
      evalSet = vb.build();
    } else {
      return null;
    }
    var err = spec.commandLine().getErr();
    return m -> {
      // a replica: the detector owns (and may fold or close) the model it is given
      try (org.fssd.detect.FssdDetector d =
          org.fssd.detect.FssdDetector.builder().model(m.replica()).scoreThreshold(0.01f).build()) {
        double map =
            org.fssd.train.eval.DetectorEvaluation.evaluate(
                    d, evalSet, org.fssd.train.eval.ApMethod.VOC07_11_POINT, 4, null, null)
                .map();
        err.println(
            String.format(
                Locale.ROOT, "prune: mAP (VOC07 11-point, %s) %.4f", evalSet.name(), map));
        err.flush();
        return map;
      }
    };
  }

  /** {@code metrics <stage> params=.. size_mb=.. gmacs=.. gflops=.. ms_per_image=.. map=..}. */
  static String metrics(String stage, IterativePruner.Stage s) {
    return String.format(
        Locale.ROOT,
        "metrics %s params=%d size_mb=%.3f gmacs=%.4f gflops=%.4f ms_per_image=%s map=%s",
        stage,
        s.params(),
        s.sizeMb(),
        s.gmacs(),
        s.gflops(),
        Double.isNaN(s.msPerImage()) ? "nan" : String.format(Locale.ROOT, "%.2f", s.msPerImage()),
        Double.isNaN(s.map()) ? "nan" : String.format(Locale.ROOT, "%.4f", s.map()));
  }
}
