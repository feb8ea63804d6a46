package org.fssd.detect;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.image.ImageInput;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;

/**
 * Not a test: peak resident memory ({@code VmHWM}) of one JVM running a detector on the full
 * random-weight FSSD300, for docs/performance.md. Run one mode per JVM, since VmHWM only grows:
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -cp &lt;test classpath&gt; org.fssd.detect.DetectorRssProbe single
 * OMP_NUM_THREADS=2 java -cp &lt;test classpath&gt; org.fssd.detect.DetectorRssProbe lengths 8
 * OMP_NUM_THREADS=2 java -cp &lt;test classpath&gt; org.fssd.detect.DetectorRssProbe pow2 8
 * </pre>
 *
 * <p>{@code single}: 3 x detect of one image; {@code lengths N}: detectBatch of 1, 2, ..., N
 * images; {@code pow2 N}: detectBatch of 1, 2, 4, ... and N images (what the service's batcher
 * forms). The detector is built with {@code maxBatch(N)} (1 for single); a third argument {@code
 * batched} sets {@code batchedPlans(true)}.
 */
public final class DetectorRssProbe {
  private DetectorRssProbe() {}

  /** Entry point; arguments: mode [N]. */
  public static void main(String[] args) throws IOException {
    String mode = args.length > 0 ? args[0] : "single";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    List<Integer> lengths = new ArrayList<>();
    switch (mode) {
      case "single":
        lengths.add(1);
        lengths.add(1);
        lengths.add(1);
        n = 1;
        break;
      case "lengths":
        for (int i = 1; i <= n; i++) {
          lengths.add(i);
        }
        break;
      case "pow2":
        for (int i = 1; i < n; i *= 2) {
          lengths.add(i);
        }
        lengths.add(n);
        break;
      default:
        throw new IllegalArgumentException("mode must be single, lengths or pow2, got " + mode);
    }
    long start = System.nanoTime();
    FssdModel model = FssdModel.create(FssdConfig.voc300(), Labels.voc(), 1);
    long afterModel = hwmKb();
    FssdDetector.Builder b = FssdDetector.builder().model(model).scoreThreshold(0.01f);
    boolean batched = args.length > 2 && args[2].equals("batched");
    b.maxBatch(n).batchedPlans(batched);
    try (FssdDetector detector = b.build()) {
      long afterBuild = hwmKb();
      BufferedImage img = new BufferedImage(480, 360, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 360; y++) {
        for (int x = 0; x < 480; x++) {
          img.setRGB(x, y, (x * 7 + y * 13) & 0xffffff);
        }
      }
      for (int len : lengths) {
        List<ImageInput> images = new ArrayList<>();
        for (int i = 0; i < len; i++) {
          images.add(ImageInput.of(img));
        }
        detector.detectBatch(images);
      }
      System.out.printf(
          "rss-probe mode=%s n=%d batched=%s engine=%s: VmHWM after model %d MiB, after build %d MiB, at end %d MiB"
              + " (VmRSS at end %d MiB, %.1f s)%n",
          mode,
          n,
          batched,
          detector.engine(),
          afterModel / 1024,
          afterBuild / 1024,
          hwmKb() / 1024,
          statusKb("VmRSS:") / 1024,
          (System.nanoTime() - start) / 1e9);
      if (detector.oneDnnWeights() != null) {
        System.out.printf(
            "rss-probe: weights %d MiB in %d conv copies, arena %d MiB per replica, batch sizes %s%n",
            detector.oneDnnWeights().nativeBytes() >> 20,
            detector.oneDnnWeights().copies(),
            ((NetworkRunner.OneDnn) detector.networks().get(0)).arenaBytes() >> 20,
            java.util.Arrays.toString(detector.batchSizes()));
      }
    }
  }

  static long hwmKb() throws IOException {
    return statusKb("VmHWM:");
  }

  private static long statusKb(String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no " + key + " in /proc/self/status");
  }
}
