package org.fssd.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Java half of {@code tools/bench-compare.sh}: times ONNX Runtime and fssd4j on the same
 * random-weight FSSD (the directory written by {@code tools/reference/export_onnx.py}: {@code
 * fssdS.pth}, {@code fssdS.onnx}, {@code input.npy}, the PyTorch outputs) and prints one {@code
 * RESULT} line per engine for the script to tabulate.
 *
 * <p>Engines: ONNX Runtime (CPU execution provider, {@code threads} intra-op threads, one
 * inter-op thread, sequential, all graph optimisations) on {@code fssdS.onnx}; the fssd4j oneDNN
 * plan (FP32) on the same weights imported from {@code fssdS.pth} by {@link PyTorchImporter}; the
 * DL4J graph at batch 1 ({@code --graph-runs}, 0 to skip); for FSSD300 the oneDNN plan on the
 * published pruned widths ({@code -pruned}: base, conv6, conv7 only) and on uniform 50 % widths
 * ({@code -half}: every prunable layer at half width), random weights, seed 1 (speed does not
 * depend on the values); with {@code --bf16} on a CPU with AVX512_BF16, the BF16 plan.
 *
 * <p>Method: each engine is built and warmed (3 runs) first; then {@code runs} rounds alternate
 * the engines (one run each, 50 ms pause between engines so that spinning thread pools go idle),
 * so that a change of machine load hits all engines alike. Reported: median and minimum ms per
 * image, and the max |difference| of the engine's raw outputs (loc and conf logits of the first
 * image) from ONNX Runtime's and from PyTorch's ({@code fssdS_loc.npy}/{@code _conf.npy}).
 *
 * <p>Line format: {@code RESULT <name> <median ms/image> <min ms/image> <max|diff| vs ORT> <max|diff|
 * vs PyTorch>} (diffs {@code -} where not comparable).
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -Xmx6g -cp fssd-benchmarks/target/fssd-benchmarks.jar org.fssd.bench.OnnxCompare \
 *     --dir DIR [--size 300] [--threads 2] [--batch 1] [--runs 10] [--graph-runs 2] [--bf16]
 * </pre>
 */
public final class OnnxCompare {
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

  /** Entry point; see the class Javadoc. */
  public static void main(String[] args) throws Exception {
    Path dir = null;
    int size = 300;
    int threads = 2;
    int batch = 1;
    int runs = 10;
    int graphRuns = 2;
    boolean bf16 = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--dir":
          dir = Path.of(args[++i]);
          break;
        case "--size":
          size = Integer.parseInt(args[++i]);
          break;
        case "--threads":
          threads = Integer.parseInt(args[++i]);
          break;
        case "--batch":
          batch = Integer.parseInt(args[++i]);
          break;
        case "--runs":
          runs = Integer.parseInt(args[++i]);
          break;
        case "--graph-runs":
          graphRuns = Integer.parseInt(args[++i]);
          break;
        case "--bf16":
          bf16 = true;
          break;
        default:
          throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (dir == null) {
      throw new IllegalArgumentException("--dir DIR (written by tools/reference/export_onnx.py) is required");
    }
    FssdConfig preset = FssdConfig.preset("voc" + size);
    float[] one = Nd4j.createFromNpyFile(dir.resolve("input.npy").toFile()).ravel().toFloatVector();
    float[] input = new float[one.length * batch];
    for (int n = 0; n < batch; n++) {
      System.arraycopy(one, 0, input, n * one.length, one.length);
    }
    float[] torchLoc = Nd4j.createFromNpyFile(dir.resolve("fssd" + size + "_loc.npy").toFile()).ravel().toFloatVector();
    float[] torchConf = Nd4j.createFromNpyFile(dir.resolve("fssd" + size + "_conf.npy").toFile()).ravel().toFloatVector();

    List<Runner> runners = new ArrayList<>();
    runners.add(ortRunner(dir.resolve("fssd" + size + ".onnx"), input, batch, size, threads,
        torchLoc.length * batch, torchConf.length * batch));
    FssdModel imported = PyTorchImporter.importModel(dir.resolve("fssd" + size + ".pth"), preset);
    runners.add(planRunner("fssd4j-onednn-fp32", imported, input, batch, PlanOptions.defaults()));
    if (bf16) {
      if (OneDnnPlan.cpuHasBf16()) {
        runners.add(planRunner("fssd4j-onednn-bf16", imported, input, batch,
            PlanOptions.builder().precision(PlanOptions.Precision.BF16).build()));
      } else {
        System.out.println("NOTE no AVX512_BF16 on this CPU: BF16 plan not timed");
      }
    }
    if (size == 300) { // the pruned widths are FSSD300's
      for (String[] m : new String[][] {{"pruned300", "pruned"}, {"half300", "half"}}) {
        FssdModel model = BenchModels.model(m[0]);
        float[] randomInput = BenchModels.randomInput(model.config(), batch);
        runners.add(planRunner("fssd4j-onednn-fp32-" + m[1], model, randomInput, batch, PlanOptions.defaults()));
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
    Runner ort = runners.get(0);
    int locPer = torchLoc.length;
    int confPer = torchConf.length;
    for (Runner r : runners) {
      boolean comparable = !(r.name.endsWith("-pruned") || r.name.endsWith("-half"));
      String vsOrt = comparable && r != ort ? fmt(Math.max(maxDiff(r.loc, ort.loc, locPer), maxDiff(r.conf, ort.conf, confPer))) : "-";
      String vsTorch = comparable ? fmt(Math.max(maxDiff(r.loc, torchLoc, locPer), maxDiff(r.conf, torchConf, confPer))) : "-";
      System.out.printf(Locale.ROOT, "RESULT %s %.3f %.3f %s %s%n", r.name, BenchTable.median(toArray(r.ms)),
          min(r.ms), vsOrt, vsTorch);
      r.close();
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
      System.out.printf(Locale.ROOT, "RESULT %s %.3f %.3f %s %s%n", "fssd4j-graph-fp32-b1",
          BenchTable.median(toArray(ms)), min(ms),
          fmt(Math.max(maxDiff(gl, ort.loc, locPer), maxDiff(gc, ort.conf, confPer))),
          fmt(Math.max(maxDiff(gl, torchLoc, locPer), maxDiff(gc, torchConf, confPer))));
    }
  }

  private static Runner ortRunner(Path onnx, float[] input, int batch, int size, int threads,
      int locLength, int confLength) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
    opts.setIntraOpNumThreads(threads);
    opts.setInterOpNumThreads(1);
    opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    OrtSession session = env.createSession(onnx.toString(), opts);
    OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {batch, 3, size, size});
    return new Runner("onnxruntime-" + OrtEnvironment.getEnvironment().getVersion() + "-fp32", locLength, confLength) {
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

  private static Runner planRunner(String name, FssdModel model, float[] input, int batch, PlanOptions options) {
    OneDnnPlan plan = OneDnnPlan.compile(model.config(), model.graph(), batch, options);
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

  private static double[] toArray(List<Double> l) {
    return l.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static double min(List<Double> l) {
    return l.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }
}
