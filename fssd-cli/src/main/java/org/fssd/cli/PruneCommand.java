package org.fssd.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.FssdModel;
import org.fssd.prune.PruneOptions;
import org.fssd.prune.PruneResult;
import org.fssd.prune.Pruner;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code fssd prune}: network slimming (SPEC §11) of a BN-variant model — global |gamma|
 * threshold, channel selection, weight surgery — with a report of widths, parameters, size,
 * GMACs and measured forward time before and after (this machine, graph engine, batch 1).
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Prune a BN-variant model (network slimming) and report widths, params, size, GMACs and ms/image.")
final class PruneCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  DetectCommand.ModelSource source;

  @Mixin ConfigOptions configOptions = new ConfigOptions();

  @Option(names = "--percent", defaultValue = "0.5", description = "share of BN channels to remove globally (default: ${DEFAULT-VALUE})")
  double percent;

  @Option(names = "--min-channels", defaultValue = "1", description = "channels every layer keeps at least (default: ${DEFAULT-VALUE})")
  int minChannels;

  @Option(names = "--exclude", split = ",", description = "layers never pruned, e.g. base.0,pyramid_ext.5")
  String[] exclude;

  @Option(names = "--timing-runs", defaultValue = "3", description = "forward passes timed before/after, 0 = skip (default: ${DEFAULT-VALUE})")
  int timingRuns;

  @Mixin DatasetOptions dataset = new DatasetOptions();

  @Option(names = "--fine-tune-epochs", defaultValue = "0",
      description = "fine-tune the pruned model for this many epochs on --dataset (default: ${DEFAULT-VALUE} = no)")
  int fineTuneEpochs;

  @Option(names = "--batch", defaultValue = "32", description = "fine-tuning batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--lr", defaultValue = "1e-3", description = "fine-tuning base learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--checkpoint-dir", description = "fine-tuning checkpoints (resumable with ./fssd train --resume)")
  Path checkpointDir;

  @Option(names = "--plots", description = "write gamma.png, channels.png and report.html here")
  Path plots;

  @Option(names = "--out", required = true, description = "pruned model file (.zip)")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    FssdModel model = source.model != null ? FssdModel.load(source.model)
        : PyTorchImporter.importModel(source.weights, configOptions.toConfig());
    PruneOptions.Builder b = PruneOptions.builder().percent(percent).minChannels(minChannels);
    if (exclude != null) {
      b.exclude(exclude);
    }
    PruneResult result = Pruner.prune(model, b.build());
    FssdModel pruned = result.model();
    if (fineTuneEpochs > 0) {
      org.fssd.data.DetectionDataset ds = dataset.open();
      org.fssd.train.FssdTrainer.Builder tb = org.fssd.train.FssdTrainer.builder(ds).initialModel(pruned)
          .epochs(fineTuneEpochs).batchSize(batch).learningRate(lr);
      if (checkpointDir != null) {
        tb.checkpointDir(checkpointDir);
      }
      var err = spec.commandLine().getErr();
      tb.listener(new org.fssd.train.ProgressListener() {
        @Override
        public void onEpochEnd(int epoch, long iteration) {
          err.println("prune: fine-tuning epoch " + (epoch + 1) + "/" + fineTuneEpochs + " done");
          err.flush();
        }
      });
      pruned = tb.build().train();
    }
    pruned.save(out);
    var o = spec.commandLine().getOut();
    o.println(result.report());
    o.println(String.format(Locale.ROOT, "threshold: %.6g", result.selection().threshold()));
    o.println(String.format(Locale.ROOT, "params: %d -> %d (%.2fx smaller)", result.report().paramsBefore(),
        result.report().paramsAfter(), (double) result.report().paramsBefore() / result.report().paramsAfter()));
    try {
      o.println(String.format(Locale.ROOT, "file_mb: %.1f -> %.1f",
          (source.model != null ? Files.size(source.model) : 0) / 1e6, Files.size(out) / 1e6));
    } catch (java.io.IOException e) {
      // sizes are informative only
    }
    o.println(String.format(Locale.ROOT, "gmacs: %.2f -> %.2f", result.report().gmacsBefore(), result.report().gmacsAfter()));
    if (timingRuns > 0) {
      double before = medianMs(model, timingRuns);
      double after = medianMs(pruned, timingRuns);
      o.println(String.format(Locale.ROOT, "ms_per_image (graph engine, batch 1, median of %d): %.1f -> %.1f (%.2fx)",
          timingRuns, before, after, before / after));
    }
    if (plots != null) {
      RunPictures pictures = new RunPictures(plots, "fssd prune", String.join(" ", spec.commandLine().getParseResult().originalArgs()));
      pictures.pruning(result.selection(), model);
      pictures.number("params", result.report().paramsBefore() + " -> " + result.report().paramsAfter());
      pictures.number("GMACs/image", String.format(Locale.ROOT, "%.2f -> %.2f", result.report().gmacsBefore(), result.report().gmacsAfter()));
      pictures.number("threshold", String.format(Locale.ROOT, "%.6g", result.selection().threshold()));
      pictures.report(pruned);
    }
    o.println("wrote " + out);
    o.flush();
    return 0;
  }

  /** Median wall time of a batch-1 forward pass after one warm-up (a report, not a benchmark). */
  static double medianMs(FssdModel model, int runs) {
    int s = model.config().inputSize();
    INDArray in = Nd4j.rand(DataType.FLOAT, 1, 3, s, s).muli(255).subi(117);
    model.graph().output(in);
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t = System.nanoTime();
      model.graph().output(in);
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return ms[runs / 2];
  }
}
