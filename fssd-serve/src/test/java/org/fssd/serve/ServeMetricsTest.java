package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ServeMetricsTest {
  /** The value of the series with exactly this name and labels; fails when absent. */
  private static double value(String text, String series) {
    return text.lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no series " + series + " in\n" + text));
  }

  @Test
  void countersAndCumulativeHistogramsInPrometheusText() {
    ServeMetrics m = new ServeMetrics(() -> 3, () -> 2);
    m.request("/v1/detect", 200, 3_000_000L); // 3 ms
    m.request("/v1/detect", 200, 200_000_000L); // 200 ms
    m.request("/v1/detect", 400, 1_000_000L);
    m.batch(1, 1_000_000L);
    m.batch(5, 1_000_000L);
    m.rejected();
    m.queueWait(20_000_000L); // 20 ms
    String text = m.scrape();
    assertThat(value(text, "fssd_http_requests_total{endpoint=\"/v1/detect\",status=\"200\"}"))
        .isEqualTo(2);
    assertThat(value(text, "fssd_http_requests_total{endpoint=\"/v1/detect\",status=\"400\"}"))
        .isEqualTo(1);
    String latency = "fssd_http_request_duration_seconds";
    assertThat(value(text, latency + "_bucket{endpoint=\"/v1/detect\",le=\"0.005\"}")).isEqualTo(2);
    assertThat(value(text, latency + "_bucket{endpoint=\"/v1/detect\",le=\"0.1\"}")).isEqualTo(2);
    assertThat(value(text, latency + "_bucket{endpoint=\"/v1/detect\",le=\"0.25\"}")).isEqualTo(3);
    assertThat(value(text, latency + "_bucket{endpoint=\"/v1/detect\",le=\"+Inf\"}")).isEqualTo(3);
    assertThat(value(text, latency + "_count{endpoint=\"/v1/detect\"}")).isEqualTo(3);
    assertThat(value(text, "fssd_batch_size_bucket{le=\"1.0\"}")).isEqualTo(1);
    assertThat(value(text, "fssd_batch_size_bucket{le=\"4.0\"}")).isEqualTo(1);
    assertThat(value(text, "fssd_batch_size_bucket{le=\"8.0\"}")).isEqualTo(2);
    assertThat(value(text, "fssd_batch_size_sum")).isEqualTo(6);
    assertThat(value(text, "fssd_queue_depth")).isEqualTo(3);
    assertThat(value(text, "fssd_uploads_in_progress")).isEqualTo(2);
    assertThat(value(text, "fssd_queue_wait_seconds_bucket{le=\"0.01\"}")).isEqualTo(0);
    assertThat(value(text, "fssd_queue_wait_seconds_bucket{le=\"0.025\"}")).isEqualTo(1);
    assertThat(value(text, "fssd_queue_wait_seconds_count")).isEqualTo(1);
    assertThat(value(text, "fssd_queue_rejected_total")).isEqualTo(1);
    assertThat(value(text, "fssd_images_total")).isEqualTo(6);
    // The types of the series the hand-written exposition had, unchanged.
    assertThat(text)
        .contains("# TYPE fssd_http_requests_total counter\n")
        .contains("# TYPE fssd_http_request_duration_seconds histogram\n")
        .contains("# TYPE fssd_batch_size histogram\n")
        .contains("# TYPE fssd_batch_duration_seconds histogram\n")
        .contains("# TYPE fssd_queue_wait_seconds histogram\n")
        .contains("# TYPE fssd_queue_depth gauge\n")
        .contains("# TYPE fssd_queue_rejected_total counter\n")
        .contains("# TYPE fssd_uploads_in_progress gauge\n")
        .contains("# TYPE fssd_images_total counter\n")
        .doesNotContain("fssd_images_per_second");
  }

  @Test
  void buildInfoNativeMemoryJvmAndProcessMetrics() {
    String text = new ServeMetrics(() -> 0).scrape();
    assertThat(text)
        .containsPattern("(?m)^fssd_build_info\\{java_version=\"[^\"]+\",version=\"[^\"]+\"} 1$")
        .contains("# TYPE fssd_native_bytes gauge\n")
        .contains("# TYPE jvm_memory_used_bytes gauge\n")
        .contains("# TYPE jvm_threads_current gauge\n");
    assertThat(value(text, "fssd_native_bytes")).isGreaterThanOrEqualTo(0);
    assertThat(value(text, "fssd_native_max_bytes")).isPositive();
    assertThat(value(text, "jvm_memory_used_bytes{area=\"heap\"}")).isPositive();
    if (System.getProperty("os.name", "").startsWith("Linux")) { // read from /proc
      assertThat(value(text, "process_resident_memory_bytes")).isPositive();
    }
    assertThat(value(text, "process_cpu_seconds_total")).isPositive();
  }

  @Test
  void openMetricsWhenAskedForAndPrometheusTextOtherwise() throws Exception {
    ServeMetrics m = new ServeMetrics(() -> 0);
    m.batch(2, 1_000_000L);
    ByteArrayOutputStream om = new ByteArrayOutputStream();
    assertThat(m.write("application/openmetrics-text; version=1.0.0; charset=utf-8", om))
        .startsWith("application/openmetrics-text");
    assertThat(om.toString(StandardCharsets.UTF_8))
        .contains("fssd_images_total 2.0\n")
        .endsWith("# EOF\n");
    for (String accept : new String[] {null, "*/*", "text/plain"}) {
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      assertThat(m.write(accept, text)).startsWith("text/plain; version=0.0.4");
      assertThat(text.toString(StandardCharsets.UTF_8))
          .contains("fssd_images_total 2.0\n")
          .doesNotContain("# EOF");
    }
  }
}
