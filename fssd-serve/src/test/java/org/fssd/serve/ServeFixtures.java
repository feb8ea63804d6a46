package org.fssd.serve;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Random;
import javax.imageio.ImageIO;
import org.fssd.detect.FssdDetector;
import org.fssd.model.FssdModel;

/** What the fssd-serve HTTP tests share: one HTTP/1.1 client and seeded noise images. */
final class ServeFixtures {
  private ServeFixtures() {}

  /** Default request threshold of the HTTP tests' servers. */
  static final float THRESHOLD = 0.05f;

  /** Detection cap of the HTTP tests' servers. */
  static final int MAX_DETECTIONS = 50;

  /** A server builder for {@code model} with {@link #THRESHOLD} and {@link #MAX_DETECTIONS}. */
  static FssdServer.Builder serverBuilder(FssdModel model) {
    return FssdServer.builder()
        .model(model)
        .scoreThreshold(THRESHOLD)
        .maxDetections(MAX_DETECTIONS);
  }

  /**
   * The reference detector of a server test: one like the server builds for {@code model} (its
   * threshold floor, the detection cap {@code maxDetections}), run in the test itself.
   */
  static FssdDetector referenceDetector(FssdModel model, int maxDetections) {
    return FssdDetector.builder()
        .model(model)
        .scoreThreshold(FssdServer.DETECTOR_FLOOR_THRESHOLD)
        .maxDetections(maxDetections)
        .build();
  }

  /** HTTP/1.1 (the server's protocol), with a connect timeout so a dead server fails the test. */
  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** A w x h checkerboard of 20-pixel squares with seeded noise: something for the model to see. */
  static BufferedImage noise(int w, int h, long seed) {
    Random r = new Random(seed);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int base = ((x / 20 + y / 20) % 2) * 150;
        img.setRGB(
            x,
            y,
            ((base + r.nextInt(100)) << 16) | (r.nextInt(256) << 8) | (base + r.nextInt(100)));
      }
    }
    return img;
  }

  /** {@link #noise} encoded in an ImageIO format ("png", "jpeg"). */
  static byte[] encodedNoise(int w, int h, long seed, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(noise(w, h, seed), format, out);
    return out.toByteArray();
  }

  /** Closes each non-null resource in order: a class's servers and detectors after its tests. */
  static void closeAll(AutoCloseable... resources) throws Exception {
    for (AutoCloseable r : resources) {
      if (r != null) {
        r.close();
      }
    }
  }
}
