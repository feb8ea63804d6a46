package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * FssdServer under faulty clients, over raw loopback sockets: bodies that stall or trickle, uploads
 * beyond the cap, uploads cut short, requests Jetty refuses itself, wrong methods. One server with
 * small limits: 2 uploads at once, 2 s body idle timeout, 3 s body deadline.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FssdServerFaultsTest {
  private static final int MAX_UPLOADS = 2;
  private static final long IDLE_MS = 2_000;
  private static final long DEADLINE_MS = 3_000;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static FssdServer server;
  private static byte[] png;
  private static byte[] jpeg;

  @BeforeAll
  static void setUp() throws IOException {
    server =
        FssdServer.builder()
            .model(ServeTestModels.tamedTiny300())
            .maxBatch(1)
            .maxUploads(MAX_UPLOADS)
            .bodyIdleTimeoutMs(IDLE_MS)
            .bodyTimeoutMs(DEADLINE_MS)
            .build()
            .start();
    png = encode("png");
    jpeg = encode("jpeg");
  }

  @AfterAll
  static void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  private static byte[] encode(String format) throws IOException {
    Random r = new Random(5);
    BufferedImage img = new BufferedImage(120, 90, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        img.setRGB(x, y, r.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, format, out);
    return out.toByteArray();
  }

  private static String uploadHead(long contentLength) {
    return "POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: "
        + contentLength
        + "\r\n\r\n";
  }

  private static byte[] concat(String head, byte[] body) {
    byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = Arrays.copyOf(h, h.length + body.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }

  /** Asserts a JSON error answer with this status and code; returns its detail. */
  private static String assertJsonError(RawHttp.Answer a, int status, String code)
      throws IOException {
    assertThat(a.status()).as(a.toString()).isEqualTo(status);
    assertThat(a.header("Content-Type")).as(a.toString()).startsWith("application/json");
    JsonNode j = MAPPER.readTree(a.body());
    assertThat(j.get("error").asText()).as(a.body()).isEqualTo(code);
    assertThat(j.get("detail").asText()).isNotBlank();
    return j.get("detail").asText();
  }

  private static RawHttp.Answer get(String path) throws IOException {
    return RawHttp.exchange(
        server.port(), "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  }

  private static void assertHealthy() throws IOException {
    RawHttp.Answer h = get("/health");
    assertThat(h.status()).isEqualTo(200);
    assertThat(h.body()).contains("\"ok\"");
  }

  /** The value of a metric line (exact name and labels), 0 when absent. */
  private static long metric(String nameAndLabels) throws IOException {
    for (String line : get("/metrics").body().split("\n")) {
      if (line.startsWith(nameAndLabels + " ")) {
        return (long) Double.parseDouble(line.substring(nameAndLabels.length() + 1).trim());
      }
    }
    return 0;
  }

  /** Polls the metric until it has the value (the server works on its own threads). */
  private static void awaitMetric(String nameAndLabels, long value)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (metric(nameAndLabels) != value) {
      assertThat(System.nanoTime())
          .as("%s never became %s", nameAndLabels, value)
          .isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  // ------------------------------------------------------------------ slow bodies

  @Test
  void aBodyThatStopsArrivingGets408AfterTheIdleTimeout() throws Exception {
    try (Socket s = RawHttp.connect(server.port())) {
      s.getOutputStream().write(concat(uploadHead(1000), new byte[] {1}));
      RawHttp.Answer a = RawHttp.read(s.getInputStream());
      assertThat(assertJsonError(a, 408, "upload_timeout"))
          .contains("no body data came for " + IDLE_MS + " ms")
          .contains("1 of 1000 declared bytes");
      assertThat(a.header("Connection")).isEqualTo("close");
    }
    assertHealthy();
  }

  @Test
  void aBodyTrickledInPastTheDeadlineGets408() throws Exception {
    try (Socket s = RawHttp.connect(server.port())) {
      OutputStream out = s.getOutputStream();
      out.write(uploadHead(100_000).getBytes(StandardCharsets.ISO_8859_1));
      AtomicBoolean answered = new AtomicBoolean();
      // One byte every 100 ms: never idle for the 2 s idle timeout, so only the deadline can end
      // it.
      Thread trickle =
          new Thread(
              () -> {
                try {
                  while (!answered.get()) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(100);
                  }
                } catch (IOException | InterruptedException e) {
                  // the server closed the connection after answering
                }
              },
              "trickle");
      trickle.start();
      RawHttp.Answer a = RawHttp.read(s.getInputStream());
      answered.set(true);
      trickle.join();
      String detail = assertJsonError(a, 408, "upload_timeout");
      assertThat(detail).contains("not complete " + DEADLINE_MS + " ms after the request began");
      Matcher m = Pattern.compile("\\((\\d+) of 100000 declared bytes").matcher(detail);
      assertThat(m.find()).as(detail).isTrue();
      assertThat(Integer.parseInt(m.group(1))).as("bytes kept arriving").isGreaterThan(3);
    }
    assertHealthy();
  }

  @Test
  void uploadsBeyondTheCapGet503WhileHealthAnswers() throws Exception {
    List<Socket> slow = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_UPLOADS; i++) {
        Socket s = RawHttp.connect(server.port());
        s.getOutputStream().write(concat(uploadHead(1000), new byte[] {1}));
        slow.add(s);
      }
      awaitMetric("fssd_uploads_in_progress", MAX_UPLOADS);
      for (int i = 0; i < 3; i++) {
        RawHttp.Answer refused =
            RawHttp.exchange(server.port(), concat(uploadHead(png.length), png), false);
        assertJsonError(refused, 503, "too_many_uploads");
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertHealthy();
      }
      // The stalled uploads end at the idle timeout and give their permits back.
      for (Socket s : slow) {
        assertJsonError(RawHttp.read(s.getInputStream()), 408, "upload_timeout");
      }
    } finally {
      for (Socket s : slow) {
        s.close();
      }
    }
    awaitMetric("fssd_uploads_in_progress", 0);
    RawHttp.Answer ok = RawHttp.exchange(server.port(), concat(uploadHead(png.length), png), false);
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(ok.body()).get("width").asInt()).isEqualTo(120);
  }

  @Test
  void jettysThreadPoolHasRoomBeyondUploadsAndTheQueue() throws Exception {
    assertThat(FssdServer.httpThreads(64, 64, 1, 8))
        .isEqualTo(250); // Javalin's default is the floor
    assertThat(FssdServer.httpThreads(1000, 64, 2, 8)).isEqualTo(1000 + 64 + 2 * 8 + 50);
    assertThat(server.httpThreadLimit()).isEqualTo(FssdServer.httpThreads(MAX_UPLOADS, 64, 1, 1));
    JsonNode serving =
        MAPPER.readTree(get("/v1/models").body()).get("models").get(0).get("serving");
    assertThat(serving.get("maxUploads").asInt()).isEqualTo(MAX_UPLOADS);
    assertThat(serving.get("bodyIdleTimeoutMs").asLong()).isEqualTo(IDLE_MS);
    assertThat(serving.get("bodyTimeoutMs").asLong()).isEqualTo(DEADLINE_MS);
  }

  // ------------------------------------------------------------------ dropped uploads

  @Test
  void aDroppedUploadIs400AndOneWarnLineWithoutAStackTrace() throws Exception {
    String metric = "fssd_http_requests_total{endpoint=\"/v1/detect\",status=\"400\"}";
    long before = metric(metric);
    byte[] request = concat(uploadHead(png.length + 10), png); // declares 10 bytes it never sends
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      // Half-closed: the client sends no more but still listens, and gets the answer.
      RawHttp.Answer a = RawHttp.exchange(server.port(), request, true);
      assertThat(assertJsonError(a, 400, "incomplete_body"))
          .contains(png.length + " of " + (png.length + 10) + " declared bytes");
      // Gone: the client closes at once; the server's answer goes nowhere, quietly.
      try (Socket s = RawHttp.connect(server.port())) {
        s.getOutputStream().write(request);
      }
      awaitMetric(metric, before + 2);
      assertHealthy();
    } finally {
      System.setErr(err);
    }
    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines)
        .as("server log")
        .noneMatch(l -> l.contains("ERROR"))
        .noneMatch(l -> l.startsWith("\tat "));
    // Two faults within the 10 s allowance: one line.
    assertThat(lines.stream().filter(l -> l.contains("client fault incomplete_body")))
        .as("server log")
        .hasSize(1)
        .allMatch(l -> l.contains("WARN"));
  }

  // ------------------------------------------------------------------ errors of the HTTP layer

  @Test
  void jettysOwnRefusalsAreJson() throws Exception {
    int port = server.port();
    assertJsonError(
        RawHttp.exchange(port, "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
        400,
        "bad_request");
    assertJsonError(
        RawHttp.exchange(
            port, "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"),
        400,
        "bad_request");
    assertJsonError(
        RawHttp.exchange(port, "GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
        400,
        "bad_request");
    assertJsonError(
        RawHttp.exchange(port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\n\r\n"),
        400,
        "bad_request");
    assertJsonError(
        RawHttp.exchange(port, "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"),
        414,
        "uri_too_long");
    assertJsonError(
        RawHttp.exchange(
            port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"),
        431,
        "headers_too_large");
    assertHealthy();
  }

  @Test
  void aKnownPathWithTheWrongMethodIs405WithAllow() throws Exception {
    for (String method : List.of("PUT", "DELETE", "GET")) {
      RawHttp.Answer a =
          RawHttp.exchange(
              server.port(),
              method
                  + " /v1/detect HTTP/1.1\r\nHost: x\r\n"
                  + "Content-Length: 0\r\nConnection: close\r\n\r\n");
      assertThat(assertJsonError(a, 405, "method_not_allowed")).contains(method);
      assertThat(a.header("Allow")).isEqualTo("POST");
    }
    for (String path : List.of("/health", "/metrics", "/v1/models", "/")) {
      RawHttp.Answer a =
          RawHttp.exchange(
              server.port(),
              "POST "
                  + path
                  + " HTTP/1.1\r\nHost: x\r\n"
                  + "Content-Length: 0\r\nConnection: close\r\n\r\n");
      assertJsonError(a, 405, "method_not_allowed");
      assertThat(a.header("Allow")).isEqualTo("GET, HEAD");
    }
    RawHttp.Answer missing =
        RawHttp.exchange(
            server.port(),
            "PUT /v2/detect HTTP/1.1\r\nHost: x\r\n"
                + "Content-Length: 0\r\nConnection: close\r\n\r\n");
    assertJsonError(missing, 404, "not_found");
    assertThat(missing.header("Allow")).isNull();
  }

  // ------------------------------------------------------------------ bad images

  @Test
  void truncatedOrCorruptImagesAre400BadImage() throws Exception {
    for (byte[] body :
        List.of(
            Arrays.copyOf(png, png.length / 2),
            Arrays.copyOf(jpeg, 200),
            "GIF89a but not really".getBytes(StandardCharsets.ISO_8859_1))) {
      RawHttp.Answer a =
          RawHttp.exchange(server.port(), concat(uploadHead(body.length), body), false);
      assertJsonError(a, 400, "bad_image");
    }
    assertHealthy();
  }
}
