package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fssd.image.ImageInput;

/**
 * Runs a detector from many threads at once and compares every result with a single-threaded one.
 */
final class DetectorThreads {
  private DetectorThreads() {}

  /**
   * {@code threads} threads (none of them the one that built the detector) each make {@code calls}
   * calls, alternating single images and a two-image batch, all started together; every result must
   * equal the single-threaded result of the same image exactly.
   */
  static void assertSameAsSingleThreaded(
      FssdDetector detector, List<BufferedImage> images, int threads, int calls) throws Exception {
    List<List<Detection>> expected = new ArrayList<>();
    for (BufferedImage img : images) {
      expected.add(detector.detect(img));
    }
    assertThat(expected.get(0)).isNotEmpty();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        final int offset = t;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < calls; i++) {
                    int k = (i + offset) % images.size();
                    if (i % 3 == 2) {
                      int k2 = (k + 1) % images.size();
                      List<List<Detection>> got =
                          detector.detectBatch(
                              List.of(ImageInput.of(images.get(k)), ImageInput.of(images.get(k2))));
                      if (!got.get(0).equals(expected.get(k))
                          || !got.get(1).equals(expected.get(k2))) {
                        return "thread "
                            + offset
                            + " call "
                            + i
                            + ": batch of images "
                            + k
                            + ", "
                            + k2
                            + " differs";
                      }
                    } else if (!detector.detect(images.get(k)).equals(expected.get(k))) {
                      return "thread " + offset + " call " + i + ": image " + k + " differs";
                    }
                  }
                  return "ok";
                }));
      }
      start.countDown();
      for (Future<String> f : results) {
        assertThat(f.get(1800, TimeUnit.SECONDS)).isEqualTo("ok");
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
