package org.fssd.prune;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.fssd.model.FssdModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC §11 repeated: iterative network slimming. Each round r = 1..R runs
 *
 * <ol>
 *   <li><b>sparse training</b> of the current model (the {@link Builder#sparseTrainer} hook; e.g.
 *       the trainer with the L1 term on the BN gammas), skipped when no hook is set;
 *   <li><b>pruning</b> with {@link Pruner#prune} at that round's percent, which is a share of the
 *       BN channels the <i>current</i> model has (so 0.5 twice leaves about a quarter of the
 *       original channels);
 *   <li><b>fine-tuning</b> of the pruned model (the {@link Builder#fineTuner} hook), skipped when
 *       no hook is set;
 *   <li>saving the round's model ({@link Builder#output}: {@code <stem>-round<r>.zip}) and
 *       measuring it: parameters, fp32 size, GMACs / GFLOPs per image, ms/image and, with an {@link
 *       Builder#evaluator}, mAP.
 * </ol>
 *
 * The training and evaluation steps are hooks so that this module needs no training code; the
 * command line wires them to {@code FssdTrainer} and the VOC evaluation.
 *
 * <pre>{@code
 * IterativePruner.Result r = IterativePruner.builder()
 *     .percents(0.5, 0.5)
 *     .sparseTrainer((model, round) -> sparseTrain(model))
 *     .fineTuner((model, round) -> fineTune(model))
 *     .evaluator(model -> evaluate(model))
 *     .output(Path.of("pruned.zip"))            // pruned-round1.zip, pruned-round2.zip
 *     .build()
 *     .run(model);
 * System.out.println(r);
 * }</pre>
 *
 * <p>Not thread-safe; the input model is only read.
 */
public final class IterativePruner {
  private static final Logger LOG = LoggerFactory.getLogger(IterativePruner.class);

  /** A training step applied to the model of a round (1-based). */
  @FunctionalInterface
  public interface RoundTrainer {
    /** Returns the trained model (may be {@code model} itself, trained in place). */
    FssdModel train(FssdModel model, int round);
  }

  /** The measurements of one model: the input ("round 0") or a round's result. */
  public record Stage(
      int round,
      double percent,
      long params,
      double sizeMb,
      double gmacs,
      double msPerImage,
      double map,
      Path file) {
    /** GFLOPs per image, counting a multiply-add as two operations: {@code 2 * gmacs}. */
    public double gflops() {
      return 2 * gmacs;
    }
  }

  /** One round: its pruning result (selection and layer widths) and the measured model. */
  public record Round(int index, PruneResult pruning, FssdModel model, Stage stage) {}

  /** Everything a run did: the input's measurements and one entry per round. */
  public record Result(Stage input, List<Round> rounds) {
    /** Copies the list. */
    public Result {
      rounds = ImmutableList.copyOf(rounds);
    }

    /** The model of the last round. */
    public FssdModel finalModel() {
      return rounds.get(rounds.size() - 1).model();
    }

    /**
     * A plain-text report: a summary line per stage (params, size, GMACs, GFLOPs, ms/image, mAP)
     * and the layer widths of every round, with its sparsity warnings ({@link
     * ChannelSelection#warnings()}) as {@code warning: ...} lines.
     */
    @Override
    public String toString() {
      StringBuilder s = new StringBuilder();
      s.append(
          String.format(
              Locale.ROOT,
              "%-8s %8s %14s %10s %8s %8s %10s %8s  %s%n",
              "stage",
              "percent",
              "params",
              "size_mb",
              "gmacs",
              "gflops",
              "ms/image",
              "mAP",
              "file"));
      List<Stage> all = new ArrayList<>();
      all.add(input);
      rounds.forEach(r -> all.add(r.stage()));
      for (Stage st : all) {
        s.append(
            String.format(
                Locale.ROOT,
                "%-8s %8s %,14d %10.2f %8.3f %8.3f %10s %8s  %s%n",
                st.round() == 0 ? "input" : "round " + st.round(),
                st.round() == 0 ? "-" : String.format(Locale.ROOT, "%.3f", st.percent()),
                st.params(),
                st.sizeMb(),
                st.gmacs(),
                st.gflops(),
                Double.isNaN(st.msPerImage())
                    ? "-"
                    : String.format(Locale.ROOT, "%.1f", st.msPerImage()),
                Double.isNaN(st.map()) ? "-" : String.format(Locale.ROOT, "%.4f", st.map()),
                st.file() == null ? "-" : st.file()));
      }
      for (Round r : rounds) {
        s.append(
            String.format(
                Locale.ROOT,
                "%nround %d (percent %.3f, threshold %.6g):%n",
                r.index(),
                r.stage().percent(),
                r.pruning().selection().threshold()));
        s.append(r.pruning().report());
        for (String w : r.pruning().selection().warnings()) {
          s.append(String.format(Locale.ROOT, "warning: %s%n", w));
        }
      }
      return s.toString();
    }
  }

  private final double[] percents;
  private final PruneOptions options;
  private final RoundTrainer sparseTrainer;
  private final RoundTrainer fineTuner;
  private final ToDoubleFunction<FssdModel> evaluator;
  private final Path output;
  private final int timingRuns;

  private IterativePruner(Builder b) {
    this.percents = b.percents.clone();
    this.options = b.options;
    this.sparseTrainer = b.sparseTrainer;
    this.fineTuner = b.fineTuner;
    this.evaluator = b.evaluator;
    this.output = b.output;
    this.timingRuns = b.timingRuns;
  }

  /** A builder: one round at {@link PruneOptions#DEFAULT_PERCENT}, no hooks, nothing saved. */
  public static Builder builder() {
    return new Builder();
  }

  /** Number of rounds. */
  public int rounds() {
    return percents.length;
  }

  /** The file of round {@code r} for the output {@code out}: {@code <stem>-round<r>.zip}. */
  public static Path roundFile(Path out, int r) {
    String name = out.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    String ext = dot > 0 ? name.substring(dot) : ".zip";
    return out.resolveSibling(stem + "-round" + r + ext);
  }

  /** Runs every round on {@code model} (not modified). */
  public Result run(FssdModel model) {
    checkNotNull(model, "model");
    Stage input = measure(model, 0, Double.NaN, null);
    List<Round> rounds = new ArrayList<>();
    FssdModel current = model;
    for (int r = 1; r <= percents.length; r++) {
      if (sparseTrainer != null) {
        LOG.info("round {}: sparse training", r);
        current = sparseTrainer.train(current, r);
      }
      PruneResult pruned =
          Pruner.prune(current, options.toBuilder().percent(percents[r - 1]).build());
      current = pruned.model();
      if (fineTuner != null) {
        LOG.info("round {}: fine-tuning", r);
        current = fineTuner.train(current, r);
      }
      Path file = null;
      if (output != null) {
        file = roundFile(output, r);
        current.save(file);
      }
      Stage st = measure(current, r, percents[r - 1], file);
      LOG.info("round {}: {}", r, st);
      rounds.add(new Round(r, pruned, current, st));
    }
    return new Result(input, rounds);
  }

  private Stage measure(FssdModel m, int round, double percent, Path file) {
    Stage s = measure(m, evaluator, timingRuns);
    return new Stage(
        round, percent, s.params(), s.sizeMb(), s.gmacs(), s.msPerImage(), s.map(), file);
  }

  /**
   * The measurements of any model (plain or BN variant) as a round-0 stage: parameters (as {@link
   * PruneReport#parameterCount}), fp32 size, GMACs, ms/image ({@code timingRuns} > 0) and mAP
   * ({@code evaluator} not null; NaN otherwise).
   */
  public static Stage measure(FssdModel m, ToDoubleFunction<FssdModel> evaluator, int timingRuns) {
    checkNotNull(m, "model");
    checkArgument(timingRuns >= 0, "timingRuns must be >= 0, got %s", timingRuns);
    double ms = timingRuns > 0 ? msPerImage(m, timingRuns) : Double.NaN;
    double map = evaluator == null ? Double.NaN : evaluator.applyAsDouble(m);
    long params = PruneReport.parameterCount(m.config());
    return new Stage(
        0, Double.NaN, params, params * 4 / 1e6, m.config().macsPerImage() / 1e9, ms, map, null);
  }

  /**
   * Median wall time of {@code FssdDetector.detect} on one random {@code S x S} image (preprocess,
   * forward on the default CPU engine, i.e. the oneDNN plan, decode, NMS), batch 1, after two
   * warm-up calls: what a user of the pruned model gets. A report, not a benchmark (JMH lives in
   * fssd-benchmarks). The detector runs on a replica; {@code model} is not touched.
   */
  public static double msPerImage(FssdModel model, int runs) {
    checkArgument(runs >= 1, "runs must be >= 1, got %s", runs);
    int s = model.config().inputSize();
    java.awt.image.BufferedImage img =
        new java.awt.image.BufferedImage(s, s, java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        img.setRGB(x, y, rnd.nextInt(1 << 24));
      }
    }
    try (org.fssd.detect.FssdDetector d =
        org.fssd.detect.FssdDetector.builder().model(model.replica()).build()) {
      d.detect(img);
      d.detect(img);
      double[] ms = new double[runs];
      for (int i = 0; i < runs; i++) {
        long t = System.nanoTime();
        d.detect(img);
        ms[i] = (System.nanoTime() - t) / 1e6;
      }
      Arrays.sort(ms);
      return ms[runs / 2];
    }
  }

  @Override
  public String toString() {
    return "IterativePruner{percents="
        + Arrays.toString(percents)
        + ", "
        + options
        + (sparseTrainer != null ? ", sparse training" : "")
        + (fineTuner != null ? ", fine-tuning" : "")
        + (evaluator != null ? ", evaluated" : "")
        + "}";
  }

  /** Builder of {@link IterativePruner}; each setter validates its value. */
  public static final class Builder {
    private double[] percents = {PruneOptions.DEFAULT_PERCENT};
    private PruneOptions options = PruneOptions.defaults();
    private RoundTrainer sparseTrainer;
    private RoundTrainer fineTuner;
    private ToDoubleFunction<FssdModel> evaluator;
    private Path output;
    private int timingRuns = 3;

    private Builder() {}

    /** {@code rounds} rounds at the percent of {@link #options} (default 1 round). */
    public Builder rounds(int rounds, double percent) {
      checkArgument(rounds >= 1, "rounds must be >= 1, got %s", rounds);
      double[] p = new double[rounds];
      Arrays.fill(p, percent);
      return percents(p);
    }

    /** One round per value, each the share of the current model's BN channels to prune. */
    public Builder percents(double... percents) {
      checkArgument(percents.length >= 1, "at least one round is needed");
      for (double p : percents) {
        checkArgument(p >= 0 && p < 1, "percent must be in [0, 1), got %s", p);
      }
      this.percents = percents.clone();
      return this;
    }

    /** The other pruning settings (minimum channels, exclusions); their percent is replaced. */
    public Builder options(PruneOptions options) {
      this.options = checkNotNull(options, "options");
      return this;
    }

    /** Sparse training before each round's pruning (default: none). */
    public Builder sparseTrainer(RoundTrainer t) {
      this.sparseTrainer = checkNotNull(t, "sparseTrainer");
      return this;
    }

    /** Fine-tuning after each round's pruning (default: none). */
    public Builder fineTuner(RoundTrainer t) {
      this.fineTuner = checkNotNull(t, "fineTuner");
      return this;
    }

    /**
     * mAP of a model (default: not measured). The function must leave the model usable (e.g. give a
     * detector {@link FssdModel#replica()}), since the rounds go on with it.
     */
    public Builder evaluator(ToDoubleFunction<FssdModel> evaluator) {
      this.evaluator = checkNotNull(evaluator, "evaluator");
      return this;
    }

    /** Save round r's model to {@link #roundFile roundFile(out, r)} (default: nothing saved). */
    public Builder output(Path out) {
      this.output = checkNotNull(out, "out");
      return this;
    }

    /** Timed forward passes per stage (0 = no timing; default 3). */
    public Builder timingRuns(int runs) {
      checkArgument(runs >= 0, "timingRuns must be >= 0, got %s", runs);
      this.timingRuns = runs;
      return this;
    }

    /** The pruner. */
    public IterativePruner build() {
      return new IterativePruner(this);
    }
  }
}
