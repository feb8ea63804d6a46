package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServeMetricsTest {
  @Test
  void countersAndCumulativeHistogramsInPrometheusText() {
    ServeMetrics m = new ServeMetrics(() -> 3);
    m.request("/v1/detect", 200, 3_000_000L);   // 3 ms
    m.request("/v1/detect", 200, 200_000_000L); // 200 ms
    m.request("/v1/detect", 400, 1_000_000L);
    m.batch(1, 1_000_000L);
    m.batch(5, 1_000_000L);
    m.rejected();
    m.queueWait(20_000_000L); // 20 ms
    String text = m.scrape();
    assertThat(text)
        .contains("fssd_http_requests_total{endpoint=\"/v1/detect\",status=\"200\"} 2\n")
        .contains("fssd_http_requests_total{endpoint=\"/v1/detect\",status=\"400\"} 1\n")
        .contains("fssd_http_request_duration_seconds_bucket{endpoint=\"/v1/detect\",le=\"0.005\"} 2\n")
        .contains("fssd_http_request_duration_seconds_bucket{endpoint=\"/v1/detect\",le=\"0.1\"} 2\n")
        .contains("fssd_http_request_duration_seconds_bucket{endpoint=\"/v1/detect\",le=\"0.25\"} 3\n")
        .contains("fssd_http_request_duration_seconds_bucket{endpoint=\"/v1/detect\",le=\"+Inf\"} 3\n")
        .contains("fssd_http_request_duration_seconds_count{endpoint=\"/v1/detect\"} 3\n")
        .contains("fssd_batch_size_bucket{le=\"1\"} 1\n")
        .contains("fssd_batch_size_bucket{le=\"4\"} 1\n")
        .contains("fssd_batch_size_bucket{le=\"8\"} 2\n")
        .contains("fssd_batch_size_sum 6\n")
        .contains("fssd_queue_depth 3\n")
        .contains("fssd_queue_wait_seconds_bucket{le=\"0.01\"} 0\n")
        .contains("fssd_queue_wait_seconds_bucket{le=\"0.025\"} 1\n")
        .contains("fssd_queue_wait_seconds_count 1\n")
        .contains("fssd_queue_rejected_total 1\n")
        .contains("fssd_images_total 6\n")
        .contains("fssd_images_per_second 0.6\n")
        .contains("# TYPE fssd_batch_size histogram\n");
  }
}
