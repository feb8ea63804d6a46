package org.fssd.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.fssd.detect.FssdDetector;
import org.fssd.model.FssdModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The detectors of this JVM (an executor, or the driver in local mode): one per (model content,
 * detector settings), built on first use from the broadcast model bytes and kept for the life of
 * the JVM, so every later partition and task on the executor reuses it. Closed by a shutdown hook.
 */
final class ExecutorDetectors {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorDetectors.class);
  private static final Map<String, FssdDetector> DETECTORS = new ConcurrentHashMap<>();
  private static final AtomicInteger CREATED = new AtomicInteger();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(ExecutorDetectors::closeAll, "fssd-spark-detectors-close"));
  }

  private ExecutorDetectors() {}

  /**
   * The detector for a model whose SHA-256 is {@code modelSha256}; on the first call in this JVM
   * the model bytes are fetched from {@code modelBytes} (the broadcast), written to a local temp
   * file, loaded, and the file deleted.
   */
  static FssdDetector get(String modelSha256, Supplier<byte[]> modelBytes, DetectOptions options) {
    String key = modelSha256 + "|" + options.detectorKey();
    return DETECTORS.computeIfAbsent(key, k -> create(modelSha256, modelBytes, options));
  }

  private static FssdDetector create(
      String sha, Supplier<byte[]> modelBytes, DetectOptions options) {
    long start = System.nanoTime();
    FssdModel model;
    Path file = null;
    try {
      file = Files.createTempFile("fssd-model-" + sha.substring(0, 12) + "-", ".zip");
      Files.write(file, modelBytes.get());
      model = FssdModel.load(file);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the broadcast FSSD model to a local temp file " + file, e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          LOG.warn("cannot delete the temp model file {}: {}", file, e.toString());
        }
      }
    }
    FssdDetector detector =
        FssdDetector.builder().model(model).settings(options.detectorSettings()).build();
    CREATED.incrementAndGet();
    LOG.info(
        "fssd-spark: detector for model {} ({}) ready in {} ms",
        sha.substring(0, 12),
        options.detectorKey(),
        (System.nanoTime() - start) / 1_000_000);
    return detector;
  }

  /** How many detectors this JVM has built so far (for tests: proves reuse). */
  static int createdCount() {
    return CREATED.get();
  }

  /** Closes and forgets every detector (the shutdown hook; tests). */
  static synchronized void closeAll() {
    List<FssdDetector> all = new ArrayList<>(DETECTORS.values());
    DETECTORS.clear();
    for (FssdDetector d : all) {
      try {
        d.close();
      } catch (RuntimeException e) {
        LOG.warn("closing an FSSD detector failed: {}", e.toString());
      }
    }
  }
}
