package org.fssd.serve;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.fssd.FssdException;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.image.BgrImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching: requests wait in one bounded queue; each worker thread takes the first waiting
 * request, collects whatever else arrives within {@code maxDelayMs} (up to {@code maxBatch}
 * images), and runs {@link FssdDetector#detectBatch} once on its own detector. Each request's
 * future completes with exactly its own detections (the detector returns one list per input, in
 * order), or exceptionally when its batch failed.
 *
 * <p><b>One thread per detector.</b> Each worker thread builds its detector (from the factory it
 * is given), warms it up, runs all its batches and, when it owns it, closes it. oneDNN's Winograd
 * convolutions keep their scratch memory in a thread-local buffer shared by the primitives created
 * on that thread, so a plan must be created, run and destroyed on one thread; running the CPU
 * engine's plans from several threads crashed the JVM (SIGSEGV in {@code wino_conv_4x3}) in
 * testing.
 *
 * <p>Images are decoded by the caller before {@link #submit}, so a bad upload never reaches (and
 * never fails) a batch. The caller keeps ownership of the image and must not close it before the
 * future completes; every accepted future is completed, also on {@link #close()}, which finishes
 * the queued work first.
 *
 * <p>Thread-safe.
 */
final class DynamicBatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

  private final IntFunction<FssdDetector> factory;
  private final boolean ownsDetectors;
  private final int maxBatch;
  private final long maxDelayNanos;
  private final BlockingQueue<Job> queue;
  private final ServeMetrics metrics;
  private final Consumer<List<BgrImage>> beforeBatch;
  private final List<CompletableFuture<FssdDetector>> ready = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;

  private static final class Job {
    final BgrImage image;
    final CompletableFuture<List<Detection>> result = new CompletableFuture<>();

    Job(BgrImage image) {
      this.image = image;
    }
  }

  /**
   * Starts {@code workers} threads; worker {@code i} builds its detector with {@code
   * factory.apply(i)} and warms it up (every batch size 1..{@code maxBatch}); see {@link
   * #awaitReady()}.
   *
   * @param ownsDetectors whether the workers close their detectors (on their own threads) when
   *     they stop
   * @param beforeBatch called on the worker thread before each batch (a test hook; may throw), or
   *     null
   */
  DynamicBatcher(IntFunction<FssdDetector> factory, boolean ownsDetectors, int workers, int maxBatch,
      long maxDelayMs, int maxQueue, ServeMetrics metrics, Consumer<List<BgrImage>> beforeBatch) {
    checkArgument(workers >= 1, "workers must be >= 1, got %s", workers);
    checkArgument(maxBatch >= 1, "maxBatch must be >= 1, got %s", maxBatch);
    checkArgument(maxDelayMs >= 0, "maxDelayMs must be >= 0, got %s", maxDelayMs);
    checkArgument(maxQueue >= 1, "maxQueue must be >= 1, got %s", maxQueue);
    this.factory = factory;
    this.ownsDetectors = ownsDetectors;
    this.maxBatch = maxBatch;
    this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxDelayMs);
    this.queue = new ArrayBlockingQueue<>(maxQueue);
    this.metrics = metrics;
    this.beforeBatch = beforeBatch;
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
   * Queues an image; returns {@code null} when the queue is full or the batcher is closed (the
   * caller answers 503).
   */
  CompletableFuture<List<Detection>> submit(BgrImage image) {
    if (!running) {
      return null;
    }
    Job job = new Job(image);
    return queue.offer(job) ? job.result : null;
  }

  /** Requests waiting for a batch. */
  int depth() {
    return queue.size();
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
    int size = (int) Math.max(1, Math.min(64, Math.sqrt((double) detector.imageLoader().maxPixels())));
    // Every batch size the batcher can form: the oneDNN engine compiles one plan per batch size,
    // and compiling on the first request of a new size would stall that request (seen in the
    // load test as multi-second p95 latencies at 4 clients).
    List<Integer> sizes = new ArrayList<>();
    for (int n = 1; n <= maxBatch; n++) {
      sizes.add(n);
    }
    for (int n : sizes) {
      List<BgrImage> images = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          images.add(detector.imageLoader().fromBgrBytes(new byte[3 * size * size], size, size, "warm-up"));
        }
        detector.detectBatch(images);
      } finally {
        images.forEach(BgrImage::close);
      }
    }
    LOG.info("worker {}: warm-up (batch sizes {}) took {} ms", index, sizes,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  private void loop(FssdDetector detector) {
    List<Job> batch = new ArrayList<>(maxBatch);
    while (running || !queue.isEmpty()) {
      try {
        Job first = queue.poll(50, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        long deadline = System.nanoTime() + maxDelayNanos;
        while (batch.size() < maxBatch) {
          queue.drainTo(batch, maxBatch - batch.size());
          long left = deadline - System.nanoTime();
          if (batch.size() >= maxBatch || left <= 0) {
            break;
          }
          Job next = queue.poll(left, TimeUnit.NANOSECONDS);
          if (next == null) {
            break;
          }
          batch.add(next);
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

  private void run(FssdDetector detector, List<Job> batch) {
    List<BgrImage> images = new ArrayList<>(batch.size());
    for (Job j : batch) {
      images.add(j.image);
    }
    long t0 = System.nanoTime();
    try {
      if (beforeBatch != null) {
        beforeBatch.accept(images);
      }
      List<List<Detection>> out = detector.detectBatch(images);
      metrics.batch(batch.size(), System.nanoTime() - t0);
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
    running = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try {
      for (Thread t : threads) {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Job left;
    while ((left = queue.poll()) != null) {
      left.result.completeExceptionally(new IllegalStateException("server shut down"));
    }
  }
}
