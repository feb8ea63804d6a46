package org.fssd.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.ConvImpl;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.train.TrainingGraph;
import org.fssd.train.loss.MultiBoxLoss;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * The Java half of the training line of {@code tools/bench-compare.sh}: one training step of
 * FSSD300 (plain, VOC, 21 classes) on the same weights and the same batch as {@code
 * tools/reference/train_step_timing.py}.
 *
 * <p>{@code --export-batch} writes the batch ({@link TrainBatch#shapes}, batch {@code --batch})
 * into {@code --dir} as {@code .npy} files and exits. Otherwise it reads that batch back, imports
 * the weights {@code DIR/fssd300.pth} (written by {@code tools/reference/export_onnx.py}) with
 * {@link PyTorchImporter}, builds the training graph ({@link TrainGraphs}: FAST convolutions,
 * SGD momentum 0.9, weight decay 5e-4, learning rate 1e-4), runs one step (warm-up) and then
 * {@code --runs} timed steps, and prints:
 *
 * <pre>
 * TRAINLOSS fssd4j &lt;loc loss&gt; &lt;conf loss&gt; &lt;positives&gt;      (of the first step, at the initial weights)
 * TRAIN fssd4j-fp32 batch &lt;B&gt; &lt;median ms/step&gt; &lt;min ms/step&gt; &lt;every step's ms, comma-separated&gt;
 * </pre>
 *
 * <p>The first-step loss must equal PyTorch's (same weights, same batch, same loss) up to float
 * rounding: the script prints both.
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -cp fssd-benchmarks/target/fssd-benchmarks.jar org.fssd.bench.TrainCompare \
 *     --dir DIR [--batch 8] [--runs 3] [--export-batch]
 * </pre>
 */
public final class TrainCompare {
  private TrainCompare() {}

  /** Entry point; see the class Javadoc. */
  public static void main(String[] args) throws Exception {
    Path dir = null;
    int batch = 8;
    int runs = 3;
    boolean export = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--dir":
          dir = Path.of(args[++i]);
          break;
        case "--batch":
          batch = Integer.parseInt(args[++i]);
          break;
        case "--runs":
          runs = Integer.parseInt(args[++i]);
          break;
        case "--export-batch":
          export = true;
          break;
        default:
          throw new IllegalArgumentException("unknown option " + args[i]
              + " (expected --dir DIR, --batch N, --runs N, --export-batch)");
      }
    }
    if (dir == null) {
      throw new IllegalArgumentException("--dir DIR is required");
    }
    FssdConfig config = FssdConfig.voc300();
    if (export) {
      Files.createDirectories(dir);
      TrainBatch b = TrainBatch.shapes(config, batch);
      b.write(dir);
      System.out.printf("NOTE training batch: %d shapes images, %d positive priors, written to %s%n",
          b.size(), b.positives(), dir);
      return;
    }
    TrainBatch b = TrainBatch.read(dir);
    FssdModel imported = PyTorchImporter.importModel(dir.resolve("fssd300.pth"), config);
    ComputationGraph graph = TrainGraphs.create(imported, ConvImpl.FAST);
    String layers = TrainGraphs.check(graph, ConvImpl.FAST);
    MultiDataSet data = b.toTrainingData();
    graph.fit(data);
    MultiBoxLoss.Result first = TrainingGraph.loss(graph).lastResult();
    System.out.printf(Locale.ROOT, "TRAINLOSS fssd4j %.6f %.6f %d%n", first.locLoss(), first.confLoss(),
        first.numPositives());
    System.out.printf("NOTE fssd4j training graph: %s%n", layers);
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      graph.fit(data);
      ms.add((System.nanoTime() - t0) / 1e6);
    }
    if (!Double.isFinite(graph.score())) {
      throw new IllegalStateException("training diverged: loss " + graph.score());
    }
    double[] a = ms.stream().mapToDouble(Double::doubleValue).toArray();
    System.out.printf(Locale.ROOT, "TRAIN fssd4j-fp32 batch %d %.3f %.3f %s%n", b.size(), BenchTable.median(a),
        ms.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
        ms.stream().map(d -> String.format(Locale.ROOT, "%.3f", d)).collect(Collectors.joining(",")));
  }
}
