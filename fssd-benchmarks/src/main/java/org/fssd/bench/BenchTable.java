package org.fssd.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.detect.Engine;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The quick speed table behind {@code fssd bench}: for FSSD300 with full widths, the published
 * pruned widths (base only) and uniform 50 % widths ({@link BenchModels}: voc300, pruned300,
 * half300), batch 1 and 8, on the ONEDNN plan (FP32), plus the DL4J GRAPH engine once at batch 1,
 * it times the network forward pass (warm-up, then the median of N runs) and prints images/s,
 * ms/image, achieved GFLOP/s and peak RSS.
 *
 * <p>GFLOP/s counts 2 floating-point operations per multiply-add of the convolutions ({@link
 * FssdConfig#macsPerImage()}: 38.06 G MACs per FSSD300 image), i.e. 2 x MACs x images / time;
 * pools, resizes and the heads' re-orders are not counted. It is an <em>effective</em> rate: the
 * plan runs most 3x3 layers with Winograd kernels, which do several times fewer multiplications
 * than the direct count, so the figure can exceed the CPU's FP32 peak. Peak RSS is {@code VmHWM} of
 * {@code /proc/self/status}: each row runs in its own child JVM (same java, class path and JVM
 * options) so that the figure belongs to that row alone (model build + plan + buffers, JVM
 * included).
 *
 * <p>Usage ({@code OMP_NUM_THREADS} must be set before the JVM starts; children inherit it):
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -cp fssd-benchmarks/target/fssd-benchmarks.jar org.fssd.bench.BenchTable \
 *     [--runs N] [--graph-runs N] [--no-graph] [--models voc300,pruned300,half300] [--batches 1,8] [--help]
 * </pre>
 */
@Command(
    name = "fssd bench",
    sortOptions = false,
    description =
        "Times the FSSD300 forward pass (full, pruned and half widths; oneDNN plan, and the DL4J"
            + " graph at batch 1) and prints images/s, ms/image, GFLOP/s and peak RSS, one child JVM per row.")
public final class BenchTable implements Callable<Integer> {
  private static final String ROW = "ROW\t";
  private static final List<String> MODEL_NAMES = List.of(BenchModels.NAMES.split(", "));

  @Mixin private BenchMains.Help help;

  @Option(
      names = "--runs",
      paramLabel = "N",
      defaultValue = "10",
      description =
          "timed runs per oneDNN row, after warm-up; the median is reported (default: ${DEFAULT-VALUE})")
  private int runs;

  @Option(
      names = "--graph-runs",
      paramLabel = "N",
      defaultValue = "3",
      description = "timed runs of the DL4J graph row (default: ${DEFAULT-VALUE})")
  private int graphRuns;

  @Option(names = "--no-graph", description = "leave out the DL4J graph row")
  private boolean noGraph;

  @Option(
      names = "--models",
      paramLabel = "MODEL",
      split = ",",
      defaultValue = "voc300,pruned300,half300",
      description = "benchmark models, of " + BenchModels.NAMES + " (default: ${DEFAULT-VALUE})")
  private List<String> models;

  @Option(
      names = "--batches",
      paramLabel = "B",
      split = ",",
      defaultValue = "1,8",
      description = "batch sizes of the oneDNN rows (default: ${DEFAULT-VALUE})")
  private List<Integer> batches;

  /** Internal: the parent runs each row as {@code --row MODEL ENGINE BATCH RUNS} in a child JVM. */
  @Option(names = "--row", arity = "4", hidden = true)
  private String[] row;

  @Spec private CommandSpec spec;

  private BenchTable() {}

  /** Entry point; see the class Javadoc for the options ({@code --help} lists them). */
  public static void main(String[] args) {
    BenchMains.run(new BenchTable(), args);
  }

  /** Runs the table (or, with the internal {@code --row}, one row); picocli calls it. */
  @Override
  public Integer call() throws IOException, InterruptedException {
    if (row != null) {
      System.out.println(
          ROW
              + String.join(
                  "\t",
                  measureRow(
                      row[0],
                      Engine.valueOf(row[1]),
                      Integer.parseInt(row[2]),
                      Integer.parseInt(row[3]))));
      return 0;
    }
    BenchMains.checkAtLeast(spec, "--runs", runs, 1);
    if (!noGraph) {
      BenchMains.checkAtLeast(spec, "--graph-runs", graphRuns, 1);
    }
    for (String model : models) {
      if (!MODEL_NAMES.contains(model)) {
        throw new ParameterException(
            spec.commandLine(),
            "unknown model '" + model + "' in --models: expected some of " + BenchModels.NAMES);
      }
    }
    for (int b : batches) {
      BenchMains.checkAtLeast(spec, "--batches", b, 1);
    }
    System.out.printf(
        "fssd bench: %s, OMP_NUM_THREADS=%s, FP32, forward pass only, median of %d runs"
            + " after warm-up (GRAPH: %d)%n",
        cpuModel(), System.getenv("OMP_NUM_THREADS"), runs, graphRuns);
    System.out.printf(
        "GFLOP/s = 2 x conv multiply-adds x images / time (FSSD300 = 38.06 G MACs/image)%n");
    for (String model : models) {
      System.out.printf("%-10s %s%n", model, BenchModels.describe(model));
    }
    System.out.println();
    String header =
        String.format(
            "%-10s %-7s %5s %9s %10s %9s %10s %12s",
            "model", "engine", "batch", "img/s", "ms/image", "GFLOP/s", "GMAC/img", "peak RSS MiB");
    System.out.println(header);
    System.out.println("-".repeat(header.length()));
    for (String model : models) {
      for (int b : batches) {
        printRow(runChild(model, Engine.ONEDNN, b, runs));
      }
    }
    if (!noGraph) {
      printRow(runChild("voc300", Engine.GRAPH, 1, graphRuns));
    }
    return 0;
  }

  private static void printRow(String[] f) {
    if (f == null) {
      return;
    }
    System.out.printf(
        "%-10s %-7s %5s %9.2f %10.1f %9.1f %10.2f %12.0f%n",
        f[0],
        f[1],
        f[2],
        Double.parseDouble(f[3]),
        Double.parseDouble(f[4]),
        Double.parseDouble(f[5]),
        Double.parseDouble(f[6]),
        Double.parseDouble(f[7]));
  }

  /**
   * Runs one row in a child JVM and returns its fields, or null (after printing why) on failure.
   */
  private static String[] runChild(String model, Engine engine, int batch, int runs)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(BenchTable.class.getName());
    cmd.add("--row");
    cmd.add(model);
    cmd.add(engine.name());
    cmd.add(Integer.toString(batch));
    cmd.add(Integer.toString(runs));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String[] fields = null;
    List<String> other = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith(ROW)) {
          fields = line.substring(ROW.length()).split("\t");
        } else {
          other.add(line);
        }
      }
    }
    int rc = p.waitFor();
    if (rc != 0 || fields == null) {
      System.out.printf(
          "%-10s %-7s %5d  FAILED (exit %d): %s%n",
          model, engine, batch, rc, other.isEmpty() ? "" : other.get(other.size() - 1));
      return null;
    }
    return fields;
  }

  /** Times one configuration in this JVM; returns the row's fields. */
  static String[] measureRow(String model, Engine engine, int batch, int runs) {
    FssdModel m = BenchModels.model(model);
    FssdConfig config = m.config();
    float[] input = BenchModels.randomInput(config, batch);
    double[] ms = new double[runs];
    if (engine == Engine.GRAPH) {
      ComputationGraph graph = m.graph();
      int s = config.inputSize();
      INDArray in = Nd4j.create(input, new long[] {batch, 3, s, s}, 'c');
      graph.output(in); // warm-up
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        graph.output(in);
        ms[i] = (System.nanoTime() - t0) / 1e6;
      }
    } else {
      try (OneDnnPlan plan = OneDnnPlan.compile(config, m.graph(), batch, PlanOptions.defaults())) {
        float[] loc = new float[plan.locLength()];
        float[] conf = new float[plan.confLength()];
        for (int i = 0; i < 3; i++) {
          plan.run(input, loc, conf); // warm-up
        }
        for (int i = 0; i < runs; i++) {
          long t0 = System.nanoTime();
          plan.run(input, loc, conf);
          ms[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    double msPerImage = BenchMains.median(ms) / batch;
    double macs = config.macsPerImage();
    return new String[] {
      model,
      engine.name(),
      Integer.toString(batch),
      Double.toString(1000.0 / msPerImage),
      Double.toString(msPerImage),
      Double.toString(2 * macs / (msPerImage * 1e6)),
      Double.toString(macs / 1e9),
      Double.toString(ProcStatus.peakRssMib())
    };
  }

  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim()
              + " x"
              + Runtime.getRuntime().availableProcessors();
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return System.getProperty("os.arch");
  }
}
