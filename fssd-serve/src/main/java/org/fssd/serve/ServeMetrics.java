package org.fssd.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;
import org.bytedeco.javacpp.Pointer;
import org.fssd.model.Provenance;

/**
 * The metrics behind {@code GET /metrics}, kept in a Prometheus Java client registry of their own
 * (one per server, so that servers in one JVM do not share counters): requests by endpoint and
 * status, request latency per endpoint, batch sizes, batch inference time, time requests wait in
 * the queue, queue depth, uploads in progress, images processed, refusals for a full queue; the
 * native memory JavaCPP tracks (ND4J's and OpenCV's buffers), {@code fssd_build_info}; and the
 * client's JVM and process collectors ({@code jvm_*}, {@code process_*}: heap, GC, threads,
 * resident memory, CPU, open files). A rate such as images per second is left to Prometheus: {@code
 * rate(fssd_images_total[1m])}. Thread-safe.
 */
final class ServeMetrics {
  static final double[] LATENCY_BUCKETS_S = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };
  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final ExpositionFormats formats = ExpositionFormats.init();
  private final Counter requests;
  private final Histogram latency;
  private final Histogram batchSizes;
  private final Histogram batchSeconds;
  private final Histogram queueWaitSeconds;
  private final Counter images;
  private final Counter rejected;

  ServeMetrics(IntSupplier queueDepth) {
    this(queueDepth, () -> 0);
  }

  ServeMetrics(IntSupplier queueDepth, IntSupplier uploadsInProgress) {
    requests =
        Counter.builder()
            .name("fssd_http_requests_total")
            .help("HTTP requests answered, by endpoint and status.")
            .labelNames("endpoint", "status")
            .register(registry);
    latency =
        histogram(
            "fssd_http_request_duration_seconds",
            "Time from request start to answer, by endpoint.",
            LATENCY_BUCKETS_S,
            "endpoint");
    batchSizes = histogram("fssd_batch_size", "Images per detector batch.", BATCH_BUCKETS);
    batchSeconds =
        histogram(
            "fssd_batch_duration_seconds", "Time the detector took per batch.", LATENCY_BUCKETS_S);
    queueWaitSeconds =
        histogram(
            "fssd_queue_wait_seconds",
            "Time a request waited in the queue before its batch started.",
            LATENCY_BUCKETS_S);
    GaugeWithCallback.builder()
        .name("fssd_queue_depth")
        .help("Requests waiting for a batch.")
        .callback(cb -> cb.call(queueDepth.getAsInt()))
        .register(registry);
    rejected =
        Counter.builder()
            .name("fssd_queue_rejected_total")
            .help("Requests turned away with 503 because the queue was full.")
            .register(registry);
    GaugeWithCallback.builder()
        .name("fssd_uploads_in_progress")
        .help("Uploads being received or decoded (each holds an upload permit).")
        .callback(cb -> cb.call(uploadsInProgress.getAsInt()))
        .register(registry);
    images =
        Counter.builder()
            .name("fssd_images_total")
            .help("Images run through the detector.")
            .register(registry);
    // JavaCPP counts the native memory it allocates (ND4J's arrays and OpenCV's Mats among it);
    // the heap metrics do not see it, and it is what grows with batch size and workers.
    GaugeWithCallback.builder()
        .name("fssd_native_bytes")
        .help(
            "Native memory allocated through JavaCPP (ND4J arrays, OpenCV images) and not yet freed.")
        .callback(cb -> cb.call(Pointer.totalBytes()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("fssd_native_max_bytes")
        .help("JavaCPP's limit on fssd_native_bytes (-Dorg.bytedeco.javacpp.maxBytes).")
        .callback(cb -> cb.call(Pointer.maxBytes()))
        .register(registry);
    Info build =
        Info.builder()
            .name("fssd_build_info")
            .help("The fssd4j version serving, and the Java runtime.")
            .labelNames("version", "java_version")
            .register(registry);
    build.setLabelValues(Provenance.version(), System.getProperty("java.version", "unknown"));
    JvmMetrics.builder().register(registry);
  }

  private Histogram histogram(String name, String help, double[] bounds, String... labels) {
    return Histogram.builder()
        .name(name)
        .help(help)
        .classicOnly()
        .classicUpperBounds(bounds)
        .labelNames(labels)
        .register(registry);
  }

  /** Records one finished request. */
  void request(String endpoint, int status, long nanos) {
    requests.labelValues(endpoint, Integer.toString(status)).inc();
    latency.labelValues(endpoint).observe(nanos / 1e9);
  }

  /** Records one batch run through the detector. */
  void batch(int size, long nanos) {
    batchSizes.observe(size);
    batchSeconds.observe(nanos / 1e9);
    images.inc(size);
  }

  /** Records how long one request waited in the queue before its batch started. */
  void queueWait(long nanos) {
    queueWaitSeconds.observe(Math.max(0, nanos) / 1e9);
  }

  /** Records a request turned away because the queue was full. */
  void rejected() {
    rejected.inc();
  }

  /**
   * Writes every metric to {@code out} in the format the {@code Accept} header asks for (Prometheus
   * text 0.0.4 by default, OpenMetrics text when asked) and returns its content type.
   */
  String write(String accept, OutputStream out) throws IOException {
    ExpositionFormatWriter w = formats.findWriter(accept);
    if (w == null || !w.isAvailable()) {
      w = formats.getPrometheusTextFormatWriter();
    }
    w.write(out, registry.scrape());
    return w.getContentType();
  }

  /** The Prometheus text (format 0.0.4). */
  String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16_384);
    try {
      formats.getPrometheusTextFormatWriter().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
