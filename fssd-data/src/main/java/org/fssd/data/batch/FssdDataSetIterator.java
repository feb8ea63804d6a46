package org.fssd.data.batch;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.fssd.FssdException;
import org.fssd.box.PriorConfig;
import org.fssd.data.DetectionDataset;
import org.fssd.data.GtBox;
import org.fssd.data.Sample;
import org.fssd.data.augment.AugmentedSample;
import org.fssd.data.augment.Mixup;
import org.fssd.data.augment.MixupOptions;
import org.fssd.data.augment.Rng;
import org.fssd.data.augment.SampleTransform;
import org.fssd.data.augment.TrainTransform;
import org.fssd.data.target.PriorMatcher;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training batches for DL4J: each image is decoded, transformed (by default the SPEC §8 {@link
 * TrainTransform}), matched to the priors (SPEC §5, {@link PriorMatcher}) and packed into a {@link
 * MultiDataSet}:
 *
 * <ul>
 *   <li>features[0]: {@code [N, 3, S, S]} float, channel 0 = B, means subtracted;
 *   <li>labels[0]: loc targets {@code [N, P * 4]} float, prior p's {@code (l0, l1, l2, l3)} at
 *       columns {@code 4p .. 4p + 3} (prior order of {@link org.fssd.box.PriorBoxes}, which is the
 *       order of the network's heads);
 *   <li>labels[1]: class targets {@code [N, P]} float holding the integer class 0..C-1 (0 =
 *       background);
 *   <li>labels[2], only when {@link Builder#mixup Mixup} is configured: per-prior loss weights
 *       {@code [N, P]} (a positive prior's is its ground truth's Mixup weight, lam or 1 - lam; 1
 *       for background priors and in epochs without Mixup).
 * </ul>
 *
 * <p><b>Mixup</b> ({@link Builder#mixup}, needs a {@link TrainTransform}): in the epochs where it
 * is active, sample i of epoch e draws from {@link Mixup#random Mixup.random(seed, e, i)} whether
 * it is blended with a partner image, which one, and lam ({@link Mixup#plan}); image i is then
 * augmented with its usual stream and the partner with the Mixup stream.
 *
 * <p><b>Order and randomness.</b> Epoch e visits the images in a permutation drawn from ({@code
 * seed}, e) (or in index order without shuffling); the last batch may be smaller ({@link
 * Builder#dropLast(boolean)} drops it). Sample i of epoch e is transformed with {@link
 * Rng#forSample(long, long, long) Rng.forSample(seed, e, i)}, so the same seed gives identical
 * batches whatever the number of workers and thread timing.
 *
 * <p><b>Epochs.</b> The iterator starts at epoch 0 ({@link Builder#startEpoch(int)} to resume).
 * {@link #reset()} moves to the next epoch if at least one batch of the current one was taken, and
 * otherwise restarts the current epoch (so DL4J's reset-before-fit does not skip an epoch); {@link
 * #setEpoch(int)} sets it explicitly.
 *
 * <p><b>Threads.</b> Samples are prepared on a pool of {@link Builder#workers(int)} daemon threads
 * with at most {@link Builder#prefetch(int)} batches in flight; {@link #close()} stops the pool.
 * The iterator itself is used by one consumer thread. A sample that fails (e.g. an unreadable
 * image) makes {@link #next()} throw an {@link FssdException} naming the dataset index.
 */
public final class FssdDataSetIterator implements MultiDataSetIterator, AutoCloseable {
  private static final long serialVersionUID = 1L;

  private final transient DetectionDataset dataset;
  private final transient SampleTransform transform;
  private final transient PriorMatcher matcher;
  private final int batchSize;
  private final long seed;
  private final boolean shuffle;
  private final boolean dropLast;
  private final int prefetch;
  private final transient ExecutorService pool;
  private final int size;
  private final int numPriors;
  private final transient Mixup mixup;
  private final int totalEpochs;

  private int epoch;
  private int[] order;
  private int numBatches;
  private int nextToSubmit;
  private int taken;
  private final transient ArrayDeque<Pending> inFlight = new ArrayDeque<>();
  private transient MultiDataSetPreProcessor preProcessor;

  private FssdDataSetIterator(Builder b) {
    this.dataset = b.dataset;
    this.transform = b.transform != null ? b.transform : new TrainTransform(b.priors.imageSize());
    this.matcher = PriorMatcher.of(b.priors);
    this.batchSize = b.batchSize;
    this.seed = b.seed;
    this.shuffle = b.shuffle;
    this.dropLast = b.dropLast;
    this.prefetch = b.prefetch;
    this.size = b.priors.imageSize();
    checkArgument(
        transform.size() == -1 || transform.size() == size,
        "transform size %s differs from the priors' image size %s",
        transform.size(),
        size);
    this.numPriors = matcher.numPriors();
    if (b.mixup != null) {
      checkArgument(
          transform instanceof TrainTransform,
          "Mixup needs a TrainTransform, the transform is %s",
          transform);
      this.mixup = new Mixup((TrainTransform) transform, b.mixup);
    } else {
      this.mixup = null;
    }
    this.totalEpochs = b.totalEpochs;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            b.workers,
            r -> {
              Thread t = new Thread(r, "fssd-data-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    startEpoch(b.startEpoch);
  }

  /** A builder for batches of {@code dataset} matched to the priors of {@code priors}. */
  public static Builder builder(DetectionDataset dataset, PriorConfig priors) {
    return new Builder(dataset, priors);
  }

  /** The current epoch. */
  public int epoch() {
    return epoch;
  }

  /** Number of batches per epoch. */
  public int batchesPerEpoch() {
    return numBatches;
  }

  /** Restarts at the beginning of {@code epoch} (e.g. when resuming training). */
  public void setEpoch(int epoch) {
    checkArgument(epoch >= 0, "epoch must be >= 0, got %s", epoch);
    startEpoch(epoch);
  }

  private void startEpoch(int e) {
    cancelInFlight();
    this.epoch = e;
    int n = dataset.size();
    order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (shuffle) {
      SplittableRandom r = new SplittableRandom(Rng.mix(seed ^ 0x5DEECE66DL, e));
      for (int i = n - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    numBatches = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    nextToSubmit = 0;
    taken = 0;
  }

  private void cancelInFlight() {
    for (Pending p : inFlight) {
      for (Future<?> f : p.futures) {
        f.cancel(false);
      }
    }
    inFlight.clear();
  }

  @Override
  public boolean hasNext() {
    return taken < numBatches;
  }

  @Override
  public MultiDataSet next() {
    if (!hasNext()) {
      throw new NoSuchElementException(
          "epoch " + epoch + " has no more batches (" + numBatches + " per epoch); call reset()");
    }
    checkState(!pool.isShutdown(), "the iterator is closed");
    fill();
    Pending p = inFlight.poll();
    fill();
    for (int k = 0; k < p.futures.size(); k++) {
      try {
        p.futures.get(k).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FssdException("interrupted while preparing a batch", e);
      } catch (ExecutionException e) {
        int idx = p.indices[k];
        throw new FssdException(
            "dataset "
                + dataset.name()
                + ", image "
                + idx
                + " ("
                + safeId(idx)
                + "), epoch "
                + epoch
                + ": "
                + e.getCause().getMessage(),
            e.getCause());
      }
    }
    taken++;
    int n = p.indices.length;
    INDArray features = Nd4j.create(p.features, new long[] {n, 3, size, size}, 'c');
    INDArray loc = Nd4j.create(p.loc, new long[] {n, 4L * numPriors}, 'c');
    INDArray conf = Nd4j.create(p.conf, new long[] {n, numPriors}, 'c');
    INDArray[] labels =
        mixup == null
            ? new INDArray[] {loc, conf}
            : new INDArray[] {loc, conf, Nd4j.create(p.weights, new long[] {n, numPriors}, 'c')};
    MultiDataSet mds = new MultiDataSet(new INDArray[] {features}, labels);
    if (preProcessor != null) {
      preProcessor.preProcess(mds);
    }
    return mds;
  }

  private String safeId(int idx) {
    try {
      return dataset.annotation(idx).id();
    } catch (RuntimeException e) {
      return "?";
    }
  }

  private void fill() {
    while (inFlight.size() < prefetch && nextToSubmit < numBatches) {
      inFlight.add(submit(nextToSubmit++));
    }
  }

  private Pending submit(int batch) {
    int from = batch * batchSize;
    int to = Math.min(order.length, from + batchSize);
    int n = to - from;
    Pending p =
        new Pending(
            new int[n],
            new float[n * 3 * size * size],
            new float[n * 4 * numPriors],
            new float[n * numPriors],
            mixup == null ? null : new float[n * numPriors],
            new ArrayList<>(n));
    int e = epoch;
    for (int k = 0; k < n; k++) {
      int idx = order[from + k];
      p.indices[k] = idx;
      int slot = k;
      p.futures.add(pool.submit(() -> prepare(idx, e, slot, p)));
    }
    return p;
  }

  private void prepare(int idx, int e, int slot, Pending p) {
    AugmentedSample a = null;
    if (mixup != null && mixup.options().activeIn(e, totalEpochs)) {
      SplittableRandom mr = Mixup.random(seed, e, idx);
      Mixup.Plan plan = mixup.plan(mr, idx, dataset.size());
      if (plan != null) {
        try (Sample s = dataset.sample(idx);
            Sample t = dataset.sample(plan.partner())) {
          a =
              mixup.apply(
                  s.image(),
                  s.annotation().trainingBoxes(dataset.keepDifficult()),
                  t.image(),
                  t.annotation().trainingBoxes(dataset.keepDifficult()),
                  plan.lambda(),
                  Rng.forSample(seed, e, idx),
                  mr);
        }
      }
    }
    if (a == null) {
      try (Sample s = dataset.sample(idx)) {
        List<GtBox> boxes = s.annotation().trainingBoxes(dataset.keepDifficult());
        a = transform.apply(s.image(), boxes, Rng.forSample(seed, e, idx));
      }
    }
    int plane = 3 * size * size;
    System.arraycopy(a.image(), 0, p.features, slot * plane, plane);
    float[] loc = new float[4 * numPriors];
    int[] conf = new int[numPriors];
    matcher.match(
        a.boxes(),
        a.labels(),
        a.weights(),
        a.count(),
        loc,
        0,
        conf,
        0,
        p.weights,
        p.weights == null ? 0 : slot * numPriors);
    System.arraycopy(loc, 0, p.loc, slot * 4 * numPriors, 4 * numPriors);
    int off = slot * numPriors;
    for (int i = 0; i < numPriors; i++) {
      p.conf[off + i] = conf[i];
    }
  }

  /** Batches of any other size are not supported. */
  @Override
  public MultiDataSet next(int num) {
    checkArgument(num == batchSize, "this iterator makes batches of %s, got %s", batchSize, num);
    return next();
  }

  @Override
  public void setPreProcessor(MultiDataSetPreProcessor preProcessor) {
    this.preProcessor = preProcessor;
  }

  @Override
  public MultiDataSetPreProcessor getPreProcessor() {
    return preProcessor;
  }

  @Override
  public boolean resetSupported() {
    return true;
  }

  /** Prefetching is built in; DL4J need not wrap it in another async iterator. */
  @Override
  public boolean asyncSupported() {
    return false;
  }

  /** Next epoch if a batch of this one was taken, else a restart of this epoch. */
  @Override
  public void reset() {
    startEpoch(taken > 0 ? epoch + 1 : epoch);
  }

  /** Stops the worker threads. Idempotent. */
  @Override
  public void close() {
    cancelInFlight();
    pool.shutdownNow();
  }

  @Override
  public String toString() {
    return "FssdDataSetIterator{"
        + dataset.name()
        + ", batch="
        + batchSize
        + ", S="
        + size
        + ", P="
        + numPriors
        + ", seed="
        + seed
        + ", epoch="
        + epoch
        + ", shuffle="
        + shuffle
        + (mixup == null ? "" : ", " + mixup.options())
        + "}";
  }

  private record Pending(
      int[] indices,
      float[] features,
      float[] loc,
      float[] conf,
      float[] weights,
      List<Future<?>> futures) {}

  /** Configures the iterator. Not thread-safe. */
  public static final class Builder {
    private final DetectionDataset dataset;
    private final PriorConfig priors;
    private SampleTransform transform;
    private int batchSize = 32;
    private long seed;
    private boolean shuffle = true;
    private boolean dropLast;
    private int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
    private int prefetch = 2;
    private int startEpoch;
    private MixupOptions mixup;
    private int totalEpochs;

    private Builder(DetectionDataset dataset, PriorConfig priors) {
      this.dataset = checkNotNull(dataset, "dataset");
      this.priors = checkNotNull(priors, "priors");
      checkArgument(dataset.size() > 0, "dataset %s is empty", dataset.name());
    }

    /** The transform (default: {@link TrainTransform} of the priors' image size). */
    public Builder transform(SampleTransform transform) {
      this.transform = checkNotNull(transform, "transform");
      return this;
    }

    /** Batch size (default 32, the reference's). */
    public Builder batchSize(int batchSize) {
      checkArgument(batchSize >= 1, "batchSize must be >= 1, got %s", batchSize);
      this.batchSize = batchSize;
      return this;
    }

    /** The seed of shuffling and augmentation (default 0). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Whether to shuffle every epoch (default true). */
    public Builder shuffle(boolean shuffle) {
      this.shuffle = shuffle;
      return this;
    }

    /** Whether to drop a last, smaller batch (default false). */
    public Builder dropLast(boolean dropLast) {
      this.dropLast = dropLast;
      return this;
    }

    /** Worker threads (default: the number of processors). */
    public Builder workers(int workers) {
      checkArgument(workers >= 1 && workers <= 256, "workers must be in 1..256, got %s", workers);
      this.workers = workers;
      return this;
    }

    /** Batches prepared ahead (default 2). */
    public Builder prefetch(int prefetch) {
      checkArgument(prefetch >= 1 && prefetch <= 64, "prefetch must be in 1..64, got %s", prefetch);
      this.prefetch = prefetch;
      return this;
    }

    /** The first epoch (default 0). */
    public Builder startEpoch(int startEpoch) {
      checkArgument(startEpoch >= 0, "startEpoch must be >= 0, got %s", startEpoch);
      this.startEpoch = startEpoch;
      return this;
    }

    /**
     * Mixup (off by default) in every epoch {@code e} with {@code options.activeIn(e,
     * totalEpochs)}; adds the per-prior weights as labels[2]. Needs a {@link TrainTransform} (the
     * default transform is one).
     */
    public Builder mixup(MixupOptions options, int totalEpochs) {
      checkArgument(totalEpochs >= 1, "totalEpochs must be >= 1, got %s", totalEpochs);
      this.mixup = checkNotNull(options, "options");
      this.totalEpochs = totalEpochs;
      return this;
    }

    /** The iterator (it owns a thread pool: close it). */
    public FssdDataSetIterator build() {
      return new FssdDataSetIterator(this);
    }
  }
}
