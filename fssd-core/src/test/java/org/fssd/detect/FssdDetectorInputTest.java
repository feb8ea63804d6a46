package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.fssd.image.BgrImage;
import org.fssd.image.ImageInput;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The typed batch input (mixed forms) and the rule that a caller's model graph is never run. */
class FssdDetectorInputTest {
  @TempDir Path dir;

  @Test
  void mixedBatchEqualsEachImageAlone() throws Exception {
    BufferedImage a = FssdDetectorBatchTest.picture(120, 90, 41);
    BufferedImage b = FssdDetectorBatchTest.picture(160, 100, 42);
    BufferedImage c = FssdDetectorBatchTest.picture(90, 140, 43);
    BufferedImage d = FssdDetectorBatchTest.picture(130, 130, 44);
    Path file = dir.resolve("a.png");
    ImageIO.write(a, "png", file.toFile());
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(b, "png", png);
    try (FssdDetector detector =
            FssdDetector.builder()
                .model(FssdDetectorBatchTest.smallModel())
                .scoreThreshold(0.01f)
                .build();
        BgrImage bgr = detector.imageLoader().fromBufferedImage(d, "d")) {
      List<ImageInput> inputs =
          List.of(ImageInput.of(file), ImageInput.of(png.toByteArray()), ImageInput.of(c), bgr);
      List<List<Detection>> batch = detector.detectBatch(inputs);
      assertThat(batch).hasSize(4);
      List<List<Detection>> alone =
          List.of(
              detector.detect(file),
              detector.detect(png.toByteArray()),
              detector.detect(c),
              detector.detect(bgr));
      for (int i = 0; i < inputs.size(); i++) {
        assertThat(alone.get(i)).as("image %s", i).isNotEmpty();
        assertThat(batch.get(i)).as("image %s", i).isEqualTo(alone.get(i));
      }
      // The typed single-image overload agrees with the old ones.
      assertThat(detector.detect(ImageInput.of(c))).isEqualTo(alone.get(2));
      // The caller's BGR image stays open: the detector does not close what it did not decode.
      assertThat(bgr.toBgrBytes()).hasSize(3 * 130 * 130);
    }
  }

  @Test
  void graphEngineNeverRunsTheCallersGraph() throws Exception {
    FssdModel shared = FssdDetectorBatchTest.smallModel();
    INDArray before = shared.graph().params().dup();
    List<BufferedImage> images = FssdDetectorBatchTest.pictures(3);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (FssdDetector one =
            FssdDetector.builder()
                .model(shared)
                .engine(Engine.GRAPH)
                .scoreThreshold(0.01f)
                .build();
        FssdDetector two =
            FssdDetector.builder()
                .model(shared)
                .engine(Engine.GRAPH)
                .scoreThreshold(0.01f)
                .replicas(2)
                .build()) {
      // By identity: ComputationGraph.equals compares configuration and parameters.
      Set<Object> graphs = Collections.newSetFromMap(new IdentityHashMap<>());
      for (FssdDetector det : List.of(one, two)) {
        assertThat(det.model()).isSameAs(shared);
        for (NetworkRunner r : det.networks()) {
          FssdModel run = ((NetworkRunner.Graph) r).model();
          assertThat(run.graph()).isNotSameAs(shared.graph());
          graphs.add(run.graph());
        }
      }
      assertThat(graphs).hasSize(3);
      // Both detectors at once, on the same source model: the same answers.
      List<Future<List<List<Detection>>>> runs = new ArrayList<>();
      for (FssdDetector det : List.of(one, two)) {
        runs.add(pool.submit(() -> det.detectBatch(images.stream().map(ImageInput::of).toList())));
      }
      List<List<Detection>> first = runs.get(0).get();
      assertThat(first.get(0)).isNotEmpty();
      assertThat(runs.get(1).get()).isEqualTo(first);
    } finally {
      pool.shutdownNow();
    }
    // The caller's model is left as it was, parameters included.
    assertThat(shared.graph().params()).isEqualTo(before);
  }
}
