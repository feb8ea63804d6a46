package org.fssd.bench;

import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.ConvImpl;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;
import org.fssd.train.TrainingEngine;
import org.fssd.train.TrainingStep;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step of the FSSD training graph ({@link org.fssd.train.TrainingGraph}) on one batch,
 * by the {@code engine} under test (PLAN: oneDNN training plan; GRAPH: {@code
 * ComputationGraph.fit}) = forward in training mode, MultiBox loss (SPEC §6, hard negative mining),
 * backward, and the SGD update (PyTorch semantics: momentum 0.9, weight decay 5e-4 on every
 * parameter). One operation = one step on one batch; ms/image = score / batch. The data pipeline is
 * not included (one fixed batch, {@link TrainBatch}: shapes images through the SPEC §8 augmentation
 * and §5 matching, made in setup); {@code IteratorBenchmark} measures it.
 *
 * <p>Axes: {@code model} voc300 (default; VOC, 21 classes) | half300 | pruned300 | eighth300
 * ({@link BenchModels}; eighth300 is a small network for smoke runs), {@code bn} false (the plain
 * network) | true (the BN variant of SPEC §2.7: every body convolution followed by batch norm,
 * which runs on {@link org.fssd.train.optim.FastBatchNormHelper}), {@code batch} 8, {@code conv}
 * FAST ({@link org.fssd.model.graph.FastConvolutionLayer}, what the trainer uses) | STOCK (DL4J's
 * im2col layer; minutes per step at full width). Setup checks that the graph really runs those
 * layers and helpers (it fails with the layer's name otherwise) and runs one step (JIT and oneDNN
 * primitive creation); a step takes tens of seconds at full width on 2 cores, so the mode is
 * single-shot: every iteration is one timed step.
 *
 * <p>The weights change at every step (as in training, so the FAST layers re-order their weights
 * once per step, which belongs to the cost of a step). The score of the step (loss) is returned to
 * JMH. PyTorch's figure for the same step: {@code tools/reference/train_step_timing.py}; the two
 * side by side on the same batch and weights: {@code tools/bench-compare.sh}.
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -jar fssd-benchmarks/target/fssd-benchmarks.jar TrainStepBenchmark
 * OMP_NUM_THREADS=2 java -jar fssd-benchmarks/target/fssd-benchmarks.jar TrainStepBenchmark -p model=eighth300 -wi 1 -i 3
 * OMP_NUM_THREADS=2 java -jar fssd-benchmarks/target/fssd-benchmarks.jar TrainStepBenchmark -p engine=PLAN -p bn=false -p precision=FP32,BF16
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Xmx4g",
      "-Dorg.bytedeco.javacpp.maxbytes=14G",
      "-Dorg.bytedeco.javacpp.maxphysicalbytes=18G"
    })
public class TrainStepBenchmark {
  /** Network widths: voc300, half300, pruned300 or eighth300. */
  @Param({"voc300"})
  public String model;

  /** The BN variant (true) or the plain network (false). */
  @Param({"false", "true"})
  public boolean bn;

  /** Images per step. */
  @Param({"8"})
  public int batch;

  /** Convolution layer of the graph: FAST (default) or STOCK. */
  @Param({"FAST"})
  public ConvImpl conv;

  /**
   * How the step is computed: PLAN (default: the oneDNN training plan, AUTO convolutions, what
   * {@code fssd train} uses on the CPU) or GRAPH (DL4J's {@code fit}). Same loss, updater and
   * update either way ({@link org.fssd.train.TrainingEngine}).
   */
  @Param({"PLAN", "GRAPH"})
  public TrainingEngine engine;

  /**
   * Arithmetic of the PLAN engine: FP32 (default) or BF16 (mixed precision: bfloat16 activations
   * and weight copies, fp32 master weights; needs AVX512_BF16). GRAPH runs FP32 only (setup fails
   * for another value).
   */
  @Param({"FP32"})
  public PlanOptions.Precision precision;

  private ComputationGraph graph;
  private MultiDataSet data;
  private TrainingStep trainingStep;

  /** Builds the training graph and the batch, checks the layers, runs one step. */
  @Setup(Level.Trial)
  public void setUp() {
    FssdConfig config = BenchModels.config(model).toBuilder().batchNorm(bn).build();
    graph = TrainGraphs.create(FssdModel.create(config, Labels.voc(), BenchModels.SEED), conv);
    // the graph's own layers compute the step only on GRAPH; PLAN runs oneDNN primitives instead
    String layers =
        engine == TrainingEngine.GRAPH
            ? TrainGraphs.check(graph, conv)
            : "oneDNN training plan (graph layers not used)";
    TrainBatch b = TrainBatch.shapes(config, batch);
    data = b.toTrainingData();
    trainingStep =
        engine.step(
            config,
            graph,
            PlanOptions.builder()
                .algorithm(PlanOptions.Algorithm.AUTO)
                .precision(precision)
                .build());
    step();
    if (!Double.isFinite(graph.score())) {
      throw new IllegalStateException("the first step's loss is " + graph.score());
    }
    System.out.printf(
        "# %s (%s), engine %s %s, bn=%s, batch %d, %d positives; %s; %.2f G MACs/image forward%n",
        model,
        BenchModels.describe(model),
        engine,
        precision,
        bn,
        batch,
        b.positives(),
        layers,
        config.macsPerImage() / 1e9);
  }

  /** One training step on the batch; returns the step's loss. */
  @Benchmark
  public double step() {
    return trainingStep.fit(data.getFeatures(0), data.getLabels(0));
  }

  /** Frees the plan. */
  @TearDown(Level.Trial)
  public void tearDown() {
    trainingStep.close();
  }
}
