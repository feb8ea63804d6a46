package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cut-off upload (JPEG missing its end, PNG missing its last chunks) is a 400 JSON error naming
 * the truncation, raw or in a multipart form, not detections on invented grey pixels.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TruncatedUploadTest {
  private static final HttpClient HTTP = ServeFixtures.HTTP;
  private static FssdServer server;

  @BeforeAll
  static void start() {
    server = FssdServer.builder().model(ServeTestModels.tamedTiny300()).build().start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void truncatedJpegAndPngAreBadImages() throws Exception {
    for (String format : new String[] {"jpeg", "png"}) {
      byte[] whole = encode(format);
      assertThat(post(whole, "application/octet-stream").statusCode()).isEqualTo(200);
      for (int cut : new int[] {whole.length / 2, whole.length - 1}) {
        byte[] part = Arrays.copyOf(whole, cut);
        assertBadImage(post(part, "application/octet-stream"), format);
        String boundary = "cut" + cut;
        assertBadImage(
            post(multipart(boundary, part), "multipart/form-data; boundary=" + boundary), format);
      }
    }
  }

  private static void assertBadImage(HttpResponse<byte[]> r, String format) throws Exception {
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(r.statusCode()).as(body).isEqualTo(400);
    assertThat(r.headers().firstValue("Content-Type"))
        .get()
        .asString()
        .startsWith("application/json");
    JsonNode j = new ObjectMapper().readTree(body);
    assertThat(j.get("error").asText()).isEqualTo("bad_image");
    assertThat(j.get("detail").asText())
        .contains("truncated " + (format.equals("jpeg") ? "JPEG" : "PNG"));
  }

  private static byte[] encode(String format) throws Exception {
    BufferedImage img = new BufferedImage(120, 90, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 90; y++) {
      for (int x = 0; x < 120; x++) {
        img.setRGB(x, y, (x * 2) << 16 | (y * 2) << 8 | ((x + y) & 0xFF));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, format, out);
    return out.toByteArray();
  }

  private static byte[] multipart(String boundary, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"cut\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(content);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  private static HttpResponse<byte[]> post(byte[] body, String contentType) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/detect"))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
