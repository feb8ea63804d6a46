package org.fssd.bench;

import java.util.Arrays;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.OneDnnWeights;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.ActivationRanges;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.Quantization;
import org.fssd.testing.FloatArrays;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Not a test: times the INT8 plan against the FP32 (AUTO) plan on one model, runs alternating, and
 * prints the median ms/image of each, the ratio and the int8 plan's layers.
 *
 * <p>A quick look, not a benchmark ({@link ForwardBenchmark} with {@code precision=INT8} is the
 * measurement).
 *
 * <p>Run: {@code OMP_NUM_THREADS=2 java -cp fssd-benchmarks/target/fssd-benchmarks.jar
 * org.fssd.bench.Int8Timing [voc300] [batch] [runs] [describe]}.
 */
public final class Int8Timing {
  private Int8Timing() {}

  /** Entry point; arguments: preset, batch, runs. */
  public static void main(String[] args) {
    String preset = args.length > 0 ? args[0] : "voc300";
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 9;
    FssdConfig config = FssdConfig.preset(preset);
    ComputationGraph graph = FssdGraph.create(config, 1);
    int s = config.inputSize();
    ActivationRanges stats = new ActivationRanges(config, 1);
    stats.add(
        graph,
        Nd4j.create(FloatArrays.smoothImage(2 * 3 * s * s, 5), new long[] {2, 3, s, s}, 'c'));
    Quantization q = stats.quantization(ActivationRanges.Method.MSE, "2 smooth random images");
    float[] input = FloatArrays.smoothImage(batch * 3 * s * s, 9);
    PlanOptions int8 = PlanOptions.builder().precision(PlanOptions.Precision.INT8).build();
    try (OneDnnPlan fp32 = OneDnnPlan.compile(config, graph, batch, PlanOptions.defaults());
        OneDnnWeights w = OneDnnWeights.of(config, graph, int8, q);
        OneDnnPlan i8 = OneDnnPlan.compile(w, batch)) {
      if (args.length > 3) {
        i8.describe().forEach(l -> System.out.println("  " + l));
      }
      float[] loc = new float[fp32.locLength()];
      float[] conf = new float[fp32.confLength()];
      float[] loc8 = new float[i8.locLength()];
      float[] conf8 = new float[i8.confLength()];
      double[] tf = new double[runs];
      double[] ti = new double[runs];
      for (int r = -2; r < runs; r++) {
        long t0 = System.nanoTime();
        fp32.run(input, loc, conf);
        long t1 = System.nanoTime();
        i8.run(input, loc8, conf8);
        long t2 = System.nanoTime();
        if (r >= 0) {
          tf[r] = (t1 - t0) / 1e6 / batch;
          ti[r] = (t2 - t1) / 1e6 / batch;
        }
      }
      double se = 0;
      double ss = 0;
      for (int i = 0; i < conf.length; i++) {
        se += (conf8[i] - conf[i]) * (double) (conf8[i] - conf[i]);
        ss += conf[i] * (double) conf[i];
      }
      System.out.printf(
          "%s batch %d: fp32 %.1f ms/image, int8 %.1f ms/image (medians of %d, alternating),"
              + " fp32/int8 %.2fx; conf rms error %.4f of rms%n",
          preset, batch, median(tf), median(ti), runs, median(tf) / median(ti), Math.sqrt(se / ss));
    }
  }

  private static double median(double[] t) {
    double[] c = t.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }
}
