package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.image.BgrImage;
import org.fssd.image.ImageLoader;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When the batcher starts a batch and which sizes it forms, on a tiny real detector. Time is a fake
 * clock where it matters, and the first batch can be held on its worker thread, so every batch's
 * composition is determined by the test alone. Delays of an hour make "waited for the delay" fail
 * by the class timeout instead of by a timed assertion.
 */
@Timeout(
    value = 300,
    unit = TimeUnit.SECONDS) // generous: each test compiles a few plans, on a busy machine too
class DynamicBatcherTest {
  private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);
  private static final ImageLoader LOADER = ImageLoader.defaults();

  private static FssdModel model;
  private final List<BgrImage> images = new ArrayList<>();
  private DynamicBatcher batcher;

  @BeforeAll
  static void setUp() {
    model = ServeTestModels.tamedTiny300();
  }

  @AfterEach
  void tearDown() {
    if (batcher != null) {
      batcher.close();
    }
    images.forEach(BgrImage::close);
  }

  private DynamicBatcher start(int maxBatch, long maxDelayMs, BatchGate gate, LongSupplier clock) {
    batcher =
        new DynamicBatcher(
            i -> FssdDetector.builder().model(model).scoreThreshold(0.01f).build(),
            true,
            1,
            maxBatch,
            maxDelayMs,
            64,
            new ServeMetrics(() -> 0),
            gate,
            clock);
    batcher.awaitReady();
    return batcher;
  }

  private BgrImage image(long seed) {
    byte[] bgr = new byte[3 * 40 * 30];
    new Random(seed).nextBytes(bgr);
    BgrImage img = LOADER.fromBgrBytes(bgr, 40, 30, "noise-" + seed);
    images.add(img);
    return img;
  }

  private CompletableFuture<List<Detection>> submit(long seed) {
    DynamicBatcher.Submission s = batcher.submit(image(seed));
    assertThat(s).as("accepted").isInstanceOf(DynamicBatcher.Accepted.class);
    return ((DynamicBatcher.Accepted) s).result();
  }

  @Test
  void batchSizesArePowersOfTwoBelowMaxBatchAndMaxBatch() {
    assertThat(DynamicBatcher.batchSizes(1)).containsExactly(1);
    assertThat(DynamicBatcher.batchSizes(2)).containsExactly(1, 2);
    assertThat(DynamicBatcher.batchSizes(6)).containsExactly(1, 2, 4, 6);
    assertThat(DynamicBatcher.batchSizes(8)).containsExactly(1, 2, 4, 8);
    assertThat(DynamicBatcher.batchSizes(12)).containsExactly(1, 2, 4, 8, 12);
  }

  @Test
  void submitSaysWhyItRefusesAQueueFullFromAClosedBatcher() throws Exception {
    BatchGate gate = new BatchGate();
    batcher =
        new DynamicBatcher(
            i -> FssdDetector.builder().model(model).scoreThreshold(0.01f).build(),
            true,
            1,
            1,
            0,
            1,
            new ServeMetrics(() -> 0),
            gate,
            System::nanoTime);
    batcher.awaitReady();
    CompletableFuture<List<Detection>> running = submit(1);
    gate.entered.await(); // the worker holds image 1; the queue is empty again
    CompletableFuture<List<Detection>> queued = submit(2); // the queue's one place
    assertThat(batcher.submit(image(3)))
        .isEqualTo(new DynamicBatcher.Refused(DynamicBatcher.RefusalReason.QUEUE_FULL));
    gate.release.countDown();
    assertThat(running.get()).isNotNull();
    assertThat(queued.get()).isNotNull();
    batcher.close();
    assertThat(batcher.submit(image(4)))
        .isEqualTo(new DynamicBatcher.Refused(DynamicBatcher.RefusalReason.CLOSED));
  }

  @Test
  void requestsThatQueuedDuringABatchStartAsSoonAsTheWorkerIsFree() throws Exception {
    AtomicLong now = new AtomicLong();
    BatchGate gate = new BatchGate();
    start(2, HOUR_MS, gate, now::get);
    List<CompletableFuture<List<Detection>>> first = List.of(submit(1), submit(2)); // a full batch
    gate.entered.await();
    CompletableFuture<List<Detection>> late = submit(3); // queued while the worker is busy
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(2 * HOUR_MS)); // ... for longer than the delay
    gate.release.countDown();
    // Counted from its arrival, its delay is over: it runs alone at once. (Counting the delay from
    // when the worker picked it up, it would wait another hour for a companion.)
    assertThat(late.get()).isNotNull();
    for (CompletableFuture<List<Detection>> f : first) {
      assertThat(f.get()).isNotNull();
    }
    assertThat(gate.sizes).containsExactly(2, 1);
  }

  @Test
  void aRequestAtAnIdleWorkerWaitsForCompanionsWithinTheDelay() throws Exception {
    AtomicLong now = new AtomicLong(); // never moves: the delay never runs out
    BatchGate gate = BatchGate.open();
    start(4, HOUR_MS, gate, now::get);
    List<CompletableFuture<List<Detection>>> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      all.add(submit(i));
    }
    for (CompletableFuture<List<Detection>> f : all) {
      assertThat(f.get()).isNotNull();
    }
    assertThat(gate.sizes).containsExactly(4);

    // Closing does not wait for companions: a lone waiting request is run, not dropped.
    CompletableFuture<List<Detection>> lone = submit(9);
    batcher.close();
    assertThat(lone.get()).isNotNull();
    assertThat(gate.sizes).containsExactly(4, 1);
  }

  @Test
  void aLongerQueueRunsAsBatchesOfTheWarmedUpSizesOnly() throws Exception {
    BatchGate gate = new BatchGate();
    start(8, 0, gate, System::nanoTime);
    CompletableFuture<List<Detection>> head = submit(100);
    gate.entered.await();
    List<CompletableFuture<List<Detection>>> rest = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      rest.add(submit(i));
    }
    gate.release.countDown();
    assertThat(head.get()).isNotNull();
    // 7 waiting with plans for 1, 2, 4 and 8: 4 + 2 + 1, oldest first; no plan for 7 is compiled.
    try (FssdDetector reference =
        FssdDetector.builder().model(model).scoreThreshold(0.01f).build()) {
      for (int i = 0; i < 7; i++) {
        assertThat(rest.get(i).get())
            .as("request %s", i)
            .hasSameSizeAs(reference.detect(images.get(i + 1)));
      }
    }
    assertThat(gate.sizes).containsExactly(1, 4, 2, 1);
  }
}
