package org.fssd.serve;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The counters behind {@code GET /metrics}, written in the Prometheus text exposition format
 * (version 0.0.4): requests by endpoint and status, request latency per endpoint, batch sizes,
 * batch inference time, time requests wait in the queue, queue depth, uploads in progress, images
 * processed and images per second over the last 10 seconds. Thread-safe.
 */
final class ServeMetrics {
  static final double[] LATENCY_BUCKETS_S = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};
  private static final long RATE_WINDOW_NANOS = 10_000_000_000L;

  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
  private final Histogram batchSizes = new Histogram(BATCH_BUCKETS);
  private final Histogram batchSeconds = new Histogram(LATENCY_BUCKETS_S);
  private final Histogram queueWaitSeconds = new Histogram(LATENCY_BUCKETS_S);
  private final LongAdder images = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final ArrayDeque<long[]> recent = new ArrayDeque<>();
  private final IntSupplier queueDepth;
  private final IntSupplier uploadsInProgress;

  ServeMetrics(IntSupplier queueDepth) {
    this(queueDepth, () -> 0);
  }

  ServeMetrics(IntSupplier queueDepth, IntSupplier uploadsInProgress) {
    this.queueDepth = queueDepth;
    this.uploadsInProgress = uploadsInProgress;
  }

  /** Records one finished request. */
  void request(String endpoint, int status, long nanos) {
    requests.computeIfAbsent(endpoint + '\u0000' + status, k -> new LongAdder()).increment();
    latency.computeIfAbsent(endpoint, k -> new Histogram(LATENCY_BUCKETS_S)).observe(nanos / 1e9);
  }

  /** Records one batch run through the detector. */
  void batch(int size, long nanos) {
    batchSizes.observe(size);
    batchSeconds.observe(nanos / 1e9);
    images.add(size);
    long now = System.nanoTime();
    synchronized (recent) {
      recent.addLast(new long[] {now, size});
      evict(now);
    }
  }

  /** Records how long one request waited in the queue before its batch started. */
  void queueWait(long nanos) {
    queueWaitSeconds.observe(Math.max(0, nanos) / 1e9);
  }

  /** Records a request turned away because the queue was full. */
  void rejected() {
    rejected.increment();
  }

  /** Images finished per second over the last 10 seconds. */
  double imagesPerSecond() {
    long now = System.nanoTime();
    long sum = 0;
    synchronized (recent) {
      evict(now);
      for (long[] r : recent) {
        sum += r[1];
      }
    }
    return sum / (RATE_WINDOW_NANOS / 1e9);
  }

  private void evict(long now) {
    while (!recent.isEmpty() && now - recent.peekFirst()[0] > RATE_WINDOW_NANOS) {
      recent.removeFirst();
    }
  }

  /** The Prometheus text. */
  String scrape() {
    StringBuilder sb = new StringBuilder(4096);
    sb.append("# HELP fssd_http_requests_total HTTP requests answered, by endpoint and status.\n");
    sb.append("# TYPE fssd_http_requests_total counter\n");
    for (Map.Entry<String, LongAdder> e : new TreeMap<>(requests).entrySet()) {
      String[] k = e.getKey().split("\u0000", 2);
      sb.append("fssd_http_requests_total{endpoint=\"").append(escape(k[0])).append("\",status=\"")
          .append(k[1]).append("\"} ").append(e.getValue().sum()).append('\n');
    }
    sb.append("# HELP fssd_http_request_duration_seconds Time from request start to answer, by endpoint.\n");
    sb.append("# TYPE fssd_http_request_duration_seconds histogram\n");
    for (Map.Entry<String, Histogram> e : new TreeMap<>(latency).entrySet()) {
      e.getValue().write(sb, "fssd_http_request_duration_seconds", "endpoint=\"" + escape(e.getKey()) + "\"");
    }
    sb.append("# HELP fssd_batch_size Images per detector batch.\n");
    sb.append("# TYPE fssd_batch_size histogram\n");
    batchSizes.write(sb, "fssd_batch_size", "");
    sb.append("# HELP fssd_batch_duration_seconds Time the detector took per batch.\n");
    sb.append("# TYPE fssd_batch_duration_seconds histogram\n");
    batchSeconds.write(sb, "fssd_batch_duration_seconds", "");
    sb.append("# HELP fssd_queue_wait_seconds Time a request waited in the queue before its batch started.\n");
    sb.append("# TYPE fssd_queue_wait_seconds histogram\n");
    queueWaitSeconds.write(sb, "fssd_queue_wait_seconds", "");
    sb.append("# HELP fssd_queue_depth Requests waiting for a batch.\n");
    sb.append("# TYPE fssd_queue_depth gauge\n");
    sb.append("fssd_queue_depth ").append(queueDepth.getAsInt()).append('\n');
    sb.append("# HELP fssd_queue_rejected_total Requests turned away with 503 because the queue was full.\n");
    sb.append("# TYPE fssd_queue_rejected_total counter\n");
    sb.append("fssd_queue_rejected_total ").append(rejected.sum()).append('\n');
    sb.append("# HELP fssd_uploads_in_progress Uploads being received or decoded (each holds an upload permit).\n");
    sb.append("# TYPE fssd_uploads_in_progress gauge\n");
    sb.append("fssd_uploads_in_progress ").append(uploadsInProgress.getAsInt()).append('\n');
    sb.append("# HELP fssd_images_total Images run through the detector.\n");
    sb.append("# TYPE fssd_images_total counter\n");
    sb.append("fssd_images_total ").append(images.sum()).append('\n');
    sb.append("# HELP fssd_images_per_second Images per second over the last 10 seconds.\n");
    sb.append("# TYPE fssd_images_per_second gauge\n");
    sb.append("fssd_images_per_second ").append(num(imagesPerSecond())).append('\n');
    return sb.toString();
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  static String num(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  /** A cumulative histogram with fixed upper bounds. */
  private static final class Histogram {
    private final double[] bounds;
    private final long[] counts;
    private long count;
    private double sum;

    Histogram(double[] bounds) {
      this.bounds = bounds;
      this.counts = new long[bounds.length];
    }

    synchronized void observe(double v) {
      for (int i = 0; i < bounds.length; i++) {
        if (v <= bounds[i]) {
          counts[i]++;
        }
      }
      count++;
      sum += v;
    }

    synchronized void write(StringBuilder sb, String name, String labels) {
      String sep = labels.isEmpty() ? "" : ",";
      for (int i = 0; i < bounds.length; i++) {
        sb.append(name).append("_bucket{").append(labels).append(sep).append("le=\"").append(num(bounds[i]))
            .append("\"} ").append(counts[i]).append('\n');
      }
      sb.append(name).append("_bucket{").append(labels).append(sep).append("le=\"+Inf\"} ").append(count).append('\n');
      String braces = labels.isEmpty() ? "" : "{" + labels + "}";
      sb.append(name).append("_sum").append(braces).append(' ').append(num(sum)).append('\n');
      sb.append(name).append("_count").append(braces).append(' ').append(count).append('\n');
    }
  }
}
