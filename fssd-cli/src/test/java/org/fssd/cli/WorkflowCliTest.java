package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The research workflow through the CLI on a tiny network: train (sparse), eval, prune, preview.
 */
// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class WorkflowCliTest {
  @TempDir Path dir;

  private static String[] run(String... args) {
    CliRun r = CliRun.run(args);
    return new String[] {Integer.toString(r.code()), r.out(), r.err()};
  }

  @Test
  void trainEvalPruneOnShapes() throws Exception {
    Path model = dir.resolve("m.zip");
    String[] shapes = {"--dataset", "shapes", "--shapes-count", "4", "--shapes-size", "96"};
    String[] train =
        CliRun.tinyShapesTrain(
            "--bn",
            "--sparsity",
            "1e-4",
            "--batch",
            "2",
            "--epochs",
            "1",
            "--log-every",
            "1",
            "--plots",
            dir.resolve("train-plots").toString(),
            "--out",
            model.toString());
    String[] r = run(train);
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[2]).contains("train: epoch 0 batch 2/2 iteration 2 loss");
    FssdModel m = FssdModel.load(model);
    assertThat(m.config().batchNorm()).isTrue();
    assertThat(m.labels().objectClasses()).contains("circle", "square");

    assertPng(dir.resolve("train-plots/loss.png"));
    assertPng(dir.resolve("train-plots/lr.png"));
    assertThat(Files.readString(dir.resolve("train-plots/report.html")))
        .contains("data:image/png;base64,");

    String[] e =
        run(
            concat(
                new String[] {
                  "eval",
                  "--model",
                  model.toString(),
                  "--plots",
                  dir.resolve("eval-plots").toString()
                },
                shapes));
    assertThat(e[0]).as(e[2]).isEqualTo("0");
    String[] lines = e[1].strip().split("\n");
    assertThat(lines[lines.length - 1]).matches("mAP: (0\\.\\d{4}|1\\.0000|n/a)");

    Path pruned = dir.resolve("p.zip");
    assertPng(dir.resolve("eval-plots/ap.png"));
    String[] p =
        run(
            "prune",
            "--model",
            model.toString(),
            "--percent",
            "0.3",
            "--timing-runs",
            "0",
            "--plots",
            dir.resolve("prune-plots").toString(),
            "--out",
            pruned.toString());
    assertThat(p[0]).as(p[2]).isEqualTo("0");
    assertThat(p[1]).contains("parameters").contains("GMACs/image").contains("threshold:");
    FssdModel pm = FssdModel.load(pruned);
    assertThat(pm.graph().numParams()).isLessThan(m.graph().numParams());
    assertThat(pm.provenance().get("source")).startsWith("prune of");
    assertPng(dir.resolve("prune-plots/gamma.png"));
    assertPng(dir.resolve("prune-plots/channels.png"));
    assertThat(Files.readString(dir.resolve("prune-plots/report.html"))).contains("threshold");

    Path prev = dir.resolve("preview");
    String[] a =
        run(
            concat(
                new String[] {"augment-preview", "--count", "2", "--out", prev.toString()},
                shapes));
    assertThat(a[0]).as(a[2]).isEqualTo("0");
    try (var files = Files.list(prev)) {
      assertThat(files.count()).isEqualTo(4);
    }
  }

  private static void assertPng(Path p) throws java.io.IOException {
    java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(p.toFile());
    assertThat(img).as(p.toString()).isNotNull();
    assertThat(img.getWidth()).isGreaterThan(100);
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
