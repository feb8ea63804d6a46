package org.fssd.bench;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.detect.Engine;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.OneDnnWeights;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.ActivationRanges;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The network forward pass alone: one batch of preprocessed NCHW floats in, raw {@code loc} and
 * {@code conf} out. No decoding, resizing or NMS. One operation = one batch, so ms/image = score /
 * batch.
 *
 * <p>Axes: {@code model} voc300 | voc512 | pruned300 (published pruned widths, base only) | half300
 * (uniform 50 % of every prunable layer) ({@link BenchModels}, random weights, seed 1), {@code
 * batch} 1 | 8, {@code engine} ONEDNN (the compiled {@link OneDnnPlan}, AUTO algorithm) | GRAPH
 * (the DL4J {@code ComputationGraph}). GRAPH takes 3-7 s per FSSD300 image on 2 cores, so it is
 * measured only for voc300 batch 1; its other combinations fail in setup with a message (JMH
 * reports them and moves on). {@code precision} FP32 (default) | BF16 applies to ONEDNN (BF16 needs
 * AVX512_BF16: {@code -p precision=BF16} on such a CPU); INT8 ({@code -p precision=INT8}) runs the
 * int8 plan with activation ranges calibrated (mse method) in setup on two random inputs of the
 * model's input distribution. Run the ONEDNN grid and the GRAPH point separately:
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -jar fssd-benchmarks/target/fssd-benchmarks.jar ForwardBenchmark -p engine=ONEDNN
 * OMP_NUM_THREADS=2 java -jar fssd-benchmarks/target/fssd-benchmarks.jar ForwardBenchmark \
 *     -p engine=GRAPH -p model=voc300 -p batch=1 -wi 1 -i 3
 * </pre>
 *
 * <p>Each fork compiles one engine for one (model, batch); the plan is built and warmed in setup,
 * outside the timing. Results (the conf array / the graph outputs) go to a {@link Blackhole}.
 * Numbers measured on the project machine are in {@code docs/performance.md}.
 */
public class ForwardBenchmark extends FullModelBenchmark {
  /** Network: voc300, voc512, pruned300 or half300 (any name of {@link BenchModels}). */
  @Param({"voc300", "voc512", "pruned300", "half300"})
  public String model;

  /** Images per forward pass. */
  @Param({"1", "8"})
  public int batch;

  /** ONEDNN or GRAPH (GRAPH only with voc300, batch 1). */
  @Param({"ONEDNN", "GRAPH"})
  public Engine engine;

  /**
   * Plan precision, ONEDNN only: FP32, BF16 (only on CPUs with AVX512_BF16; elsewhere the plan
   * refuses it and the combination fails in setup) or INT8 (calibrated in setup).
   */
  @Param({"FP32"})
  public PlanOptions.Precision precision;

  private OneDnnPlan plan;
  private ComputationGraph graph;
  private float[] input;
  private INDArray inputArray;
  private float[] loc;
  private float[] conf;

  /** Builds the model and the engine, then runs it once. */
  @Setup(Level.Trial)
  public void setUp() {
    if (engine == Engine.GRAPH && precision != PlanOptions.Precision.FP32) {
      throw new IllegalStateException("precision applies to the ONEDNN plan only; GRAPH is FP32");
    }
    if (engine == Engine.GRAPH && !(model.equals("voc300") && batch == 1)) {
      throw new IllegalStateException(
          "GRAPH is benchmarked only for model=voc300 batch=1 (3-7 s/image);"
              + " skipping model="
              + model
              + " batch="
              + batch);
    }
    FssdModel m = BenchModels.model(model);
    FssdConfig config = m.config();
    input = BenchModels.randomInput(config, batch);
    if (engine == Engine.GRAPH) {
      graph = m.graph();
      int s = config.inputSize();
      inputArray = Nd4j.create(input, new long[] {batch, 3, s, s}, 'c');
      graph.output(inputArray);
    } else {
      PlanOptions options = PlanOptions.builder().precision(precision).build();
      if (precision == PlanOptions.Precision.INT8) {
        int s = config.inputSize();
        ActivationRanges stats = new ActivationRanges(config, 1);
        stats.add(
            m.graph(),
            Nd4j.create(BenchModels.randomInput(config, 2), new long[] {2, 3, s, s}, 'c'));
        try (OneDnnWeights w =
            OneDnnWeights.of(
                config,
                m.graph(),
                options,
                stats.quantization(ActivationRanges.Method.MSE, "2 random inputs"))) {
          plan = OneDnnPlan.compile(w, batch);
        }
      } else {
        plan = OneDnnPlan.compile(config, m.graph(), batch, options);
      }
      loc = new float[plan.locLength()];
      conf = new float[plan.confLength()];
      plan.run(input, loc, conf);
    }
  }

  /** Frees the plan. */
  @TearDown(Level.Trial)
  public void tearDown() {
    if (plan != null) {
      plan.close();
    }
  }

  /** One forward pass of one batch. */
  @Benchmark
  public void forward(Blackhole bh) {
    if (plan != null) {
      plan.run(input, loc, conf);
      bh.consume(loc);
      bh.consume(conf);
    } else {
      bh.consume(graph.output(inputArray));
    }
  }
}
