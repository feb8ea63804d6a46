package org.fssd.bench;

import java.util.concurrent.TimeUnit;
import org.fssd.data.ShapesDataset;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.model.FssdConfig;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Training-data throughput: {@link FssdDataSetIterator} over the synthetic shapes dataset (images
 * drawn on the fly, 400 x 300 px, textured, noisy) with the SPEC §8 training augmentation, prior
 * matching for FSSD300 and batching into a DL4J {@code MultiDataSet} of 8. One invocation takes one
 * batch; the score is in images per second ({@code @OperationsPerInvocation(8)}). Epochs roll over
 * inside the timed loop (the iterator is reset when exhausted, as the trainer does).
 *
 * <p>Axis {@code workers}: threads preparing samples (1 or 2; the machine of record has 2 cores).
 * The batch goes to JMH's implicit blackhole.
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -jar fssd-benchmarks/target/fssd-benchmarks.jar IteratorBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
public class IteratorBenchmark {
  private static final int BATCH = 8;

  /** Sample-preparation threads. */
  @Param({"1", "2"})
  public int workers;

  private FssdDataSetIterator iterator;

  /** Builds the dataset and the iterator. */
  @Setup(Level.Trial)
  public void setUp() {
    ShapesDataset shapes = ShapesDataset.builder().count(256).imageSize(400, 300).seed(7).build();
    iterator =
        FssdDataSetIterator.builder(shapes, FssdConfig.voc300().priors())
            .batchSize(BATCH)
            .workers(workers)
            .seed(7)
            .shuffle(true)
            .dropLast(true)
            .build();
  }

  /** Stops the worker pool. */
  @TearDown(Level.Trial)
  public void tearDown() {
    iterator.close();
  }

  /** Takes the next batch of 8 images. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public MultiDataSet nextBatch() {
    if (!iterator.hasNext()) {
      iterator.reset();
    }
    return iterator.next();
  }
}
