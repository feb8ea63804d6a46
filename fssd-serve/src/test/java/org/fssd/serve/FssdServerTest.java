package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** FssdServer over loopback on ephemeral ports, with a tiny random FSSD300 (2 object classes). */
@Timeout(
    value = 300,
    unit = TimeUnit.SECONDS) // generous: several servers compile plans, on a busy machine too
class FssdServerTest {
  /** Default request threshold of the servers here. */
  private static final float THRESHOLD = ServeFixtures.THRESHOLD;

  private static final int MAX_DETECTIONS = ServeFixtures.MAX_DETECTIONS;
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = ServeFixtures.HTTP;

  private static FssdModel model;
  private static FssdDetector detector;
  private static FssdServer server;
  private static List<byte[]> images;

  @BeforeAll
  static void setUp() throws IOException {
    model = ServeTestModels.tamedTiny300();
    // The reference: a detector like the one the server builds (threshold floor, same cap), run
    // here.
    detector = ServeFixtures.referenceDetector(model, MAX_DETECTIONS);
    server = serverBuilder().maxBatch(8).maxDelayMs(5).build().start();
    images = new ArrayList<>();
    images.add(png(160, 120, 1));
    images.add(png(97, 211, 2));
    images.add(jpeg(320, 240, 3));
    images.add(png(300, 300, 4));
  }

  @AfterAll
  static void tearDown() throws Exception {
    ServeFixtures.closeAll(server, detector);
  }

  // ------------------------------------------------------------------ helpers

  private static FssdServer.Builder serverBuilder() {
    return ServeFixtures.serverBuilder(model);
  }

  /** What the server should answer without query parameters: the reference, filtered. */
  private static List<Detection> expected(byte[] img) {
    return Endpoints.filter(detector.detect(img), THRESHOLD, Integer.MAX_VALUE);
  }

  private static byte[] png(int w, int h, long seed) throws IOException {
    return ServeFixtures.encodedNoise(w, h, seed, "png");
  }

  private static byte[] flatPng(int w, int h) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR), "png", out);
    return out.toByteArray();
  }

  private static byte[] jpeg(int w, int h, long seed) throws IOException {
    return ServeFixtures.encodedNoise(w, h, seed, "jpeg");
  }

  private static URI uri(FssdServer s, String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + s.port() + pathAndQuery);
  }

  private static HttpResponse<byte[]> post(
      FssdServer s, String pathAndQuery, byte[] body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(s, pathAndQuery))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static HttpResponse<String> get(FssdServer s, String path)
      throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(uri(s, path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<byte[]> r) throws IOException {
    assertThat(r.headers().firstValue("Content-Type"))
        .get()
        .asString()
        .startsWith("application/json");
    return MAPPER.readTree(r.body());
  }

  /** Asserts the answer's JSON matches the detector's own result on the same bytes. */
  private static void assertSameDetections(
      JsonNode answer, List<Detection> expected, int width, int height) {
    assertThat(answer.get("image").asText()).isEqualTo("upload");
    assertThat(answer.get("width").asInt()).isEqualTo(width);
    assertThat(answer.get("height").asInt()).isEqualTo(height);
    JsonNode dets = answer.get("detections");
    assertThat(dets.size()).isEqualTo(expected.size());
    // Match as sets: batching may reorder near-ties (scores within float noise).
    boolean[] used = new boolean[dets.size()];
    for (int i = 0; i < expected.size(); i++) {
      Detection e = expected.get(i);
      float[] box = {e.box().x1(), e.box().y1(), e.box().x2(), e.box().y2()};
      int found = -1;
      for (int j = 0; j < dets.size() && found < 0; j++) {
        JsonNode d = dets.get(j);
        if (!used[j]
            && d.get("class").asInt() == e.classIndex()
            && d.get("label").asText().equals(e.label())
            && Math.abs(d.get("score").floatValue() - e.score()) <= 1e-4f
            && closeBox(d.get("box"), box)) {
          found = j;
        }
      }
      assertThat(found).as("no answer matches expected detection #%s %s", i, e).isNotNegative();
      used[found] = true;
    }
    for (int j = 1; j < dets.size(); j++) {
      assertThat(dets.get(j).get("score").floatValue())
          .isLessThanOrEqualTo(dets.get(j - 1).get("score").floatValue());
    }
  }

  private static boolean closeBox(JsonNode box, float[] expected) {
    for (int k = 0; k < 4; k++) {
      // 1e-3 px, or 1e-6 relative for coordinates far outside the image (untrained boxes)
      if (Math.abs(box.get(k).floatValue() - expected[k])
          > Math.max(1e-3f, 1e-6f * Math.abs(expected[k]))) {
        return false;
      }
    }
    return true;
  }

  private static void assertError(HttpResponse<byte[]> r, int status, String code)
      throws IOException {
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status);
    JsonNode j = json(r);
    assertThat(j.get("error").asText()).isEqualTo(code);
    assertThat(j.get("detail").asText()).isNotBlank();
  }

  private static void assertHealthy(FssdServer s) throws IOException, InterruptedException {
    HttpResponse<String> h = get(s, "/health");
    assertThat(h.statusCode()).isEqualTo(200);
    assertThat(MAPPER.readTree(h.body()).get("status").asText()).isEqualTo("ok");
  }

  private static byte[] multipart(String boundary, String field, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] head =
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\""
                + field
                + "\"; filename=\"x.png\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    out.writeBytes(head);
    out.writeBytes(content);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  // ------------------------------------------------------------------ tests

  @Test
  void jsonAnswerEqualsTheDetector() throws Exception {
    for (byte[] img : images) {
      BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(img));
      List<Detection> expected = expected(img);
      assertThat(expected).as("the tiny model should find something").isNotEmpty();
      HttpResponse<byte[]> r =
          post(server, "/v1/detect", img, "Content-Type", "application/octet-stream");
      assertThat(r.statusCode()).isEqualTo(200);
      assertSameDetections(json(r), expected, decoded.getWidth(), decoded.getHeight());

      HttpResponse<byte[]> m =
          post(
              server,
              "/v1/detect",
              multipart("xYz42", "image", img),
              "Content-Type",
              "multipart/form-data; boundary=xYz42");
      assertThat(m.statusCode()).isEqualTo(200);
      assertSameDetections(json(m), expected, decoded.getWidth(), decoded.getHeight());

      HttpResponse<byte[]> f = post(server, "/v1/detect?threshold=0.4&max=3", img);
      assertThat(f.statusCode()).isEqualTo(200);
      assertSameDetections(
          json(f), Endpoints.filter(expected, 0.4f, 3), decoded.getWidth(), decoded.getHeight());
      for (JsonNode d : json(f).get("detections")) {
        assertThat(d.get("score").floatValue()).isGreaterThan(0.4f);
      }
    }
  }

  /** Starts a server on a model file, one image per batch, with this class's detection settings. */
  private static FssdServer startOneAtATime(java.nio.file.Path file) {
    return FssdServer.builder()
        .model(file)
        .scoreThreshold(THRESHOLD)
        .maxDetections(MAX_DETECTIONS)
        .maxBatch(1)
        .build()
        .start();
  }

  @Test
  void servesAModelFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("tiny.zip");
    model.save(file);
    try (FssdServer s = startOneAtATime(file)) {
      assertHealthy(s);
      assertThat(
              MAPPER
                  .readTree(get(s, "/v1/models").body())
                  .get("models")
                  .get(0)
                  .get("name")
                  .asText())
          .isEqualTo("tiny.zip");
      byte[] img = images.get(0);
      HttpResponse<byte[]> r = post(s, "/v1/detect", img);
      assertThat(r.statusCode()).isEqualTo(200);
      assertSameDetections(json(r), expected(img), 160, 120);
    }
  }

  @Test
  void servesAnInt8ModelFile() throws Exception {
    java.nio.file.Path file =
        java.nio.file.Path.of("..")
            .toAbsolutePath()
            .normalize()
            .resolve("models/demo-shapes-int8.zip");
    byte[] img = images.get(3);
    List<Detection> want;
    try (FssdDetector d =
        FssdDetector.builder()
            .model(file)
            .scoreThreshold(FssdServer.DETECTOR_FLOOR_THRESHOLD)
            .maxDetections(MAX_DETECTIONS)
            .build()) {
      assertThat(d.model().quantization()).as("the demo int8 model is quantised").isNotNull();
      want = Endpoints.filter(d.detect(img), THRESHOLD, Integer.MAX_VALUE);
    }
    assertThat(want).as("int8 detections above %s on the test image", THRESHOLD).isNotEmpty();
    try (FssdServer s = startOneAtATime(file)) {
      assertHealthy(s);
      HttpResponse<byte[]> r = post(s, "/v1/detect", img);
      assertThat(r.statusCode()).isEqualTo(200);
      assertSameDetections(json(r), want, 300, 300);
    }
  }

  @Test
  void pngAnswerHasTheImageSize() throws Exception {
    byte[] img = images.get(1);
    HttpResponse<byte[]> r = post(server, "/v1/detect", img, "Accept", "image/png");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).get().asString().startsWith("image/png");
    BufferedImage out = ImageIO.read(new ByteArrayInputStream(r.body()));
    assertThat(out).isNotNull();
    assertThat(out.getWidth()).isEqualTo(97);
    assertThat(out.getHeight()).isEqualTo(211);
  }

  @Test
  void modelsHealthAndPage() throws Exception {
    assertHealthy(server);
    HttpResponse<String> m = get(server, "/v1/models");
    assertThat(m.statusCode()).isEqualTo(200);
    JsonNode model0 = MAPPER.readTree(m.body()).get("models").get(0);
    assertThat(model0.get("inputSize").asInt()).isEqualTo(300);
    assertThat(model0.get("numClasses").asInt()).isEqualTo(3);
    assertThat(model0.get("labels").toString()).isEqualTo("[\"a\",\"b\"]");
    assertThat(model0.get("provenance").isObject()).isTrue();
    HttpResponse<String> page = get(server, "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).get().asString().startsWith("text/html");
    assertThat(page.body())
        .contains("/v1/detect")
        .doesNotContain("http://")
        .doesNotContain("https://");
  }

  @Test
  void badInputsGetJsonErrorsAndTheServerKeepsServing() throws Exception {
    try (FssdServer s =
        serverBuilder().maxPixels(20_000).maxUploadBytes(50_000).maxBatch(2).build().start()) {
      assertError(post(s, "/v1/detect", new byte[0]), 400, "bad_image");
      assertError(
          post(s, "/v1/detect", "not an image at all".getBytes(StandardCharsets.UTF_8)),
          400,
          "bad_image");
      byte[] good = png(100, 100, 7);
      assertError(post(s, "/v1/detect", Arrays.copyOf(good, good.length / 2)), 400, "bad_image");
      byte[] flat = flatPng(200, 150); // 30 000 pixels > 20 000, but a small file
      assertThat(flat.length).isLessThan(50_000);
      assertError(post(s, "/v1/detect", flat), 413, "image_too_large");
      assertError(post(s, "/v1/detect?threshold=2", good), 400, "bad_request");
      assertError(post(s, "/v1/detect?max=-1", good), 400, "bad_request");
      assertError(
          post(
              s,
              "/v1/detect",
              multipart("b0", "other", good),
              "Content-Type",
              "multipart/form-data; boundary=b0"),
          400,
          "bad_request");
      // Over the limit, declared: refused from the header alone (the body is never sent).
      String raw =
          rawExchange(
              s.port(),
              "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
                  + "Content-Length: 100000000\r\n\r\n");
      assertThat(raw).startsWith("HTTP/1.1 413").contains("\"error\":\"payload_too_large\"");
      // Over the limit, chunked (no Content-Length): the read is capped.
      HttpResponse<byte[]> chunked =
          HTTP.send(
              HttpRequest.newBuilder(uri(s, "/v1/detect"))
                  .POST(
                      HttpRequest.BodyPublishers.ofInputStream(
                          () -> new ByteArrayInputStream(new byte[60_000])))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertError(chunked, 413, "payload_too_large");
      HttpResponse<String> missing = get(s, "/v2/nothing");
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(MAPPER.readTree(missing.body()).get("error").asText()).isEqualTo("not_found");
      assertHealthy(s);
      HttpResponse<byte[]> ok = post(s, "/v1/detect", good);
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(json(ok).get("width").asInt()).isEqualTo(100);
    }
  }

  @Test
  void unexpectedFailureIs500WithAnErrorId() throws Exception {
    try (FssdServer s =
        serverBuilder()
            .maxBatch(1)
            .beforeBatch(
                images -> {
                  throw new IllegalStateException("injected failure");
                })
            .build()
            .start()) {
      HttpResponse<byte[]> r = post(s, "/v1/detect", images.get(0));
      assertError(r, 500, "internal_error");
      assertThat(json(r).get("detail").asText()).containsPattern("error id [0-9a-f]{8}");
      assertHealthy(s);
      assertThat(get(s, "/metrics").body())
          .contains("fssd_http_requests_total{endpoint=\"/v1/detect\",status=\"500\"} 1.0");
    }
  }

  private static String rawExchange(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      int n;
      try {
        while ((n = in.read(buf)) > 0) {
          got.write(buf, 0, n);
          String s = got.toString(StandardCharsets.ISO_8859_1);
          if (s.contains("\r\n\r\n") && s.contains("}")) {
            break;
          }
        }
      } catch (java.net.SocketTimeoutException e) {
        // return what came
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** 8 clients x 20 requests; returns the JSON answers by (client, request). */
  private static String[][] hammer(FssdServer s) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String[]>> futures = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        final int client = c;
        futures.add(
            pool.submit(
                () -> {
                  String[] out = new String[20];
                  for (int i = 0; i < 20; i++) {
                    HttpResponse<byte[]> r =
                        post(s, "/v1/detect", images.get((client + i) % images.size()));
                    assertThat(r.statusCode()).isEqualTo(200);
                    out[i] = new String(r.body(), StandardCharsets.UTF_8);
                  }
                  return out;
                }));
      }
      String[][] all = new String[8][];
      for (int c = 0; c < 8; c++) {
        all[c] = futures.get(c).get(90, TimeUnit.SECONDS);
      }
      return all;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoWorkersShareAGivenDetectorAndLeaveItOpen() throws Exception {
    // A detector may be called from any thread: several batcher threads share one, each call
    // borrowing one of its replicas; the server does not close a detector it was given.
    String[][] answers;
    try (FssdServer two =
        FssdServer.builder()
            .detector(detector)
            .scoreThreshold(THRESHOLD)
            .workers(2)
            .maxBatch(2)
            .maxDelayMs(5)
            .build()
            .start()) {
      answers = hammer(two);
    }
    for (int c = 0; c < 8; c++) {
      for (int i = 0; i < 20; i++) {
        int k = (c + i) % images.size();
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(images.get(k)));
        assertSameDetections(
            MAPPER.readTree(answers[c][i]),
            expected(images.get(k)),
            decoded.getWidth(),
            decoded.getHeight());
      }
    }
    assertThat(detector.detect(images.get(0))).as("the given detector still works").isNotNull();
  }

  @Test
  void concurrentClientsGetTheirOwnAnswersWithAndWithoutBatchingAndWithTwoWorkers()
      throws Exception {
    String[][] batched = hammer(server);
    String[][] single;
    try (FssdServer off = serverBuilder().maxBatch(1).build().start()) {
      single = hammer(off);
    }
    String[][] twoWorkers;
    try (FssdServer two = serverBuilder().workers(2).maxBatch(4).maxDelayMs(5).build().start()) {
      twoWorkers = hammer(two);
    }
    List<List<Detection>> expected = new ArrayList<>();
    for (byte[] img : images) {
      expected.add(expected(img));
    }
    for (int c = 0; c < 8; c++) {
      for (int i = 0; i < 20; i++) {
        int k = (c + i) % images.size();
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(images.get(k)));
        assertSameDetections(
            MAPPER.readTree(batched[c][i]),
            expected.get(k),
            decoded.getWidth(),
            decoded.getHeight());
        assertSameDetections(
            MAPPER.readTree(single[c][i]),
            expected.get(k),
            decoded.getWidth(),
            decoded.getHeight());
        assertSameDetections(
            MAPPER.readTree(twoWorkers[c][i]),
            expected.get(k),
            decoded.getWidth(),
            decoded.getHeight());
      }
    }
    String metrics = get(server, "/metrics").body();
    assertThat(metrics)
        .contains("fssd_http_requests_total{endpoint=\"/v1/detect\",status=\"200\"}")
        .contains("fssd_batch_size_bucket{le=\"8.0\"}")
        .contains("fssd_http_request_duration_seconds_bucket{endpoint=\"/v1/detect\",le=\"+Inf\"}")
        .contains("fssd_queue_depth 0.0")
        .contains("fssd_images_total ")
        .doesNotContain(
            "fssd_images_per_second"); // a rate belongs to Prometheus: rate(fssd_images_total[1m])
    // With 8 clients at once some batch must have held more than one image.
    long multi =
        metrics
            .lines()
            .filter(l -> l.startsWith("fssd_batch_size_bucket{le=\"1.0\"}"))
            .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)))
            .sum();
    long total =
        metrics
            .lines()
            .filter(l -> l.startsWith("fssd_batch_size_count"))
            .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)))
            .sum();
    assertThat(multi).isLessThan(total);
  }

  @Test
  void aTinyQueueGives503sAndNothingElse() throws Exception {
    try (FssdServer s = serverBuilder().maxBatch(1).maxDelayMs(0).maxQueue(1).build().start()) {
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<HttpResponse<byte[]>>> futures = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          futures.add(pool.submit(() -> post(s, "/v1/detect", images.get(3))));
        }
        int ok = 0;
        int busy = 0;
        for (Future<HttpResponse<byte[]>> f : futures) {
          HttpResponse<byte[]> r = f.get(90, TimeUnit.SECONDS);
          if (r.statusCode() == 200) {
            ok++;
          } else {
            assertError(r, 503, "queue_full");
            assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
            busy++;
          }
        }
        assertThat(ok).isPositive();
        assertThat(busy).isPositive();
        assertThat(get(s, "/metrics").body())
            .contains(
                "fssd_http_requests_total{endpoint=\"/v1/detect\",status=\"503\"} " + busy + ".0");
      } finally {
        pool.shutdownNow();
      }
      assertHealthy(s);
    }
  }

  @Test
  void closeDrainsRequestsInFlight() throws Exception {
    // The batch is held on the batcher thread until close() has begun, so the four requests are
    // certainly in flight when it is called (no sleeps).
    BatchGate gate = new BatchGate();
    FssdServer s = serverBuilder().maxBatch(4).maxDelayMs(10_000).beforeBatch(gate).build().start();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<HttpResponse<byte[]>>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        futures.add(pool.submit(() -> post(s, "/v1/detect", images.get(0))));
      }
      gate.entered.await(); // four waiting make a full batch at once
      Thread closer = new Thread(s::close, "closer");
      closer.start();
      while (s.isReady()) {
        Thread.onSpinWait(); // close() has begun once the server stops saying ready
      }
      gate.release.countDown();
      closer.join();
      for (Future<HttpResponse<byte[]>> f : futures) {
        HttpResponse<byte[]> r = f.get(60, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertSameDetections(MAPPER.readTree(r.body()), expected(images.get(0)), 160, 120);
      }
      assertThat(gate.sizes).containsExactly(4);
      assertThat(s.isReady()).isFalse();
    } finally {
      gate.release.countDown();
      pool.shutdownNow();
      s.close();
    }
  }
}
