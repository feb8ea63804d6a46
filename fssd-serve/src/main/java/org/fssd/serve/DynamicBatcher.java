package org.fssd.serve;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.image.BgrImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching: requests wait in a bounded queue; one batcher thread takes the first waiting
 * request, collects whatever else arrives within {@code maxDelayMs} (up to {@code maxBatch}
 * images), and runs {@link FssdDetector#detectBatch} once. Each request's future completes with
 * exactly its own detections (the detector returns one list per input, in order), or
 * exceptionally when the batch failed.
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

  private final FssdDetector detector;
  private final int maxBatch;
  private final long maxDelayNanos;
  private final BlockingQueue<Job> queue;
  private final ServeMetrics metrics;
  private final Thread thread;
  private volatile boolean running = true;

  private static final class Job {
    final BgrImage image;
    final CompletableFuture<List<Detection>> result = new CompletableFuture<>();

    Job(BgrImage image) {
      this.image = image;
    }
  }

  DynamicBatcher(FssdDetector detector, int maxBatch, long maxDelayMs, int maxQueue, ServeMetrics metrics) {
    checkArgument(maxBatch >= 1, "maxBatch must be >= 1, got %s", maxBatch);
    checkArgument(maxDelayMs >= 0, "maxDelayMs must be >= 0, got %s", maxDelayMs);
    checkArgument(maxQueue >= 1, "maxQueue must be >= 1, got %s", maxQueue);
    this.detector = detector;
    this.maxBatch = maxBatch;
    this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxDelayMs);
    this.queue = new ArrayBlockingQueue<>(maxQueue);
    this.metrics = metrics;
    this.thread = new Thread(this::loop, "fssd-batcher");
    thread.setDaemon(true);
    thread.start();
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

  private void loop() {
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
        run(batch);
      } catch (InterruptedException e) {
        // close() interrupts only to hurry an idle poll; keep draining.
        LOG.debug("batcher interrupted");
      } finally {
        batch.clear();
      }
    }
    LOG.debug("batcher stopped");
  }

  private void run(List<Job> batch) {
    List<BgrImage> images = new ArrayList<>(batch.size());
    for (Job j : batch) {
      images.add(j.image);
    }
    long t0 = System.nanoTime();
    try {
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

  /** Stops taking work, finishes what is queued, and stops the thread (waits up to 60 s). */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Job left;
    while ((left = queue.poll()) != null) {
      left.result.completeExceptionally(new IllegalStateException("server shut down"));
    }
  }
}
