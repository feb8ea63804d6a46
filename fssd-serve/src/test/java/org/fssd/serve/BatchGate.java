package org.fssd.serve;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.fssd.image.BgrImage;

/**
 * Test hook for the batcher thread: records the size of every batch and holds the first one until
 * {@link #release} opens, so a test decides when a batch may run (no sleeps).
 */
final class BatchGate implements Consumer<List<BgrImage>> {
  final List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
  final CountDownLatch entered = new CountDownLatch(1);
  final CountDownLatch release = new CountDownLatch(1);

  /** A gate already open: it only records the sizes. */
  static BatchGate open() {
    BatchGate g = new BatchGate();
    g.release.countDown();
    return g;
  }

  @Override
  public void accept(List<BgrImage> batch) {
    sizes.add(batch.size());
    entered.countDown();
    try {
      release.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
