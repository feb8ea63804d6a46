package org.fssd.serve;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.fssd.FssdException;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.image.BgrImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching: requests wait in one bounded FIFO queue; a worker thread that is free takes the
 * oldest waiting request together with those behind it and runs {@link FssdDetector#detectBatch}
 * once on its own detector. Each request's future completes with exactly its own detections (the
 * detector returns one list per input, in order), or exceptionally when its batch failed.
 *
 * <p><b>When a batch starts.</b> As soon as {@code maxBatch} requests are waiting, or when the
 * oldest waiting request has waited {@code maxDelayMs} (counted from its arrival, as Triton's
 * {@code max_queue_delay} is), whichever comes first. So a request arriving at an idle worker waits
 * at most {@code maxDelayMs} for companions, and requests that queued up while the worker was busy
 * (and so have waited longer than that) start the moment it is free, without a further delay.
 *
 * <p><b>Batch sizes.</b> Only the sizes of {@link #batchSizes(int)} are formed: the powers of two
 * below {@code maxBatch}, and {@code maxBatch} (1, 2, 4, 8 for 8). With more requests waiting than
 * the largest of them that fits, the rest stay queued (first in line for the next batch, or for
 * another worker). The detector compiles whatever it needs in its own build (the CPU engine: by
 * default one batch-1 plan run once per image, see {@code FssdDetector} "Batches"), so no request
 * waits for a compilation; the warm-up runs each size once.
 *
 * <p><b>Threads.</b> Each worker thread builds its detector (from the factory it is given), warms
 * it up, runs all its batches and, when it owns it, closes it. This confinement is not needed for
 * correctness: an {@code FssdDetector} may be built on one thread and called from any number of
 * others (each replica is used by one thread at a time and holds no thread-local state).
 *
 * <p>Images are decoded by the caller before {@link #submit}, so a bad upload never reaches (and
 * never fails) a batch. The caller keeps ownership of the image and must not close it before the
 * future completes; every accepted future is completed, also on {@link #close()}, which finishes
 * the queued work first (without waiting for companions).
 *
 * <p>Thread-safe.
 */
final class DynamicBatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);
  private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final IntFunction<FssdDetector> factory;
  private final boolean ownsDetectors;
  private final int maxBatch;
  private final int[] sizes;
  private final long maxDelayNanos;
  private final int maxQueue;
  private final ServeMetrics metrics;
  private final Consumer<List<BgrImage>> beforeBatch;
  private final LongSupplier clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** Waiting requests, oldest first; guarded by {@link #lock}. */
  private final ArrayDeque<Job> queue = new ArrayDeque<>();

  private final List<CompletableFuture<FssdDetector>> ready = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;

  private final class Job {
    final BgrImage image;
    final CompletableFuture<List<Detection>> result = new CompletableFuture<>();
    final long queuedAt = clock.getAsLong();

    Job(BgrImage image) {
      this.image = image;
    }
  }

  /**
   * Starts {@code workers} threads; worker {@code i} builds its detector with {@code
   * factory.apply(i)} and warms it up (every size of {@link #batchSizes(int)}); see {@link
   * #awaitReady()}.
   *
   * @param ownsDetectors whether the workers close their detectors (on their own threads) when they
   *     stop
   * @param beforeBatch called on the worker thread before each batch (a test hook; may throw), or
   *     null
   * @param clock the clock (nanoseconds) that times the delays ({@code System::nanoTime}; tests
   *     pass a fake one)
   */
  DynamicBatcher(
      IntFunction<FssdDetector> factory,
      boolean ownsDetectors,
      int workers,
      int maxBatch,
      long maxDelayMs,
      int maxQueue,
      ServeMetrics metrics,
      Consumer<List<BgrImage>> beforeBatch,
      LongSupplier clock) {
    checkArgument(workers >= 1, "workers must be >= 1, got %s", workers);
    checkArgument(maxBatch >= 1, "maxBatch must be >= 1, got %s", maxBatch);
    checkArgument(maxDelayMs >= 0, "maxDelayMs must be >= 0, got %s", maxDelayMs);
    checkArgument(maxQueue >= 1, "maxQueue must be >= 1, got %s", maxQueue);
    this.factory = factory;
    this.ownsDetectors = ownsDetectors;
    this.maxBatch = maxBatch;
    this.sizes = batchSizes(maxBatch);
    this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxDelayMs);
    this.maxQueue = maxQueue;
    this.metrics = metrics;
    this.beforeBatch = beforeBatch;
    this.clock = clock;
    for (int i = 0; i < workers; i++) {
      final int index = i;
      CompletableFuture<FssdDetector> r = new CompletableFuture<>();
      ready.add(r);
      Thread t = new Thread(() -> work(index, r), "fssd-batcher-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
  }

  /**
   * The batch sizes the batcher forms for {@code maxBatch}: the detector's own {@link
   * FssdDetector#batchSizes(int)} (1, 2, 4, ... and {@code maxBatch}), so that with batched plans
   * every batch formed is one compiled plan.
   */
  static int[] batchSizes(int maxBatch) {
    return FssdDetector.batchSizes(maxBatch);
  }

  /** The largest of {@link #sizes} that is at most {@code available} (>= 1). */
  private int sizeFor(int available) {
    int best = 1;
    for (int n : sizes) {
      if (n <= available) {
        best = n;
      }
    }
    return best;
  }

  /**
   * Waits until every worker's detector is built and warmed up and returns worker 0's.
   *
   * @throws FssdException when building or warming up failed (the cause attached)
   */
  FssdDetector awaitReady() {
    try {
      for (CompletableFuture<FssdDetector> r : ready) {
        r.get();
      }
      return ready.get(0).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FssdException("interrupted while the model was loading", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException) {
        throw (RuntimeException) c;
      }
      throw new FssdException("the model could not be loaded: " + c, c);
    }
  }

  /**
   * What {@link #submit} did with an image: {@link Accepted} with the future of its detections, or
   * {@link Refused} with the reason (the caller answers 503 either way, naming it).
   */
  sealed interface Submission {}

  /** The image is queued; {@code result} completes with its detections (or the batch's failure). */
  record Accepted(CompletableFuture<List<Detection>> result) implements Submission {}

  /** The image was not queued. */
  record Refused(RefusalReason reason) implements Submission {}

  /** Why an image was not queued. */
  enum RefusalReason {
    /** {@code maxQueue} images are already waiting. */
    QUEUE_FULL,
    /** The batcher is closed (the server is shutting down). */
    CLOSED
  }

  private static final Refused QUEUE_FULL = new Refused(RefusalReason.QUEUE_FULL);
  private static final Refused CLOSED = new Refused(RefusalReason.CLOSED);

  /** Queues an image, or says why it cannot; never null. */
  Submission submit(BgrImage image) {
    lock.lock();
    try {
      if (!running) {
        return CLOSED;
      }
      if (queue.size() >= maxQueue) {
        return QUEUE_FULL;
      }
      Job job = new Job(image);
      queue.addLast(job);
      changed.signalAll();
      return new Accepted(job.result);
    } finally {
      lock.unlock();
    }
  }

  /** Requests waiting for a batch. */
  int depth() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  private void work(int index, CompletableFuture<FssdDetector> readiness) {
    FssdDetector detector = null;
    try {
      detector = factory.apply(index);
      warmUp(detector, index);
      readiness.complete(detector);
    } catch (RuntimeException | Error e) {
      LOG.error("worker {}: the detector could not be built or warmed up", index, e);
      running = false;
      readiness.completeExceptionally(e);
      close(detector);
      return;
    }
    try {
      loop(detector);
    } finally {
      close(detector);
    }
  }

  private void close(FssdDetector detector) {
    if (ownsDetectors && detector != null) {
      detector.close();
    }
  }

  private void warmUp(FssdDetector detector, int index) {
    long t0 = System.nanoTime();
    // A small grey image: the network always sees inputSize x inputSize after the resize.
    int size =
        (int) Math.max(1, Math.min(64, Math.sqrt((double) detector.imageLoader().maxPixels())));
    // Exactly the batch sizes the batcher forms, once each, so that the first requests of each
    // size do not pay for first-touch memory and kernel caches.
    for (int n : sizes) {
      List<BgrImage> images = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          images.add(
              detector
                  .imageLoader()
                  .fromBgrBytes(new byte[3 * size * size], size, size, "warm-up"));
        }
        detector.detectBatch(images);
      } finally {
        images.forEach(BgrImage::close);
      }
    }
    LOG.info(
        "worker {}: warm-up (batch sizes {}) took {} ms",
        index,
        Arrays.toString(sizes),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  private void loop(FssdDetector detector) {
    List<Job> batch = new ArrayList<>(maxBatch);
    while (true) {
      try {
        if (!next(batch)) {
          break;
        }
        run(detector, batch);
      } catch (InterruptedException e) {
        // Nothing interrupts the workers on purpose; keep draining until close() says stop.
        LOG.debug("batcher interrupted");
      } finally {
        batch.clear();
      }
    }
    LOG.debug("batcher stopped");
  }

  /**
   * Waits for the next batch and moves it from the queue into {@code batch}: once {@code maxBatch}
   * requests wait, or the oldest has waited {@code maxDelay}, or the batcher is closing. Returns
   * false when the batcher is closed and the queue is empty.
   */
  private boolean next(List<Job> batch) throws InterruptedException {
    lock.lock();
    try {
      while (queue.isEmpty()) {
        if (!running) {
          return false;
        }
        changed.awaitNanos(IDLE_POLL_NANOS);
      }
      while (running && queue.size() < maxBatch) {
        long left = queue.peekFirst().queuedAt + maxDelayNanos - clock.getAsLong();
        if (left <= 0) {
          break;
        }
        changed.awaitNanos(left);
        if (queue.isEmpty()) {
          return true; // another worker took them; batch is empty, look again
        }
      }
      int n = sizeFor(Math.min(queue.size(), maxBatch));
      for (int i = 0; i < n; i++) {
        batch.add(queue.pollFirst());
      }
      if (!queue.isEmpty()) {
        changed.signalAll(); // the rest may be due already (another worker, or this one next)
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void run(FssdDetector detector, List<Job> batch) {
    if (batch.isEmpty()) {
      return;
    }
    List<BgrImage> images = new ArrayList<>(batch.size());
    long now = clock.getAsLong();
    for (Job j : batch) {
      images.add(j.image);
      metrics.queueWait(now - j.queuedAt);
    }
    long t0 = System.nanoTime();
    try {
      if (beforeBatch != null) {
        beforeBatch.accept(images);
      }
      List<List<Detection>> out = detector.detectBatch(images);
      long t1 = System.nanoTime();
      metrics.batch(batch.size(), t1 - t0);
      if (LOG.isDebugEnabled()) {
        LOG.debug(
            "batch of {}: oldest waited {} ms, run {} ms, {} still queued",
            batch.size(),
            TimeUnit.NANOSECONDS.toMillis(now - batch.get(0).queuedAt),
            TimeUnit.NANOSECONDS.toMillis(t1 - t0),
            depth());
      }
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).result.complete(out.get(i));
      }
    } catch (RuntimeException | Error e) {
      LOG.warn("a batch of {} image(s) failed: {}", batch.size(), e.toString());
      for (Job j : batch) {
        j.result.completeExceptionally(e);
      }
    }
  }

  /**
   * Stops taking work, finishes what is queued, lets the workers close their detectors (if owned)
   * and waits for them (up to 60 s in all).
   */
  @Override
  public void close() {
    lock.lock();
    try {
      running = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try {
      for (Thread t : threads) {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lock.lock();
    try {
      Job left;
      while ((left = queue.pollFirst()) != null) {
        left.result.completeExceptionally(new IllegalStateException("server shut down"));
      }
    } finally {
      lock.unlock();
    }
  }
}
