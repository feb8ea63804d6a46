package org.fssd.bench;

import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.engine.onednn.PlanOptions.Algorithm;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.FssdTestModels;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A quick look, not a benchmark ({@link ForwardBenchmark} is the measurement): times one forward
 * pass of the DL4J graph against the oneDNN plans of every convolution algorithm and BF16 (median
 * of a few runs after warm-up) and prints ms/image and the max difference of the outputs.
 *
 * <p>Run (threads from the environment): {@code OMP_NUM_THREADS=2 java -cp
 * fssd-benchmarks/target/fssd-benchmarks.jar org.fssd.bench.OneDnnTiming
 * [voc300|voc512|narrow300|narrow512] [batch] [runs] [nograph]}.
 */
public final class OneDnnTiming {
  private OneDnnTiming() {}

  /** Entry point; arguments: model, batch, runs. */
  public static void main(String[] args) {
    String model = args.length > 0 ? args[0] : "voc300";
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    boolean skipGraph = args.length > 3 && args[3].equals("nograph");
    FssdConfig config;
    switch (model) {
      case "narrow300":
        config = FssdTestModels.narrow300(21, false);
        break;
      case "narrow512":
        config = FssdTestModels.narrow512(21, false);
        break;
      default:
        config = FssdConfig.preset(model);
    }
    ComputationGraph graph = FssdGraph.create(config, 1);
    int s = config.inputSize();
    float[] input = new float[batch * 3 * s * s];
    Random rng = new Random(1);
    for (int i = 0; i < input.length; i++) {
      input[i] = rng.nextFloat() * 2 - 1;
    }
    INDArray in = Nd4j.create(input, new long[] {batch, 3, s, s}, 'c');
    float[] refLoc = null;
    if (!skipGraph) {
      double[] t = new double[runs];
      INDArray[] out = null;
      for (int i = -1; i < runs; i++) {
        long t0 = System.nanoTime();
        out = graph.output(in);
        if (i >= 0) {
          t[i] = (System.nanoTime() - t0) / 1e6 / batch;
        }
      }
      refLoc = Nd4j.toFlattened('c', out[0]).toFloatVector();
      System.out.printf(
          "%s batch %d graph: %.1f ms/image (median of %d)%n", model, batch, median(t), runs);
    }
    PlanOptions[] all = {
      PlanOptions.builder().algorithm(Algorithm.AUTO).build(),
      PlanOptions.builder().algorithm(Algorithm.DIRECT).build(),
      PlanOptions.builder().algorithm(Algorithm.WINOGRAD).build(),
      PlanOptions.builder().precision(PlanOptions.Precision.BF16).build()
    };
    for (PlanOptions o : all) {
      String a = o.precision() == PlanOptions.Precision.BF16 ? "BF16" : o.algorithm().name();
      if (o.precision() == PlanOptions.Precision.BF16 && !OneDnnPlan.cpuHasBf16()) {
        System.out.printf(
            "%s batch %d plan BF16: skipped (this CPU has no AVX512_BF16)%n", model, batch);
        continue;
      }
      long c0 = System.nanoTime();
      try (OneDnnPlan plan = OneDnnPlan.compile(config, graph, batch, o)) {
        double compileMs = (System.nanoTime() - c0) / 1e6;
        float[] loc = new float[plan.locLength()];
        float[] conf = new float[plan.confLength()];
        double[] t = new double[runs];
        for (int i = -2; i < runs; i++) {
          long t0 = System.nanoTime();
          plan.run(input, loc, conf);
          if (i >= 0) {
            t[i] = (System.nanoTime() - t0) / 1e6 / batch;
          }
        }
        double diff = 0;
        if (refLoc != null) {
          for (int i = 0; i < loc.length; i++) {
            diff = Math.max(diff, Math.abs(loc[i] - refLoc[i]));
          }
        }
        System.out.printf(
            "%s batch %d plan %s: %.1f ms/image (median of %d), compile %.0f ms, max |loc diff| %.2e%n",
            model, batch, a, median(t), runs, compileMs, diff);
      }
    }
  }

  private static double median(double[] t) {
    double[] c = t.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }
}
