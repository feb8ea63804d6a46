package org.fssd.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.FssdException;
import org.fssd.data.DetectionDataset;
import org.fssd.data.augment.MixupOptions;
import org.fssd.data.augment.SampleTransform;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Provenance;
import org.fssd.train.eval.ApMethod;
import org.fssd.train.eval.EvalResult;
import org.fssd.train.loss.MultiBoxLoss;
import org.fssd.train.optim.PyTorchSgd;
import org.fssd.train.optim.WarmupStepSchedule;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC §7: trains an FSSD network on a {@link DetectionDataset} the way the reference does — SPEC
 * §8 augmentation and §5 matching ({@link FssdDataSetIterator}), the §6 {@link MultiBoxLoss}, SGD
 * with PyTorch momentum and weight decay on every parameter ({@link PyTorchSgd}), warm-up and step
 * decay ({@link WarmupStepSchedule}).
 *
 * <pre>{@code
 * FssdModel model = FssdTrainer.builder(dataset)
 *     .config(FssdConfig.voc300())          // or .initialModel(imported)
 *     .batchSize(32).epochs(250).seed(1)
 *     .checkpointDir(Path.of("run1")).checkpointEvery(1000)
 *     .listener(p -> log.info("{}", p))
 *     .build()
 *     .train();
 * // later, after a crash or a stop:
 * FssdModel more = FssdTrainer.resume(Path.of("run1"), dataset).build().train();
 * }</pre>
 *
 * <p><b>Checkpoints</b> ({@link Checkpoints}) hold the training graph with the optimiser state and
 * the {@link TrainingState}; they are written atomically every {@link Builder#checkpointEvery(int)}
 * iterations and when training ends or stops. {@link #resume(Path, DetectionDataset)} continues
 * exactly where the newest one left off: the data of epoch e is a function of (seed, e), and the
 * batches of the current epoch that were already used are prepared again and skipped (data work
 * only, no forward pass).
 *
 * <p><b>One loop, listeners for the rest</b>: the loop fits batches; the divergence check,
 * evaluation during training and checkpointing are {@link TrainingListener}s on it, and an
 * application adds its own with {@link Builder#listener}.
 *
 * <p><b>Divergence</b>: when the loss of a batch is NaN or infinite, {@link #train()} throws a
 * {@link TrainingDivergedException} naming the iteration and the last good checkpoint (checkpoints
 * are only written after good iterations, so it is intact).
 *
 * <p>The result of {@link #train()} is an {@link FssdModel} (inference graph with the trained
 * parameters) whose provenance records the run. With {@link Builder#preciseBnBatches(int)} its BN
 * running statistics are re-estimated at the end ({@link PreciseBatchNorm}); the training graph and
 * the checkpoints keep the running averages. Not thread-safe; {@link #train()} runs once.
 *
 * <p><b>Engine</b> ({@link Builder#engine}): each update is made by DL4J's {@code fit} ({@link
 * TrainingEngine#GRAPH}) or by a oneDNN training plan with the same loss, updater and schedule
 * ({@link TrainingEngine#PLAN}, the default on the CPU, several times faster). The engine is not a
 * setting of the run: a run checkpointed with one engine may be resumed with the other (the
 * checkpoint holds the same parameters and optimiser state either way). The engine is logged at the
 * start of training; it is not in the model's provenance, which stays that of the checkpoint
 * ({@link CheckpointModels}) and is the same for both engines (an application stores it in the
 * {@link Builder#notes} as {@code fssd train} does).
 */
public final class FssdTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(FssdTrainer.class);

  private final DetectionDataset dataset;
  private final ComputationGraph graph;
  private final MultiBoxLoss loss;
  private final FssdDataSetIterator data;
  private final List<TrainingListener> listeners;
  private final long maxIterations;
  private final Path resumedFrom;
  private final MixupOptions mixup;
  private final int preciseBnBatches;
  private final int workers;
  private final SampleTransform transform;
  private final List<TrainingHistory.Step> steps = new ArrayList<>();
  private final List<TrainingHistory.Evaluation> evaluations = new ArrayList<>();
  private TrainingState state;
  private Path lastCheckpoint;
  private boolean used;
  private FssdModel recalibrated;
  private final TrainingEngine engine;
  private final PlanOptions planOptions;

  private FssdTrainer(
      Builder b, TrainingState state, ComputationGraph graph, FssdDataSetIterator data) {
    this.dataset = b.dataset;
    this.state = state;
    this.graph = graph;
    this.loss = TrainingGraph.loss(graph);
    this.data = data;
    // one loop, every job on it a listener: the divergence check sees an update first, so no one
    // else sees a NaN loss; evaluation comes before the checkpoint that stores its result
    List<TrainingListener> all = new ArrayList<>();
    all.add(new DivergenceCheck());
    all.addAll(b.listeners);
    if (b.evaluation != null) {
      all.add(new EvaluationListener(b.evaluation));
    }
    if (b.checkpointDir != null) {
      all.add(
          new CheckpointListener(
              b.checkpointDir,
              b.checkpointEvery,
              new RunSettings(b.checkpointEvery, b.keepCheckpoints, b.notes)));
    }
    this.listeners = List.copyOf(all);
    this.maxIterations = b.maxIterations;
    this.resumedFrom = b.resumeFile;
    this.lastCheckpoint = b.resumeFile;
    this.mixup = b.mixup;
    this.preciseBnBatches = b.preciseBnBatches;
    this.workers = b.workers;
    this.transform = b.transform;
    this.engine = b.engine != null ? b.engine : TrainingEngine.defaultEngine();
    this.planOptions = b.planOptions();
    this.steps.addAll(b.resumedHistory.steps());
    this.evaluations.addAll(b.resumedHistory.evaluations());
  }

  /** A builder for a new run on {@code dataset}. */
  public static Builder builder(DetectionDataset dataset) {
    return new Builder(dataset);
  }

  /**
   * A builder that continues the run of the newest checkpoint in {@code checkpointDir} on {@code
   * dataset} (the same dataset: its name and size must match).
   *
   * <p><b>From the checkpoint, fixed</b>: the network (configuration, classes, parameters,
   * optimiser state), batch size, seed, learning-rate schedule (base rate, warm-up, decay epochs
   * and factor), momentum, weight decay and sparsity. Setting one of them on this builder to
   * another value than the checkpoint's makes {@link Builder#build()} throw an {@link
   * IllegalArgumentException} naming both values (the same value is accepted); {@link
   * Builder#config} and {@link Builder#initialModel} are refused.
   *
   * <p><b>From the checkpoint unless set here</b>: {@link Builder#epochs} (the planned epochs),
   * {@link Builder#checkpointEvery}, {@link Builder#keepCheckpoints} and the {@link Builder#notes}
   * ({@link RunSettings}; a checkpoint without settings gives 0, 2 and none).
   *
   * <p><b>Only from this builder</b> (not stored): {@link Builder#maxIterations}, {@link
   * Builder#mixup}, {@link Builder#evaluate}, {@link Builder#preciseBnBatches}, {@link
   * Builder#transform}, {@link Builder#workers}, {@link Builder#engine}, {@link
   * Builder#planAlgorithm}, {@link Builder#planPrecision} and the listeners. Checkpoints go on to
   * {@code checkpointDir}.
   *
   * @throws FssdException when the directory holds no readable checkpoint
   */
  public static Builder resume(Path checkpointDir, DetectionDataset dataset) {
    Path file =
        Checkpoints.latest(checkpointDir)
            .orElseThrow(() -> new FssdException(checkpointDir + ": no checkpoint to resume from"));
    Builder b = new Builder(dataset);
    b.resumeFile = file;
    b.checkpointDir = checkpointDir;
    TrainingState s = Checkpoints.readState(file);
    b.batchSize = s.batchSize();
    b.epochs = s.epochs();
    b.seed = s.seed();
    b.learningRate = s.baseLr();
    b.warmup = s.warmup();
    b.decayEpochs = s.decayEpochs();
    b.decayFactor = s.decayFactor();
    b.momentum = s.momentum();
    b.weightDecay = s.weightDecay();
    b.resumedState = s;
    b.resumedSettings = Checkpoints.readSettings(file).orElse(null);
    if (b.resumedSettings != null) {
      b.checkpointEvery = b.resumedSettings.checkpointEvery();
      b.keepCheckpoints = b.resumedSettings.keepCheckpoints();
      b.notes.putAll(b.resumedSettings.notes());
    }
    b.fixed.clear(); // the values above are the checkpoint's, not the caller's
    return b;
  }

  /** The state reached so far (the initial state before {@link #train()}). */
  public TrainingState state() {
    return state;
  }

  /**
   * Everything measured from the run's first iteration: losses and learning rate per update and the
   * held-out evaluations. A resumed trainer starts with the history stored in its checkpoint. A
   * snapshot (copied, O(iterations)): call it at checkpoints or at the end, not every iteration.
   */
  public TrainingHistory history() {
    return TrainingHistory.of(steps, evaluations);
  }

  /** The training graph (parameters and optimiser state). */
  public ComputationGraph trainingGraph() {
    return graph;
  }

  /**
   * Runs until the planned epochs are done or {@link Builder#maxIterations} updates in total have
   * been made, writes a final checkpoint when a checkpoint directory is set, and returns the
   * trained model, with its BN statistics recalibrated when {@link Builder#preciseBnBatches(int)}
   * asks for it. Closes the data iterator.
   *
   * @throws TrainingDivergedException when a loss becomes NaN or infinite
   */
  public FssdModel train() {
    checkState(!used, "train() runs once per trainer");
    used = true;
    try (TrainingStep step = engine.step(state.config(), graph, planOptions)) {
      run(step);
    } finally {
      data.close();
    }
    FssdModel trained = model();
    if (preciseBnBatches > 0) {
      trained =
          PreciseBatchNorm.atEndOfTraining(
              trained, dataset, state, workers, transform, preciseBnBatches);
      recalibrated = trained;
    }
    return trained;
  }

  /** The training loop; {@code step} makes the updates. */
  private void run(TrainingStep step) {
    int perEpoch = data.batchesPerEpoch();
    long iteration = state.iteration();
    int epoch = state.epoch();
    int batchInEpoch = state.batchInEpoch();
    graph.getConfiguration().setIterationCount((int) iteration);
    graph.getConfiguration().setEpochCount(epoch);
    if (epoch < state.epochs()) {
      data.setEpoch(epoch);
      for (int i = 0; i < batchInEpoch && data.hasNext(); i++) {
        data.next(); // already trained on: same data, skipped
      }
    }
    LOG.info(
        "training {} on {} ({} images, {} batches of {} per epoch) from iteration {} (epoch {}, batch {}), engine {}",
        state.config(),
        dataset.name(),
        dataset.size(),
        perEpoch,
        state.batchSize(),
        iteration,
        epoch,
        batchInEpoch,
        engineDescription());
    for (TrainingListener l : listeners) {
      l.onTrainingStart(this);
    }
    while (epoch < state.epochs() && iteration < maxIterations) {
      while (data.hasNext() && iteration < maxIterations) {
        long t0 = System.nanoTime();
        MultiDataSet batch = data.next();
        INDArray features = batch.getFeatures(0);
        int n = (int) features.size(0);
        double lr = learningRate(iteration);
        step.fit(features, TrainingGraph.labels(batch));
        MultiBoxLoss.Result r = loss.lastResult();
        double score = graph.score();
        double seconds = (System.nanoTime() - t0) / 1e9;
        TrainingProgress p =
            new TrainingProgress(
                iteration + 1,
                epoch,
                batchInEpoch + 1,
                perEpoch,
                r == null ? Double.NaN : r.locLoss(),
                r == null ? Double.NaN : r.confLoss(),
                r == null ? 0 : r.numPositives(),
                lr,
                n / seconds,
                n);
        for (TrainingListener l : listeners) {
          l.onUpdate(p, score);
        }
        iteration++;
        batchInEpoch++;
        state = state.at(iteration, epoch, batchInEpoch);
        steps.add(new TrainingHistory.Step(iteration, epoch, p.locLoss(), p.confLoss(), lr));
        for (TrainingListener l : listeners) {
          l.onIteration(p);
        }
      }
      if (!data.hasNext()) {
        for (TrainingListener l : listeners) {
          l.onEpochEnd(epoch, iteration);
        }
        epoch++;
        batchInEpoch = 0;
        state = state.at(iteration, epoch, 0);
        graph.getConfiguration().setEpochCount(epoch);
        if (epoch < state.epochs()) {
          data.setEpoch(epoch);
        }
      }
    }
    for (TrainingListener l : listeners) {
      l.onTrainingEnd(this);
    }
  }

  private double learningRate(long iteration) {
    for (org.deeplearning4j.nn.api.Layer l : graph.getLayers()) {
      if (l.conf().getLayer() instanceof BaseLayer bl && bl.getIUpdater() instanceof PyTorchSgd u) {
        return u.getLearningRate((int) iteration, state.epoch());
      }
    }
    return Double.NaN;
  }

  /**
   * Evaluates the current model on {@code evaluation}'s held-out set, records the result in the
   * history and reports it to every listener.
   */
  void evaluate(EvalDuringTraining evaluation) {
    long t0 = System.nanoTime();
    EvalResult r = evaluation.evaluate(model());
    // the epoch of the last update (state.epoch() has moved on at an epoch's end)
    int epoch = steps.isEmpty() ? state.epoch() : steps.get(steps.size() - 1).epoch();
    evaluations.add(TrainingHistory.Evaluation.of(state.iteration(), epoch, r));
    LOG.info(
        "evaluation at iteration {} on {} ({} images): mAP {} ({} s)",
        state.iteration(),
        evaluation.dataset().name(),
        r.images(),
        String.format(java.util.Locale.ROOT, "%.4f", r.map()),
        String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
    for (TrainingListener l : listeners) {
      l.onEvaluation(state.iteration(), epoch, r);
    }
  }

  /** The iteration of the newest evaluation in the history, or -1 when there is none. */
  long lastEvaluationIteration() {
    return evaluations.isEmpty() ? -1 : evaluations.get(evaluations.size() - 1).iteration();
  }

  /** Updates and evaluations recorded so far; grows whenever the history changes. */
  int historySize() {
    return steps.size() + evaluations.size();
  }

  /**
   * Writes a checkpoint of the current state and history to {@code dir} and reports it to every
   * listener.
   */
  Path checkpoint(Path dir, RunSettings settings) {
    lastCheckpoint = Checkpoints.write(dir, graph, state, history(), settings);
    LOG.info("checkpoint {}", lastCheckpoint);
    for (TrainingListener l : listeners) {
      l.onCheckpoint(lastCheckpoint, state.iteration());
    }
    return lastCheckpoint;
  }

  /** The newest checkpoint written or resumed from; null when there is none. */
  Path lastCheckpoint() {
    return lastCheckpoint;
  }

  /**
   * The inference model with the current parameters and this run's provenance. Once {@link
   * #train()} has returned a model with precise BN, a copy of that model.
   */
  public FssdModel model() {
    if (recalibrated != null) {
      return recalibrated.replica();
    }
    FssdConfig config = state.config();
    ComputationGraph inference = TrainingGraph.toInference(config, graph);
    Provenance p = CheckpointModels.provenance(state);
    if (resumedFrom != null) {
      p = p.with("train.resumedFrom", resumedFrom.getFileName().toString());
    }
    if (mixup != null) {
      p = p.with("train.mixup", mixup.toString());
    }
    return FssdModel.of(config, inference, state.labels(), p);
  }

  /**
   * The engine in words, as the start of training logs it: {@code GRAPH}, or {@code PLAN} with its
   * convolution algorithm (and {@code BF16} when not FP32), e.g. {@code PLAN (AUTO)}.
   */
  public String engineDescription() {
    if (engine != TrainingEngine.PLAN) {
      return engine.name();
    }
    return "PLAN ("
        + planOptions.algorithm()
        + (planOptions.precision() == PlanOptions.Precision.FP32
            ? ""
            : ", " + planOptions.precision())
        + ")";
  }

  /** The engine that makes the updates. */
  public TrainingEngine engine() {
    return engine;
  }

  /** Configures a {@link FssdTrainer}. Not thread-safe. */
  public static final class Builder {
    private final DetectionDataset dataset;
    private FssdConfig config;
    private FssdModel initialModel;
    private int batchSize = 32;
    private int epochs = 250;
    private long seed;
    private double learningRate = 1e-3;
    private Warmup warmup = Warmup.LINEAR;
    private int[] decayEpochs = {150, 200};
    private double decayFactor = 0.1;
    private double momentum = PyTorchSgd.DEFAULT_MOMENTUM;
    private double weightDecay = 5e-4;
    private double sparsity;
    private int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
    private SampleTransform transform;
    private Path checkpointDir;
    private int checkpointEvery;
    private int keepCheckpoints = 2;
    private long maxIterations = Long.MAX_VALUE;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private Path resumeFile;
    private MixupOptions mixup;
    private EvalDuringTraining evaluation;
    private int preciseBnBatches;
    private TrainingEngine engine;
    private PlanOptions.Algorithm planAlgorithm = PlanOptions.Algorithm.AUTO;
    private PlanOptions.Precision planPrecision = PlanOptions.Precision.FP32;
    private TrainingHistory resumedHistory = TrainingHistory.empty();
    private TrainingState resumedState;
    private RunSettings resumedSettings;
    private final java.util.Map<String, String> notes = new java.util.LinkedHashMap<>();

    /** Settings a resumed run takes from its checkpoint that the caller set (checked in build). */
    private final java.util.Set<String> fixed = new java.util.LinkedHashSet<>();

    private Builder(DetectionDataset dataset) {
      this.dataset = checkNotNull(dataset, "dataset");
    }

    /** Train a new network of {@code config}, initialised per SPEC §7 from the seed. */
    public Builder config(FssdConfig config) {
      this.config = checkNotNull(config, "config");
      fixed.add("config");
      return this;
    }

    /** Start from the parameters of {@code model} (e.g. an imported or pretrained one). */
    public Builder initialModel(FssdModel model) {
      this.initialModel = checkNotNull(model, "model");
      fixed.add("initialModel");
      return this;
    }

    /** Images per batch (default 32). */
    public Builder batchSize(int batchSize) {
      checkArgument(batchSize >= 1, "batchSize must be >= 1, got %s", batchSize);
      this.batchSize = batchSize;
      fixed.add("batchSize");
      return this;
    }

    /** Epochs to train (default 250, the reference's VOC run). */
    public Builder epochs(int epochs) {
      checkArgument(epochs >= 1, "epochs must be >= 1, got %s", epochs);
      this.epochs = epochs;
      return this;
    }

    /** Seed of initialisation, shuffling and augmentation (default 0). */
    public Builder seed(long seed) {
      this.seed = seed;
      fixed.add("seed");
      return this;
    }

    /** Base learning rate (default 1e-3). */
    public Builder learningRate(double lr) {
      checkArgument(lr > 0 && Double.isFinite(lr), "learningRate must be > 0, got %s", lr);
      this.learningRate = lr;
      fixed.add("learningRate");
      return this;
    }

    /** Warm-up during epoch 0 (default {@link Warmup#LINEAR}). */
    public Builder warmup(Warmup warmup) {
      this.warmup = checkNotNull(warmup, "warmup");
      fixed.add("warmup");
      return this;
    }

    /** Epochs at which the rate is multiplied by the decay factor (default 150, 200). */
    public Builder decayEpochs(int... epochs) {
      this.decayEpochs = epochs.clone();
      fixed.add("decayEpochs");
      return this;
    }

    /** The decay factor, in (0, 1] (default 0.1). */
    public Builder decayFactor(double factor) {
      checkArgument(factor > 0 && factor <= 1, "decayFactor must be in (0, 1], got %s", factor);
      this.decayFactor = factor;
      fixed.add("decayFactor");
      return this;
    }

    /** SGD momentum, in [0, 1) (default 0.9). */
    public Builder momentum(double momentum) {
      checkArgument(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got %s", momentum);
      this.momentum = momentum;
      fixed.add("momentum");
      return this;
    }

    /**
     * Network slimming (SPEC §7): adds {@code s * sign(gamma)} to every BN gamma gradient (the
     * reference uses s = 1e-4). Needs the BN variant. Default 0 (off). Kept by the checkpoint's
     * graph configuration, so a resumed run continues with it.
     */
    public Builder sparsity(double s) {
      checkArgument(s >= 0 && Double.isFinite(s), "sparsity must be finite and >= 0, got %s", s);
      this.sparsity = s;
      fixed.add("sparsity");
      return this;
    }

    /** Weight decay on every parameter, finite and >= 0 (default 5e-4). */
    public Builder weightDecay(double weightDecay) {
      checkArgument(
          weightDecay >= 0 && Double.isFinite(weightDecay),
          "weightDecay must be finite and >= 0, got %s",
          weightDecay);
      this.weightDecay = weightDecay;
      fixed.add("weightDecay");
      return this;
    }

    /** Data preparation threads (default: the number of processors). */
    public Builder workers(int workers) {
      checkArgument(workers >= 1, "workers must be >= 1, got %s", workers);
      this.workers = workers;
      return this;
    }

    /** The sample transform (default: SPEC §8 augmentation of the network's input size). */
    public Builder transform(SampleTransform transform) {
      this.transform = checkNotNull(transform, "transform");
      return this;
    }

    /** Where checkpoints go (default: none are written). */
    public Builder checkpointDir(Path dir) {
      this.checkpointDir = checkNotNull(dir, "dir");
      return this;
    }

    /** Write a checkpoint every {@code k} iterations (0 = only at the end; default 0). */
    public Builder checkpointEvery(int k) {
      checkArgument(k >= 0, "checkpointEvery must be >= 0, got %s", k);
      this.checkpointEvery = k;
      return this;
    }

    /** Checkpoints kept in the directory (default 2). */
    public Builder keepCheckpoints(int keep) {
      checkArgument(keep >= 1, "keepCheckpoints must be >= 1, got %s", keep);
      this.keepCheckpoints = keep;
      return this;
    }

    /** Stop once this many updates in total have been made (default: no limit). */
    public Builder maxIterations(long max) {
      checkArgument(max >= 0, "maxIterations must be >= 0, got %s", max);
      this.maxIterations = max;
      return this;
    }

    /**
     * Mixup for detection ({@link org.fssd.data.augment.Mixup}; off by default). Needs the default
     * or another {@link org.fssd.data.augment.TrainTransform}. Not stored in checkpoints: set it
     * again when resuming.
     */
    public Builder mixup(MixupOptions options) {
      this.mixup = checkNotNull(options, "options");
      return this;
    }

    /**
     * Evaluates on {@code heldOut} every {@code every} iterations and when the planned epochs are
     * done (see {@link EvalDuringTraining}) with the VOC07 11-point AP, 4 images per forward pass.
     * The results go to {@link TrainingListener#onEvaluation}, {@link FssdTrainer#history()} and
     * the checkpoints. Not stored as a setting of the run: pass it again when resuming.
     */
    public Builder evaluateEvery(int every, DetectionDataset heldOut) {
      return evaluate(new EvalDuringTraining(heldOut, every, ApMethod.VOC07_11_POINT, 4));
    }

    /** Evaluation during training with explicit settings (see {@link #evaluateEvery}). */
    public Builder evaluate(EvalDuringTraining evaluation) {
      this.evaluation = checkNotNull(evaluation, "evaluation");
      return this;
    }

    /**
     * Precise BN at the end of training (default 0 = off): {@link FssdTrainer#train()} re-estimates
     * the running mean and variance of every BN layer of the returned model over {@code n} batches
     * of the training data (the first {@code n} of epoch 0, at most one epoch, with the run's seed,
     * batch size and transform, without Mixup; {@link PreciseBatchNorm}), the same as {@code fssd
     * recalibrate-bn} with the run's seed and batch size. The provenance records it ({@code
     * bn.recalibrated}, {@code train.preciseBn}: the number of batches). Does nothing for a network
     * without BN. Checkpoints keep the running averages of training. Not stored in checkpoints: set
     * it again when resuming.
     */
    public Builder preciseBnBatches(int n) {
      checkArgument(n >= 0, "preciseBnBatches must be >= 0 (0 = off), got %s", n);
      this.preciseBnBatches = n;
      return this;
    }

    /**
     * How updates are computed (default {@link TrainingEngine#defaultEngine()}: {@link
     * TrainingEngine#PLAN} on the CPU backend, {@link TrainingEngine#GRAPH} on another). Not stored
     * in checkpoints and free on a resume: a run may go on with another engine than it started
     * with.
     */
    public Builder engine(TrainingEngine engine) {
      this.engine = checkNotNull(engine, "engine");
      return this;
    }

    /**
     * The convolution algorithm of {@link TrainingEngine#PLAN} (default {@link
     * PlanOptions.Algorithm#AUTO}: Winograd on large maps, fastest; {@link
     * PlanOptions.Algorithm#DIRECT} gives {@link TrainingEngine#GRAPH}'s gradients to fp32
     * rounding). Ignored by {@link TrainingEngine#GRAPH}. Not stored in checkpoints.
     */
    public Builder planAlgorithm(PlanOptions.Algorithm algorithm) {
      this.planAlgorithm = checkNotNull(algorithm, "algorithm");
      return this;
    }

    /**
     * The arithmetic of {@link TrainingEngine#PLAN} (default {@link PlanOptions.Precision#FP32}).
     * {@link PlanOptions.Precision#BF16} is mixed precision: bfloat16 activations, activation
     * gradients and weight copies, fp32 accumulation, fp32 master weights, gradients, BN
     * statistics, loss and optimiser state; it needs a CPU with AVX512_BF16 and the PLAN engine
     * ({@link #build()} refuses it otherwise). Checkpoints and the trained model are fp32 either
     * way; not stored in checkpoints (a run may be resumed in the other precision).
     */
    public Builder planPrecision(PlanOptions.Precision precision) {
      this.planPrecision = checkNotNull(precision, "precision");
      return this;
    }

    private PlanOptions planOptions() {
      return PlanOptions.builder().algorithm(planAlgorithm).precision(planPrecision).build();
    }

    /**
     * Stores {@code notes} (name to value) in every checkpoint of the run ({@link RunSettings}),
     * adding to or replacing those a resumed checkpoint had; for the application's own settings,
     * read back with {@link #resumedSettings()}.
     */
    public Builder notes(java.util.Map<String, String> notes) {
      this.notes.putAll(checkNotNull(notes, "notes"));
      return this;
    }

    /** The state of the checkpoint this builder resumes; empty for a new run. */
    public Optional<TrainingState> resumedState() {
      return Optional.ofNullable(resumedState);
    }

    /**
     * The {@link RunSettings} of the checkpoint this builder resumes; empty for a new run or a
     * checkpoint written without them.
     */
    public Optional<RunSettings> resumedSettings() {
      return Optional.ofNullable(resumedSettings);
    }

    /**
     * Adds a listener to the training loop (see {@link TrainingListener} for the order of the
     * calls). Listeners run in the order they were added, after the built-in divergence check and
     * before the built-in evaluation and checkpointing. Not stored in checkpoints: add it again
     * when resuming.
     */
    public Builder listener(TrainingListener listener) {
      listeners.add(checkNotNull(listener, "listener"));
      return this;
    }

    /**
     * The trainer: builds the training graph (or restores it from the checkpoint) and the data
     * iterator (it owns threads until {@link FssdTrainer#train()} ends).
     */
    public FssdTrainer build() {
      // before the data iterator starts its threads
      (engine != null ? engine : TrainingEngine.defaultEngine()).checkSupported(planOptions());
      ComputationGraph graph;
      TrainingState state;
      if (resumeFile != null) {
        Checkpoints.Loaded loaded = Checkpoints.read(resumeFile);
        state = loaded.state().withEpochs(epochs);
        checkArgument(
            state.dataset().equals(dataset.name()) && state.datasetSize() == dataset.size(),
            "checkpoint %s was made on dataset %s (%s images), not on %s (%s images)",
            resumeFile,
            state.dataset(),
            state.datasetSize(),
            dataset.name(),
            dataset.size());
        graph = loaded.graph();
        checkFixedSettings(loaded.state(), graph);
        resumedHistory = Checkpoints.readHistory(resumeFile).upTo(state.iteration());
        TrainingGraph.loss(graph); // checks it is a training graph
        LOG.info("resuming from {} at iteration {}", resumeFile, state.iteration());
      } else {
        checkArgument(
            config != null || initialModel != null, "set config(...) or initialModel(...)");
        FssdModel init = initialModel;
        if (init == null) {
          init = FssdModel.create(config, dataset.labels(), seed);
        }
        checkArgument(
            config == null || config.equals(init.config()),
            "config %s differs from the initial model's %s",
            config,
            init.config());
        checkArgument(
            init.labels().numClasses() == dataset.labels().numClasses(),
            "the model has %s classes, dataset %s has %s",
            init.labels().numClasses(),
            dataset.name(),
            dataset.labels().numClasses());
        if (checkpointDir != null) {
          Optional<Path> existing = Checkpoints.list(checkpointDir).stream().findFirst();
          checkArgument(
              existing.isEmpty(),
              "checkpoint directory %s already holds %s: resume that run or use an empty directory",
              checkpointDir,
              existing.orElse(null));
        }
        state =
            new TrainingState(
                init.config(),
                dataset.labels(),
                seed,
                batchSize,
                epochs,
                0,
                0,
                0,
                dataset.name(),
                dataset.size(),
                learningRate,
                warmup,
                decayEpochs,
                decayFactor,
                momentum,
                weightDecay,
                init.provenance().get("source"));
        graph = null; // built below, once the epoch length is known
        initialModel = init;
      }
      checkArgument(
          evaluation == null || evaluation.dataset().labels().equals(state.labels()),
          "held-out set %s has labels %s, the run %s",
          evaluation == null ? null : evaluation.dataset().name(),
          evaluation == null ? null : evaluation.dataset().labels(),
          state.labels());
      FssdDataSetIterator.Builder db =
          FssdDataSetIterator.builder(dataset, state.config().priors())
              .batchSize(state.batchSize())
              .seed(state.seed())
              .workers(workers)
              .startEpoch(state.epoch());
      if (transform != null) {
        db.transform(transform);
      }
      if (mixup != null) {
        db.mixup(mixup, state.epochs());
      }
      FssdDataSetIterator data = db.build();
      try {
        if (graph == null) {
          WarmupStepSchedule schedule =
              new WarmupStepSchedule(
                  learningRate, data.batchesPerEpoch(), warmup, decayEpochs, decayFactor);
          checkArgument(
              sparsity == 0 || state.config().batchNorm(),
              "sparsity (network slimming) needs the BN variant of the network");
          graph =
              TrainingGraph.create(
                  state.config(),
                  initialModel.graph(),
                  new PyTorchSgd(0, schedule, momentum),
                  weightDecay,
                  sparsity);
        }
        return new FssdTrainer(this, state, graph, data);
      } catch (RuntimeException e) {
        data.close();
        throw e;
      }
    }

    /**
     * Refuses a setting of the run that the caller changed on a resume builder (see {@link
     * FssdTrainer#resume}): the checkpoint's data order, optimiser state and schedule depend on
     * them.
     */
    private void checkFixedSettings(TrainingState s, ComputationGraph graph) {
      List<String> conflicts = new ArrayList<>();
      for (String name : fixed) {
        switch (name) {
          case "config" -> {
            if (!config.equals(s.config())) {
              conflicts.add("config " + config + " (the checkpoint's is " + s.config() + ")");
            }
          }
          case "initialModel" ->
              conflicts.add(
                  "initialModel (a resumed run continues from the" + " checkpoint's parameters)");
          case "batchSize" -> differs(conflicts, name, batchSize, s.batchSize());
          case "seed" -> differs(conflicts, name, seed, s.seed());
          case "learningRate" -> differs(conflicts, name, learningRate, s.baseLr());
          case "warmup" -> differs(conflicts, name, warmup, s.warmup());
          case "decayEpochs" ->
              differs(
                  conflicts,
                  name,
                  java.util.Arrays.toString(decayEpochs),
                  java.util.Arrays.toString(s.decayEpochs()));
          case "decayFactor" -> differs(conflicts, name, decayFactor, s.decayFactor());
          case "momentum" -> differs(conflicts, name, momentum, s.momentum());
          case "weightDecay" -> differs(conflicts, name, weightDecay, s.weightDecay());
          case "sparsity" -> differs(conflicts, name, sparsity, sparsityOf(graph));
          default -> throw new IllegalStateException(name);
        }
      }
      checkArgument(
          conflicts.isEmpty(),
          "cannot resume %s with changed settings: %s; a resumed run"
              + " keeps the network, batch size, seed, learning-rate schedule, momentum, weight decay"
              + " and sparsity of its checkpoint (start a new run in an empty directory to change"
              + " them)",
          resumeFile,
          String.join("; ", conflicts));
    }

    private static void differs(List<String> conflicts, String name, Object given, Object stored) {
      if (!given.equals(stored)) {
        conflicts.add(name + " " + given + " (the checkpoint's is " + stored + ")");
      }
    }

    /** The network-slimming coefficient of a training graph's BN layers (0 without BN). */
    private static double sparsityOf(ComputationGraph graph) {
      for (org.deeplearning4j.nn.api.Layer l : graph.getLayers()) {
        if (l.conf().getLayer() instanceof org.fssd.train.optim.DecayedBatchNormalization d) {
          return d.getGammaL1();
        }
      }
      return 0.0;
    }
  }
}
