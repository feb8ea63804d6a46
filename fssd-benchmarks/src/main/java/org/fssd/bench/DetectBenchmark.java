package org.fssd.bench;

import java.util.List;
import org.fssd.detect.Detection;
import org.fssd.detect.Engine;
import org.fssd.detect.FssdDetector;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * End-to-end detection of one image, as an application sees it: {@link FssdDetector#detect(byte[])}
 * on a JPEG (the 500 x 375 reference image, ~JPEG quality 75) = decode, resize + mean subtraction,
 * forward, box decoding, per-class NMS. One operation = one image.
 *
 * <p>Axes: {@code model} voc300 | pruned300 (published pruned widths, base only) | half300 (uniform
 * 50 % of every prunable layer) ({@link BenchModels}, random weights, seed 1), {@code engine}
 * ONEDNN | GRAPH (GRAPH is 3-7 s/image: run it alone with few iterations), {@code threshold} the
 * score threshold (0.3 = the application default; with random weights most scores are spread thin,
 * so 0.01 mostly measures NMS on many candidates). The returned list goes to JMH's implicit
 * blackhole.
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -jar fssd-benchmarks/target/fssd-benchmarks.jar DetectBenchmark -p engine=ONEDNN
 * </pre>
 */
public class DetectBenchmark extends FullModelBenchmark {
  /** Network: voc300, pruned300 or half300 (any name of {@link BenchModels}). */
  @Param({"voc300", "pruned300", "half300"})
  public String model;

  /** ONEDNN or GRAPH. */
  @Param({"ONEDNN"})
  public Engine engine;

  /** Score threshold of SPEC §9. */
  @Param({"0.3"})
  public float threshold;

  private FssdDetector detector;
  private byte[] jpeg;

  /** Builds the detector and detects once (compiles the plan). */
  @Setup(Level.Trial)
  public void setUp() {
    jpeg = Fixtures.referenceJpeg();
    detector =
        FssdDetector.builder()
            .model(BenchModels.model(model))
            .engine(engine)
            .scoreThreshold(threshold)
            .build();
    detector.detect(jpeg);
  }

  /** Closes the detector. */
  @TearDown(Level.Trial)
  public void tearDown() {
    detector.close();
  }

  /** Detects objects in one JPEG. */
  @Benchmark
  public List<Detection> detect() {
    return detector.detect(jpeg);
  }
}
