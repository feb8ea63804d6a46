package org.fssd.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.ConvImpl;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.train.TrainingEngine;
import org.fssd.train.TrainingGraph;
import org.fssd.train.TrainingStep;
import org.fssd.train.loss.MultiBoxLoss;
import org.nd4j.linalg.dataset.MultiDataSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The Java half of the training lines of {@code tools/bench-compare.sh}: one training step of
 * FSSD300 (VOC, 21 classes; plain, or with {@code --bn} the BN variant of SPEC §2.7) on the same
 * weights and the same batch as {@code tools/reference/train_step_timing.py}.
 *
 * <p>{@code --export-batch} writes the batch ({@link TrainBatch#shapes}, batch {@code --batch})
 * into {@code --dir} as {@code .npy} files and exits (the same batch serves both variants).
 * Otherwise it reads that batch back, imports the weights {@code DIR/fssd300.pth} (written by
 * {@code tools/reference/export_onnx.py}) or, with {@code --bn}, {@code DIR/fssd300-bn.pth}
 * (written by {@code train_step_timing.py --bn --write-weights}) with {@link PyTorchImporter},
 * builds the training graph ({@link TrainGraphs}: FAST convolutions, SGD momentum 0.9, weight decay
 * 5e-4, learning rate 1e-4), runs one step (warm-up) and then {@code --runs} timed steps by {@code
 * --engine} (default PLAN, the oneDNN training plan; GRAPH is DL4J's {@code fit}; both forward +
 * loss + backward + update), and prints:
 *
 * <pre>
 * TRAINLOSS fssd4j &lt;loc loss&gt; &lt;conf loss&gt; &lt;positives&gt;      (of the first step, at the initial weights)
 * TRAIN fssd4j-fp32 batch &lt;B&gt; &lt;median ms/step&gt; &lt;min ms/step&gt; &lt;every step's ms, comma-separated&gt;
 * </pre>
 *
 * <p>({@code fssd4j-bn} and {@code fssd4j-bn-fp32} with {@code --bn}; {@code fssd4j-bf16} for both
 * names with {@code --precision BF16}, whose first-step loss is bf16's, not comparable to 1e-6.)
 *
 * <p>The first-step loss must equal PyTorch's (same weights, same batch, same loss) up to float
 * rounding: the script prints both.
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -cp fssd-benchmarks/target/fssd-benchmarks.jar org.fssd.bench.TrainCompare \
 *     --dir DIR [--batch 8] [--runs 3] [--engine PLAN|GRAPH] [--conv-algorithm AUTO|DIRECT]
 *     [--bn] [--export-batch] [--help]
 * </pre>
 */
@Command(
    name = "TrainCompare",
    sortOptions = false,
    description =
        "One FSSD300 training step on the weights DIR/fssd300.pth (--bn: DIR/fssd300-bn.pth) and"
            + " the batch in DIR (or, with --export-batch, writes that batch); prints TRAINLOSS and"
            + " TRAIN lines.")
public final class TrainCompare implements Callable<Integer> {
  @Mixin private BenchMains.Help help;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      required = true,
      description =
          "the directory of fssd300.pth (tools/reference/export_onnx.py) and of the batch")
  private Path dir;

  @Option(
      names = "--batch",
      paramLabel = "B",
      defaultValue = "8",
      description =
          "images in the batch that --export-batch writes; a timing run uses the batch in DIR"
              + " (default: ${DEFAULT-VALUE})")
  private int batch;

  @Option(
      names = "--runs",
      paramLabel = "N",
      defaultValue = "3",
      description = "timed training steps after the warm-up step (default: ${DEFAULT-VALUE})")
  private int runs;

  @Option(
      names = "--engine",
      paramLabel = "PLAN|GRAPH",
      defaultValue = "PLAN",
      description =
          "how the step is computed: PLAN (oneDNN training plan, what fssd train uses on the CPU)"
              + " or GRAPH (DL4J's fit) (default: ${DEFAULT-VALUE})")
  private TrainingEngine engine;

  @Option(
      names = "--conv-algorithm",
      paramLabel = "AUTO|DIRECT",
      defaultValue = "AUTO",
      description = "convolutions of the PLAN engine (default: ${DEFAULT-VALUE})")
  private PlanOptions.Algorithm algorithm;

  @Option(
      names = "--precision",
      paramLabel = "FP32|BF16",
      defaultValue = "FP32",
      description =
          "arithmetic of the PLAN engine: FP32, or BF16 mixed precision (needs AVX512_BF16);"
              + " output names fssd4j[-bn]-bf16 (default: ${DEFAULT-VALUE})")
  private PlanOptions.Precision precision;

  @Option(
      names = "--bn",
      description =
          "the BN variant: weights DIR/fssd300-bn.pth (train_step_timing.py --bn --write-weights);"
              + " output names fssd4j-bn, fssd4j-bn-fp32")
  private boolean bn;

  @Option(
      names = "--export-batch",
      description = "write the training batch into --dir as .npy files and exit")
  private boolean export;

  @Spec private CommandSpec spec;

  private TrainCompare() {}

  /** Entry point; see the class Javadoc ({@code --help} lists the options). */
  public static void main(String[] args) {
    BenchMains.run(new TrainCompare(), args);
  }

  /** Exports the batch or times the training step; picocli calls it. */
  @Override
  public Integer call() throws Exception {
    BenchMains.checkAtLeast(spec, "--batch", batch, 1);
    BenchMains.checkAtLeast(spec, "--runs", runs, 1);
    FssdConfig config = FssdConfig.voc300();
    if (export) {
      Files.createDirectories(dir);
      TrainBatch b = TrainBatch.shapes(config, batch);
      b.write(dir);
      System.out.printf(
          "NOTE training batch: %d shapes images, %d positive priors, written to %s%n",
          b.size(), b.positives(), dir);
      return 0;
    }
    TrainBatch b = TrainBatch.read(dir);
    Path weights = dir.resolve(bn ? "fssd300-bn.pth" : "fssd300.pth");
    FssdModel imported = PyTorchImporter.importModel(weights, config);
    if (imported.config().batchNorm() != bn) {
      throw new IllegalArgumentException(
          weights
              + " holds the "
              + (bn ? "plain" : "BN")
              + " variant; "
              + (bn ? "--bn" : "without --bn, TrainCompare")
              + " needs the "
              + (bn ? "BN" : "plain")
              + " one");
    }
    ComputationGraph graph = TrainGraphs.create(imported, ConvImpl.FAST);
    String layers = TrainGraphs.check(graph, ConvImpl.FAST);
    MultiDataSet data = b.toTrainingData();
    try (TrainingStep step =
        engine.step(
            imported.config(),
            graph,
            PlanOptions.builder().algorithm(algorithm).precision(precision).build())) {
      return time(step, graph, data, layers, b.size());
    }
  }

  private int time(
      TrainingStep step, ComputationGraph graph, MultiDataSet data, String layers, int size) {
    step.fit(data.getFeatures(0), data.getLabels(0));
    MultiBoxLoss.Result first = TrainingGraph.loss(graph).lastResult();
    String name =
        (bn ? "fssd4j-bn" : "fssd4j")
            + (precision == PlanOptions.Precision.FP32
                ? ""
                : "-" + precision.name().toLowerCase(Locale.ROOT));
    System.out.printf(
        Locale.ROOT,
        "TRAINLOSS %s %.6f %.6f %d%n",
        name,
        first.locLoss(),
        first.confLoss(),
        first.numPositives());
    System.out.printf(
        "NOTE %s engine %s%n",
        name,
        engine == TrainingEngine.PLAN
            ? "PLAN (" + algorithm + "): the oneDNN training plan computes the passes"
            : "GRAPH: DL4J fit on " + layers);
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      step.fit(data.getFeatures(0), data.getLabels(0));
      ms.add((System.nanoTime() - t0) / 1e6);
    }
    if (!Double.isFinite(graph.score())) {
      throw new IllegalStateException("training diverged: loss " + graph.score());
    }
    System.out.printf(
        Locale.ROOT,
        "TRAIN %s batch %d %.3f %.3f %s%n",
        precision == PlanOptions.Precision.FP32 ? name + "-fp32" : name,
        size,
        BenchMains.median(ms),
        BenchMains.min(ms),
        ms.stream()
            .map(d -> String.format(Locale.ROOT, "%.3f", d))
            .collect(Collectors.joining(",")));
    return 0;
  }
}
