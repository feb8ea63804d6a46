package org.fssd.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.detect.Engine;
import org.fssd.detect.FssdDetector;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.OneDnnWeights;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.ActivationRanges;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Quantization;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The Java half of {@code tools/bench-compare.sh}: times ONNX Runtime and fssd4j on the same
 * random-weight FSSD (the directory written by {@code tools/reference/export_onnx.py}: {@code
 * fssdS.pth}, {@code fssdS.onnx}, {@code input.npy}, the PyTorch outputs) and prints one {@code
 * RESULT} line per engine for the script to tabulate.
 *
 * <p>Engines: ONNX Runtime (CPU execution provider, {@code threads} intra-op threads, one inter-op
 * thread, sequential, all graph optimisations) on {@code fssdS.onnx}; the fssd4j oneDNN plan (FP32)
 * on the same weights imported from {@code fssdS.pth} by {@link PyTorchImporter}; the DL4J graph at
 * batch 1 ({@code --graph-runs}, 0 to skip); for FSSD300 the oneDNN plan on the published pruned
 * widths ({@code -pruned}: base, conv6, conv7 only) and on uniform 50 % widths ({@code -half}:
 * every prunable layer at half width), random weights, seed 1 (speed does not depend on the
 * values); with {@code --bf16} on a CPU with AVX512_BF16, the BF16 plan.
 *
 * <p>Method: each engine is built and warmed (3 runs) first; then {@code runs} rounds alternate the
 * engines (one run each, 50 ms pause between engines so that spinning thread pools go idle), so
 * that a change of machine load hits all engines alike. Reported: median and minimum ms per image,
 * and the max |difference| of the engine's raw outputs (loc and conf logits of the first image)
 * from ONNX Runtime's and from PyTorch's ({@code fssdS_loc.npy}/{@code _conf.npy}).
 *
 * <p>Line format: {@code RESULT <name> <median ms/image> <min ms/image> <max|diff| vs ORT>
 * <max|diff| vs PyTorch>} (diffs {@code -} where not comparable).
 *
 * <p>Peak memory: with {@code --only onnxruntime} or {@code --only fssd4j} the process builds and
 * runs just that engine and ends with {@code RSS <name> <VmHWM MiB>}, the peak resident set of the
 * whole process (JVM, model loading and the engine). {@code onnxruntime}: the session above; {@code
 * fssd4j}: what an application runs, an {@code FssdDetector} on the oneDNN engine that imports the
 * {@code .pth} itself (so it owns the model and frees its DL4J parameters once the plan is
 * compiled), {@code detect} on a synthetic image (its {@code RESULT} line, named {@code
 * fssd4j-detector-fp32}, times the whole call). Per-stage VmRSS/VmHWM and Java heap go to stderr.
 * One engine per process, since VmHWM only grows; {@code tools/bench-compare.sh} runs one such
 * process per engine for its peak-RSS column.
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -Xmx6g -cp fssd-benchmarks/target/fssd-benchmarks.jar org.fssd.bench.OnnxCompare \
 *     --dir DIR [--size 300] [--threads 2] [--batch 1] [--runs 10] [--graph-runs 2] [--bf16]
 *     [--only onnxruntime|fssd4j] [--help]
 * </pre>
 */
@Command(
    name = "OnnxCompare",
    sortOptions = false,
    description =
        "Times ONNX Runtime and fssd4j on the same random-weight FSSD (the directory written by"
            + " tools/reference/export_onnx.py) and prints one RESULT line per engine.")
public final class OnnxCompare implements Callable<Integer> {
  @Mixin private BenchMains.Help help;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      required = true,
      description = "the directory written by tools/reference/export_onnx.py")
  private Path dir;

  @Option(
      names = "--size",
      paramLabel = "S",
      defaultValue = "300",
      description = "input size, 300 or 512 (files fssdS.*) (default: ${DEFAULT-VALUE})")
  private int size;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "2",
      description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE})")
  private int threads;

  @Option(
      names = "--batch",
      paramLabel = "B",
      defaultValue = "1",
      description = "images per run (default: ${DEFAULT-VALUE})")
  private int batch;

  @Option(
      names = "--runs",
      paramLabel = "N",
      defaultValue = "10",
      description = "timed rounds over all engines (default: ${DEFAULT-VALUE})")
  private int runs;

  @Option(
      names = "--graph-runs",
      paramLabel = "N",
      defaultValue = "2",
      description =
          "timed runs of the DL4J graph at batch 1, 0 to skip (default: ${DEFAULT-VALUE})")
  private int graphRuns;

  @Option(
      names = "--bf16",
      description = "also time the BF16 oneDNN plan (on a CPU with AVX512_BF16)")
  private boolean bf16;

  @Option(
      names = "--int8",
      description = "also time the INT8 oneDNN plan, calibrated (mse ranges) on DIR/calib.npy")
  private boolean int8;

  @Option(
      names = "--only",
      paramLabel = "ENGINE",
      description =
          "run just this engine (onnxruntime or fssd4j, no graph) and print its process's peak RSS")
  private String only;

  @Option(
      names = "--algorithm",
      paramLabel = "ALG",
      defaultValue = "AUTO",
      description =
          "convolution algorithm of the fssd4j FP32 plans: AUTO (default), DIRECT or WINOGRAD")
  private PlanOptions.Algorithm algorithm;

  @Spec private CommandSpec spec;

  private OnnxCompare() {}

  /** One timed engine: runs one batch into {@code loc}/{@code conf}. */
  private abstract static class Runner implements AutoCloseable {
    final String name;
    final float[] loc;
    final float[] conf;
    final List<Double> ms = new ArrayList<>();

    Runner(String name, int locLength, int confLength) {
      this.name = name;
      this.loc = new float[locLength];
      this.conf = new float[confLength];
    }

    abstract void run() throws Exception;

    @Override
    public void close() throws Exception {}
  }

  /** Entry point; see the class Javadoc ({@code --help} lists the options). */
  public static void main(String[] args) {
    BenchMains.run(new OnnxCompare(), args);
  }

  /** Runs the comparison; picocli calls it. */
  @Override
  public Integer call() throws Exception {
    if (size != 300 && size != 512) {
      throw new ParameterException(
          spec.commandLine(), "option '--size' must be 300 or 512, got " + size);
    }
    BenchMains.checkAtLeast(spec, "--threads", threads, 1);
    BenchMains.checkAtLeast(spec, "--batch", batch, 1);
    BenchMains.checkAtLeast(spec, "--runs", runs, 1);
    BenchMains.checkAtLeast(spec, "--graph-runs", graphRuns, 0);
    if (only != null && !only.equals("onnxruntime") && !only.equals("fssd4j")) {
      throw new ParameterException(
          spec.commandLine(), "option '--only' must be onnxruntime or fssd4j, got " + only);
    }
    if ("fssd4j".equals(only)) {
      return detectorOnly();
    }
    boolean ortToo = only == null || only.equals("onnxruntime");
    boolean fssdToo = only == null || only.equals("fssd4j");
    FssdConfig preset = FssdConfig.preset("voc" + size);
    float[] one = Nd4j.createFromNpyFile(dir.resolve("input.npy").toFile()).ravel().toFloatVector();
    float[] input = new float[one.length * batch];
    for (int n = 0; n < batch; n++) {
      System.arraycopy(one, 0, input, n * one.length, one.length);
    }
    float[] torchLoc =
        Nd4j.createFromNpyFile(dir.resolve("fssd" + size + "_loc.npy").toFile())
            .ravel()
            .toFloatVector();
    float[] torchConf =
        Nd4j.createFromNpyFile(dir.resolve("fssd" + size + "_conf.npy").toFile())
            .ravel()
            .toFloatVector();

    List<Runner> runners = new ArrayList<>();
    if (ortToo) {
      runners.add(
          ortRunner(
              dir.resolve("fssd" + size + ".onnx"),
              input,
              batch,
              size,
              threads,
              torchLoc.length * batch,
              torchConf.length * batch));
    }
    System.err.println(ProcStatus.stage("start"));
    FssdModel imported =
        fssdToo ? PyTorchImporter.importModel(dir.resolve("fssd" + size + ".pth"), preset) : null;
    if (fssdToo) {
      System.err.println(ProcStatus.stage("imported"));
      runners.add(
          planRunner(
              "fssd4j-onednn-fp32",
              imported,
              input,
              batch,
              PlanOptions.builder().algorithm(algorithm).build()));
    }
    System.err.println(ProcStatus.stage("built"));
    if (only != null) {
      // one engine in this process: no BF16, pruned or graph variants
    } else if (bf16) {
      if (OneDnnPlan.cpuHasBf16()) {
        runners.add(
            planRunner(
                "fssd4j-onednn-bf16",
                imported,
                input,
                batch,
                PlanOptions.builder().precision(PlanOptions.Precision.BF16).build()));
      } else {
        System.out.println("NOTE no AVX512_BF16 on this CPU: BF16 plan not timed");
      }
    }
    if (int8 && only == null) {
      runners.add(int8Runner(imported, input, batch));
    }
    if (size == 300 && only == null) { // the pruned widths are FSSD300's
      for (String[] m : new String[][] {{"pruned300", "pruned"}, {"half300", "half"}}) {
        FssdModel model = BenchModels.model(m[0]);
        float[] randomInput = BenchModels.randomInput(model.config(), batch);
        runners.add(
            planRunner(
                "fssd4j-onednn-fp32-" + m[1], model, randomInput, batch, PlanOptions.defaults()));
      }
    }

    for (Runner r : runners) {
      for (int i = 0; i < 3; i++) {
        r.run();
      }
    }
    for (int round = 0; round < runs; round++) {
      for (Runner r : runners) {
        Thread.sleep(50);
        long t0 = System.nanoTime();
        r.run();
        r.ms.add((System.nanoTime() - t0) / 1e6 / batch);
      }
    }
    System.err.println(ProcStatus.stage("after runs"));
    Runner ort = ortToo ? runners.get(0) : null;
    int locPer = torchLoc.length;
    int confPer = torchConf.length;
    for (Runner r : runners) {
      boolean comparable = !(r.name.endsWith("-pruned") || r.name.endsWith("-half"));
      String vsOrt =
          comparable && ort != null && r != ort
              ? fmt(Math.max(maxDiff(r.loc, ort.loc, locPer), maxDiff(r.conf, ort.conf, confPer)))
              : "-";
      String vsTorch =
          comparable
              ? fmt(Math.max(maxDiff(r.loc, torchLoc, locPer), maxDiff(r.conf, torchConf, confPer)))
              : "-";
      System.out.printf(
          Locale.ROOT,
          "RESULT %s %.3f %.3f %s %s%n",
          r.name,
          BenchMains.median(r.ms),
          BenchMains.min(r.ms),
          vsOrt,
          vsTorch);
      r.close();
    }
    if (only != null) {
      System.out.printf(Locale.ROOT, "RSS %s %.0f%n", runners.get(0).name, ProcStatus.peakRssMib());
      return 0;
    }
    if (graphRuns > 0) {
      ComputationGraph graph = imported.graph();
      INDArray in = Nd4j.create(one, new long[] {1, 3, size, size}, 'c');
      INDArray[] out = graph.output(in); // warm-up
      List<Double> ms = new ArrayList<>();
      for (int i = 0; i < graphRuns; i++) {
        long t0 = System.nanoTime();
        out = graph.output(in);
        ms.add((System.nanoTime() - t0) / 1e6);
      }
      float[] gl = Nd4j.toFlattened('c', out[0]).toFloatVector();
      float[] gc = Nd4j.toFlattened('c', out[1]).toFloatVector();
      System.out.printf(
          Locale.ROOT,
          "RESULT %s %.3f %.3f %s %s%n",
          "fssd4j-graph-fp32-b1",
          BenchMains.median(ms),
          BenchMains.min(ms),
          fmt(Math.max(maxDiff(gl, ort.loc, locPer), maxDiff(gc, ort.conf, confPer))),
          fmt(Math.max(maxDiff(gl, torchLoc, locPer), maxDiff(gc, torchConf, confPer))));
    }
    return 0;
  }

  /**
   * {@code --only fssd4j}: what an application gets, an {@link FssdDetector} (oneDNN engine,
   * batch-1 plan) that imports the {@code .pth} itself, then {@code detect} on a synthetic image.
   */
  private int detectorOnly() {
    System.err.println(ProcStatus.stage("start"));
    FssdConfig preset = FssdConfig.preset("voc" + size);
    Path pth = dir.resolve("fssd" + size + ".pth");
    List<Double> ms = new ArrayList<>();
    try (FssdDetector detector =
        FssdDetector.builder()
            .model(
                () -> {
                  FssdModel m = PyTorchImporter.importModel(pth, preset);
                  System.err.println(ProcStatus.stage("imported"));
                  return m;
                },
                pth.getFileName().toString())
            .engine(Engine.ONEDNN)
            .planOptions(PlanOptions.builder().algorithm(algorithm).build())
            .maxBatch(batch)
            .scoreThreshold(0.01f)
            .build()) {
      System.err.println(ProcStatus.stage("built"));
      BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          img.setRGB(x, y, (x * 7 + y * 13) & 0xffffff);
        }
      }
      List<org.fssd.image.ImageInput> images =
          java.util.Collections.nCopies(batch, org.fssd.image.ImageInput.of(img));
      for (int i = 0; i < 3 + runs; i++) {
        long t0 = System.nanoTime();
        detector.detectBatch(images);
        if (i >= 3) {
          ms.add((System.nanoTime() - t0) / 1e6 / batch);
        }
      }
      System.err.println(ProcStatus.stage("after runs"));
    }
    // ms/image of the whole detect call (decode, preprocessing, network, NMS): not comparable with
    // the raw-output rows, hence its own name; the RSS line is the table's fssd4j-onednn-fp32 row.
    System.out.printf(
        Locale.ROOT,
        "RESULT %s %.3f %.3f - -%n",
        "fssd4j-detector-fp32",
        BenchMains.median(ms),
        BenchMains.min(ms));
    String rssName =
        "fssd4j-onednn-fp32"
            + (algorithm == PlanOptions.Algorithm.AUTO
                ? ""
                : "-" + algorithm.name().toLowerCase(Locale.ROOT));
    System.out.printf(Locale.ROOT, "RSS %s %.0f%n", rssName, ProcStatus.peakRssMib());
    return 0;
  }

  private static Runner ortRunner(
      Path onnx, float[] input, int batch, int size, int threads, int locLength, int confLength)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
    opts.setIntraOpNumThreads(threads);
    opts.setInterOpNumThreads(1);
    opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    OrtSession session = env.createSession(onnx.toString(), opts);
    OnnxTensor tensor =
        OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {batch, 3, size, size});
    return new Runner(
        "onnxruntime-" + OrtEnvironment.getEnvironment().getVersion() + "-fp32",
        locLength,
        confLength) {
      @Override
      void run() throws OrtException {
        try (OrtSession.Result result = session.run(Map.of("input", tensor))) {
          ((OnnxTensor) result.get("loc").get()).getFloatBuffer().get(loc);
          ((OnnxTensor) result.get("conf").get()).getFloatBuffer().get(conf);
        }
      }

      @Override
      public void close() throws OrtException {
        tensor.close();
        session.close();
        opts.close();
      }
    };
  }

  /**
   * The INT8 plan of {@code model}, its activation ranges calibrated (MSE method) on the images of
   * {@code calib.npy}, the calibration set the PyTorch int8 baseline uses too.
   */
  private Runner int8Runner(FssdModel model, float[] input, int batch) {
    INDArray calib =
        Nd4j.createFromNpyFile(dir.resolve("calib.npy").toFile()).castTo(DataType.FLOAT);
    ActivationRanges stats = new ActivationRanges(model.config(), 1);
    for (long i = 0; i < calib.size(0); i++) {
      stats.add(model.graph(), calib.get(NDArrayIndex.interval(i, i + 1)).dup('c'));
    }
    Quantization q =
        stats.quantization(ActivationRanges.Method.MSE, calib.size(0) + " images of calib.npy");
    OneDnnWeights w =
        OneDnnWeights.of(
            model.config(),
            model.graph(),
            PlanOptions.builder().precision(PlanOptions.Precision.INT8).build(),
            q);
    OneDnnPlan plan = OneDnnPlan.compile(w, batch);
    w.close(); // the plan holds its own reference
    return planRunner("fssd4j-onednn-int8", plan, input);
  }

  private static Runner planRunner(
      String name, FssdModel model, float[] input, int batch, PlanOptions options) {
    return planRunner(
        name, OneDnnPlan.compile(model.config(), model.graph(), batch, options), input);
  }

  /** Times {@code plan} on {@code input}; closing the runner closes the plan. */
  private static Runner planRunner(String name, OneDnnPlan plan, float[] input) {
    return new Runner(name, plan.locLength(), plan.confLength()) {
      @Override
      void run() {
        plan.run(input, loc, conf);
      }

      @Override
      public void close() {
        plan.close();
      }
    };
  }

  /** Max |a - b| over the first {@code n} values (the first image). */
  private static double maxDiff(float[] a, float[] b, int n) {
    double m = 0;
    for (int i = 0; i < n; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  private static String fmt(double d) {
    return String.format(Locale.ROOT, "%.2e", d);
  }
}
