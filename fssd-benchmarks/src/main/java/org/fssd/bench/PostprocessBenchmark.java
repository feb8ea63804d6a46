package org.fssd.bench;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fssd.detect.Detection;
import org.fssd.detect.DetectionPostprocessor;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.image.ImageLoader;
import org.fssd.image.Preprocessor;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;
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
 * SPEC §9 post-processing alone ({@link DetectionPostprocessor#process}): softmax, box decoding of
 * all 11,620 FSSD300 priors, threshold 0.01 (the evaluation setting), per-class greedy NMS at 0.45,
 * 40 per class, 200 per image, for one 500 x 375 image. One operation = one image.
 *
 * <p>Axis {@code outputs}: which raw network outputs are post-processed:
 *
 * <ul>
 *   <li>{@code narrow300}: the reference fixture model's outputs (C = 21, calibrated like a trained
 *       detector: most priors background; 200 detections, 4 classes at the 40 limit);
 *   <li>{@code bn_pruned300}: the BN fixture (C = 5; 121 detections, scores down to the threshold);
 *   <li>{@code random300}: a random-weight full FSSD300 (seed 1) on the reference image: scores
 *       spread thin, so nearly every (prior, class) pair passes 0.01 and NMS does the most work.
 * </ul>
 *
 * <p>Input mutation: {@code process} reads {@code loc}/{@code conf} without writing them (its
 * scratch space is a per-thread workspace), so the same arrays are reused without a per-invocation
 * copy; a per-iteration check fails the run if that ever stops being true. Run {@code -prof gc} to
 * see the allocation per image (the returned list and its detections).
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -jar fssd-benchmarks/target/fssd-benchmarks.jar PostprocessBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx2g"})
public class PostprocessBenchmark {
  private static final int WIDTH = 500;
  private static final int HEIGHT = 375;

  /** Source of the raw outputs: narrow300, bn_pruned300 or random300. */
  @Param({"narrow300", "bn_pruned300", "random300"})
  public String outputs;

  private DetectionPostprocessor post;
  private float[] loc;
  private float[] conf;
  private int locHash;
  private int confHash;

  /** Loads (or computes) the raw outputs and builds the post-processor. */
  @Setup(Level.Trial)
  public void setUp() {
    FssdConfig config = FssdConfig.voc300();
    Labels labels;
    switch (outputs) {
      case "narrow300":
        labels = Labels.voc();
        loc = Fixtures.npyFloats("narrow300_loc.npy");
        conf = Fixtures.npyFloats("narrow300_conf.npy");
        break;
      case "bn_pruned300":
        labels = Labels.generic(4);
        loc = Fixtures.npyFloats("bn_pruned300_loc.npy");
        conf = Fixtures.npyFloats("bn_pruned300_conf.npy");
        break;
      case "random300":
        labels = Labels.voc();
        FssdModel m = BenchModels.model("voc300");
        try (OneDnnPlan plan = OneDnnPlan.compile(config, m.graph(), 1, PlanOptions.defaults())) {
          float[] in =
              new Preprocessor(config.inputSize())
                  .toTensor(ImageLoader.defaults().load(Fixtures.bytes("image.png"), "image.png"));
          loc = new float[plan.locLength()];
          conf = new float[plan.confLength()];
          plan.run(in, loc, conf);
        }
        break;
      default:
        throw new IllegalArgumentException(
            "unknown outputs '" + outputs + "': expected narrow300, bn_pruned300 or random300");
    }
    post = DetectionPostprocessor.builder(config.priors(), labels).scoreThreshold(0.01f).build();
    locHash = Arrays.hashCode(loc);
    confHash = Arrays.hashCode(conf);
  }

  /** Fails the run if the timed call wrote into its inputs. */
  @TearDown(Level.Iteration)
  public void checkInputsUnchanged() {
    if (Arrays.hashCode(loc) != locHash || Arrays.hashCode(conf) != confHash) {
      throw new IllegalStateException(
          "DetectionPostprocessor.process modified its inputs:"
              + " this benchmark must then copy them per invocation");
    }
  }

  /** Post-processes the raw outputs of one image. */
  @Benchmark
  public List<Detection> process() {
    return post.process(loc, conf, true, WIDTH, HEIGHT);
  }
}
