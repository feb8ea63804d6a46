package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Open Inference Protocol (KServe v2) endpoints and the Prometheus client's /metrics, over
 * loopback.
 */
@Timeout(
    value = 300,
    unit = TimeUnit.SECONDS) // generous: servers compile plans, on a busy machine too
class FssdServerV2Test {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = ServeFixtures.HTTP;
  private static final float THRESHOLD = ServeFixtures.THRESHOLD;

  private static FssdModel model;
  private static FssdServer server;
  private static byte[] png;
  private static byte[] jpeg;

  @BeforeAll
  static void setUp() throws IOException {
    model = ServeTestModels.tamedTiny300();
    server =
        ServeFixtures.serverBuilder(model)
            .modelName("tiny")
            .maxBatch(2)
            .maxQueue(4)
            .build()
            .start();
    png = encode(160, 120, 1, "png");
    jpeg = encode(211, 97, 2, "jpeg");
  }

  @AfterAll
  static void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  private static byte[] encode(int w, int h, long seed, String format) throws IOException {
    return ServeFixtures.encodedNoise(w, h, seed, format);
  }

  static HttpResponse<String> send(
      int port, String method, String path, byte[] body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(60))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send(server.port(), "GET", path, null);
  }

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    assertThat(r.headers().firstValue("Content-Type"))
        .get()
        .asString()
        .startsWith("application/json");
    return MAPPER.readTree(r.body());
  }

  private static ObjectNode inferRequest(byte[]... images) {
    ObjectNode req = MAPPER.createObjectNode();
    req.put("id", "req-7");
    ObjectNode in = req.putArray("inputs").addObject();
    in.put("name", "image").put("datatype", "BYTES");
    in.putArray("shape").add(images.length);
    ArrayNode data = in.putArray("data");
    for (byte[] img : images) {
      data.add(Base64.getEncoder().encodeToString(img));
    }
    return req;
  }

  private static HttpResponse<String> infer(String model, JsonNode request)
      throws IOException, InterruptedException {
    return send(
        server.port(),
        "POST",
        "/v2/models/" + model + "/infer",
        MAPPER.writeValueAsBytes(request),
        "Content-Type",
        "application/json");
  }

  private static JsonNode output(JsonNode answer, String name) {
    for (JsonNode o : answer.get("outputs")) {
      if (o.get("name").asText().equals(name)) {
        return o;
      }
    }
    throw new AssertionError("no output " + name + " in " + answer);
  }

  private static void assertError(HttpResponse<String> r, int status, String code)
      throws IOException {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode j = json(r);
    assertThat(j.get("error").asText()).isEqualTo(code);
    assertThat(j.get("detail").asText()).isNotBlank();
  }

  // ------------------------------------------------------------------ health and metadata

  @Test
  void healthAndMetadataOfAReadyServer() throws Exception {
    HttpResponse<String> live = get("/v2/health/live");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(json(live).get("live").asBoolean()).isTrue();
    HttpResponse<String> ready = get("/v2/health/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(json(ready).get("ready").asBoolean()).isTrue();
    HttpResponse<String> modelReady = get("/v2/models/tiny/ready");
    assertThat(modelReady.statusCode()).isEqualTo(200);
    assertThat(json(modelReady).get("ready").asBoolean()).isTrue();

    JsonNode meta = json(get("/v2/models/tiny"));
    assertThat(meta.get("name").asText()).isEqualTo("tiny");
    assertThat(meta.get("platform").asText()).isNotBlank();
    assertThat(meta.get("inputs").toString())
        .isEqualTo("[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[-1]}]");
    List<String> outputs = new ArrayList<>();
    meta.get("outputs")
        .forEach(
            o ->
                outputs.add(
                    o.get("name").asText() + ":" + o.get("datatype").asText() + o.get("shape")));
    assertThat(outputs)
        .containsExactly(
            "boxes:FP32[-1,4]",
            "scores:FP32[-1]",
            "classes:INT32[-1]",
            "labels:BYTES[-1]",
            "image_index:INT32[-1]");

    JsonNode srv = json(get("/v2"));
    assertThat(srv.get("name").asText()).isEqualTo("fssd4j");
    assertThat(srv.get("version").asText()).isNotBlank();
    assertThat(json(get("/v1/models")).get("models").get(0).get("v2Name").asText())
        .isEqualTo("tiny");
    // /health and /v1 stay as they were.
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void anUnknownModelIs404() throws Exception {
    assertError(get("/v2/models/nope"), 404, "model_not_found");
    assertError(get("/v2/models/nope/ready"), 404, "model_not_found");
    assertError(infer("nope", inferRequest(png)), 404, "model_not_found");
  }

  @Test
  void liveAnswersWhileTheModelLoadsAndReadyWaitsForIt(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("tiny-voc.zip");
    model.save(file);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Integer> listening = new CompletableFuture<>();
    FssdServer loading =
        FssdServer.builder()
            .model(file)
            .maxBatch(1)
            .beforeLoad(
                port -> {
                  listening.complete(port);
                  try {
                    release.await(120, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                })
            .build();
    CompletableFuture<FssdServer> started = CompletableFuture.supplyAsync(loading::start);
    try {
      int port = listening.get(120, TimeUnit.SECONDS);
      assertThat(send(port, "GET", "/v2/health/live", null).statusCode()).isEqualTo(200);
      HttpResponse<String> ready = send(port, "GET", "/v2/health/ready", null);
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(json(ready).get("ready").asBoolean()).isFalse();
      // The model's name comes from the file name, and its metadata needs no loaded model.
      assertThat(send(port, "GET", "/v2/models/tiny-voc/ready", null).statusCode()).isEqualTo(503);
      assertThat(json(send(port, "GET", "/v2/models/tiny-voc", null)).get("name").asText())
          .isEqualTo("tiny-voc");
      assertThat(send(port, "GET", "/health", null).statusCode()).isEqualTo(503);
      assertError(
          send(
              port,
              "POST",
              "/v2/models/tiny-voc/infer",
              MAPPER.writeValueAsBytes(inferRequest(png))),
          503,
          "not_ready");
      release.countDown();
      started.get(240, TimeUnit.SECONDS);
      assertThat(send(port, "GET", "/v2/health/ready", null).statusCode()).isEqualTo(200);
      assertThat(send(port, "GET", "/v2/models/tiny-voc/ready", null).statusCode()).isEqualTo(200);
    } finally {
      release.countDown();
      loading.close();
    }
  }

  // ------------------------------------------------------------------ inference

  @Test
  void inferGivesTheDetectionsOfV1DetectForEveryImage() throws Exception {
    HttpResponse<String> r = infer("tiny", inferRequest(png, jpeg));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode answer = json(r);
    assertThat(answer.get("model_name").asText()).isEqualTo("tiny");
    assertThat(answer.get("id").asText()).isEqualTo("req-7");
    JsonNode boxes = output(answer, "boxes");
    JsonNode scores = output(answer, "scores");
    JsonNode classes = output(answer, "classes");
    JsonNode labels = output(answer, "labels");
    JsonNode index = output(answer, "image_index");
    int rows = scores.get("data").size();
    assertThat(boxes.get("datatype").asText()).isEqualTo("FP32");
    assertThat(boxes.get("shape").toString()).isEqualTo("[" + rows + ",4]");
    assertThat(boxes.get("data").size()).isEqualTo(4 * rows);
    assertThat(scores.get("shape").toString()).isEqualTo("[" + rows + "]");
    assertThat(classes.get("datatype").asText()).isEqualTo("INT32");
    assertThat(labels.get("datatype").asText()).isEqualTo("BYTES");
    assertThat(index.get("data").size()).isEqualTo(rows);

    int row = 0;
    byte[][] images = {png, jpeg};
    for (int i = 0; i < images.length; i++) {
      JsonNode v1 = json(send(server.port(), "POST", "/v1/detect", images[i]));
      JsonNode expected = v1.get("detections");
      assertThat(expected.size()).as("the tiny model should find something").isPositive();
      boolean[] used = new boolean[expected.size()];
      for (int k = 0; k < expected.size(); k++, row++) {
        assertThat(index.get("data").get(row).asInt()).isEqualTo(i);
        // Match as sets: batching may reorder near-ties; 1e-4 score and 1e-3 px as in
        // FssdServerTest.
        int found = -1;
        for (int j = 0; j < expected.size() && found < 0; j++) {
          JsonNode e = expected.get(j);
          boolean same =
              !used[j]
                  && e.get("class").asInt() == classes.get("data").get(row).asInt()
                  && e.get("label").asText().equals(labels.get("data").get(row).asText())
                  && Math.abs(
                          e.get("score").floatValue() - scores.get("data").get(row).floatValue())
                      <= 1e-4f;
          for (int c = 0; c < 4 && same; c++) {
            float want = e.get("box").get(c).floatValue();
            same =
                Math.abs(boxes.get("data").get(4 * row + c).floatValue() - want)
                    <= Math.max(1e-3f, 1e-6f * Math.abs(want));
          }
          found = same ? j : -1;
        }
        assertThat(found)
            .as("row %s of image %s matches no /v1/detect detection", row, i)
            .isNotNegative();
        used[found] = true;
      }
    }
    assertThat(row).isEqualTo(rows);
  }

  @Test
  void inferHonoursParametersAndTheOutputsAskedFor() throws Exception {
    ObjectNode req = inferRequest(png);
    req.putObject("parameters").put("threshold", 0.2).put("max", 2);
    req.putArray("outputs").addObject().put("name", "scores");
    JsonNode answer = json(infer("tiny", req));
    assertThat(answer.get("outputs").size()).isEqualTo(1);
    JsonNode scores = output(answer, "scores").get("data");
    assertThat(scores.size()).isLessThanOrEqualTo(2);
    scores.forEach(s -> assertThat(s.floatValue()).isGreaterThan(0.2f));
    // The same request through /v1/detect's query parameters finds as many.
    JsonNode v1 = json(send(server.port(), "POST", "/v1/detect?threshold=0.2&max=2", png));
    assertThat(scores.size()).isEqualTo(v1.get("detections").size());
  }

  @Test
  void badInferRequestsAre400WithWhatIsWrong() throws Exception {
    assertError(
        send(
            server.port(),
            "POST",
            "/v2/models/tiny/infer",
            "not json".getBytes(StandardCharsets.UTF_8)),
        400,
        "bad_request");
    ObjectNode fp32 = inferRequest(png);
    ((ObjectNode) fp32.get("inputs").get(0)).put("datatype", "FP32");
    assertThat(infer("tiny", fp32).body()).contains("BYTES");
    assertError(infer("tiny", fp32), 400, "bad_request");
    ObjectNode shape = inferRequest(png);
    ((ArrayNode) shape.get("inputs").get(0).get("shape")).removeAll().add(2);
    assertError(infer("tiny", shape), 400, "bad_request");
    ObjectNode notBase64 = inferRequest(png);
    ((ArrayNode) notBase64.get("inputs").get(0).get("data")).removeAll().add("***");
    assertError(infer("tiny", notBase64), 400, "bad_request");
    ObjectNode notImage = inferRequest("hello".getBytes(StandardCharsets.UTF_8));
    assertError(infer("tiny", notImage), 400, "bad_image");
    ObjectNode wrongOutput = inferRequest(png);
    wrongOutput.putArray("outputs").addObject().put("name", "logits");
    assertError(infer("tiny", wrongOutput), 400, "bad_request");
    ObjectNode badThreshold = inferRequest(png);
    badThreshold.putObject("parameters").put("threshold", 2);
    assertError(infer("tiny", badThreshold), 400, "bad_request");
    assertError(
        infer("tiny", inferRequest(png, png, png, png, png)), 413, "too_many_images"); // maxQueue 4
    // and the server still serves
    assertThat(infer("tiny", inferRequest(jpeg)).statusCode()).isEqualTo(200);
  }

  /** Sends "METHOD path" with no body; the answer must be 405 with the given Allow header. */
  private static void assert405(String methodAndPath, String allow) throws IOException {
    RawHttp.Answer a =
        RawHttp.exchange(
            server.port(), methodAndPath + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(a.status()).as(methodAndPath).isEqualTo(405);
    assertThat(a.header("Allow")).as(methodAndPath).isEqualTo(allow);
  }

  @Test
  void wrongMethodsOnTemplatedPathsAre405WithAllow() throws Exception {
    assert405("GET /v2/models/tiny/infer", "POST");
    assert405("DELETE /v2/models/whatever", "GET, HEAD");
    assertThat(Endpoints.matches("/v2/models/{name}/ready", "/v2/models/x/ready")).isTrue();
    assertThat(Endpoints.matches("/v2/models/{name}/ready", "/v2/models//ready")).isFalse();
    assertThat(Endpoints.matches("/v2/models/{name}", "/v2/models/x/ready")).isFalse();
  }

  // ------------------------------------------------------------------ OpenAPI

  /**
   * The statuses each handler can answer (its own ApiExceptions, the 503 of a loading server, the
   * 500 of the endpoint wrapper, 405 for another method on its path), by "METHOD path".
   */
  private static final java.util.Map<String, java.util.Set<Integer>> PRODUCED =
      java.util.Map.ofEntries(
          java.util.Map.entry("GET /", java.util.Set.of(200, 500)),
          java.util.Map.entry("GET /health", java.util.Set.of(200, 500, 503)),
          java.util.Map.entry("GET /metrics", java.util.Set.of(200, 500)),
          java.util.Map.entry("GET /openapi.json", java.util.Set.of(200, 500)),
          java.util.Map.entry("GET /v1/models", java.util.Set.of(200, 500, 503)),
          java.util.Map.entry(
              "POST /v1/detect", java.util.Set.of(200, 400, 405, 408, 413, 500, 503)),
          java.util.Map.entry("GET /v2", java.util.Set.of(200, 500)),
          java.util.Map.entry("GET /v2/health/live", java.util.Set.of(200, 500)),
          java.util.Map.entry("GET /v2/health/ready", java.util.Set.of(200, 500, 503)),
          java.util.Map.entry("GET /v2/models/{name}", java.util.Set.of(200, 404, 500)),
          java.util.Map.entry("GET /v2/models/{name}/ready", java.util.Set.of(200, 404, 500, 503)),
          java.util.Map.entry(
              "POST /v2/models/{name}/infer",
              java.util.Set.of(200, 400, 404, 405, 408, 413, 500, 503)));

  @Test
  void theOpenApiDocumentListsExactlyTheServersRoutesAndTheirStatuses() throws Exception {
    HttpResponse<String> r = get("/openapi.json");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode doc = json(r);
    assertThat(doc.get("openapi").asText()).startsWith("3.");
    java.util.Set<String> documented = new java.util.TreeSet<>();
    doc.get("paths")
        .fields()
        .forEachRemaining(
            p ->
                p.getValue()
                    .fieldNames()
                    .forEachRemaining(
                        m ->
                            documented.add(
                                m.toUpperCase(java.util.Locale.ROOT) + " " + p.getKey())));
    java.util.Set<String> served = new java.util.TreeSet<>();
    // HEAD is Javalin's automatic twin of every GET, so the document leaves it out (and says so).
    server
        .routes()
        .forEach(
            (path, methods) ->
                methods.stream()
                    .filter(m -> !m.equals("HEAD"))
                    .forEach(m -> served.add(m + " " + path)));
    assertThat(documented).isEqualTo(served);
    assertThat(PRODUCED.keySet()).as("every route has its statuses listed here").isEqualTo(served);
    for (String op : served) {
      String[] mp = op.split(" ", 2);
      JsonNode responses =
          doc.get("paths")
              .get(mp[1])
              .get(mp[0].toLowerCase(java.util.Locale.ROOT))
              .get("responses");
      java.util.Set<Integer> codes = new java.util.TreeSet<>();
      responses.fieldNames().forEachRemaining(c -> codes.add(Integer.parseInt(c)));
      assertThat(codes).as(op).containsAll(PRODUCED.get(op));
      if (mp[1].contains("{name}")) {
        assertThat(
                doc.get("paths")
                    .get(mp[1])
                    .get(mp[0].toLowerCase(java.util.Locale.ROOT))
                    .get("parameters")
                    .toString())
            .as(op)
            .contains("\"in\":\"path\"");
      }
    }
  }

  // ------------------------------------------------------------------ metrics

  @Test
  void metricsComeFromThePrometheusClientWithJvmProcessAndBuildInfo() throws Exception {
    assertThat(infer("tiny", inferRequest(png)).statusCode()).isEqualTo(200);
    HttpResponse<String> m = get("/metrics");
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.headers().firstValue("Content-Type"))
        .get()
        .asString()
        .startsWith("text/plain; version=0.0.4");
    assertThat(m.body())
        .contains("fssd_http_requests_total{endpoint=\"/v2/models/{name}/infer\",status=\"200\"}")
        .contains("# TYPE fssd_images_total counter")
        .containsPattern("(?m)^fssd_build_info\\{.*version=\".+\".*} 1$")
        .containsPattern("(?m)^fssd_native_bytes \\S+$")
        .containsPattern("(?m)^jvm_memory_used_bytes\\{area=\"heap\"} \\S+$")
        .containsPattern("(?m)^process_cpu_seconds_total \\S+$")
        .doesNotContain("fssd_images_per_second");
    HttpResponse<String> om =
        send(
            server.port(),
            "GET",
            "/metrics",
            null,
            "Accept",
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertThat(om.headers().firstValue("Content-Type"))
        .get()
        .asString()
        .startsWith("application/openmetrics-text");
    assertThat(om.body()).endsWith("# EOF\n");
  }
}
