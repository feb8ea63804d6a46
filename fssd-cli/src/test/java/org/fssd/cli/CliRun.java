package org.fssd.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.data.GtBox;
import org.fssd.data.ShapesDataset;

/**
 * Test utility: runs the real {@code fssd} command line ({@link FssdCli#run(PrintWriter,
 * PrintWriter, String...)}: the same wiring, options and error handling as {@code ./fssd})
 * in-process with captured output.
 *
 * @param code the exit code
 * @param out what the command printed on stdout
 * @param err what the command printed on stderr
 */
record CliRun(int code, String out, String err) {

  /** Runs {@code fssd args...} and returns its exit code and output. */
  static CliRun run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        FssdCli.run(
            new PrintWriter(out, true, StandardCharsets.UTF_8),
            new PrintWriter(err, true, StandardCharsets.UTF_8),
            args);
    return new CliRun(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The shapes drawn by {@code fssd sample-image --seed seed}: its one 300x300 separated image. */
  static List<GtBox> sampleImageBoxes(long seed) {
    return ShapesDataset.builder()
        .preset(ShapesDataset.Preset.SEPARATED)
        .count(1)
        .seed(seed)
        .imageSize(300, 300)
        .build()
        .annotation(0)
        .boxes();
  }

  /**
   * The arguments of {@code fssd train} on a tiny problem (4 shapes images of 96x96, width divisor
   * 64, one worker) followed by {@code extra}, which may repeat a flag to override it.
   */
  static String[] tinyShapesTrain(String... extra) {
    return tinyShapesTrain(4, extra);
  }

  /** {@link #tinyShapesTrain(String...)} on {@code images} shapes images instead of 4. */
  static String[] tinyShapesTrain(int images, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "--width-divisor",
                "64",
                "--workers",
                "1",
                "--dataset",
                "shapes",
                "--shapes-count",
                Integer.toString(images),
                "--shapes-size",
                "96"));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  /**
   * {@link #tinyShapesTrain(int, String...)} with checkpoints in {@code dir/ck}, the model written
   * to {@code dir/m.zip} and quiet progress, followed by {@code extra}.
   */
  static String[] checkpointedTinyTrain(Path dir, int images, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--log-every",
                "100",
                "--checkpoint-dir",
                dir.resolve("ck").toString(),
                "--out",
                dir.resolve("m.zip").toString()));
    a.addAll(List.of(extra));
    return tinyShapesTrain(images, a.toArray(new String[0]));
  }

  /**
   * A BN FSSD300 at width / {@code widthDivisor} for {@code labels}, seed 3, whose BN gammas are
   * distinct (a fresh model has all gammas 1, which would prune every layer to one channel): a
   * model a prune has a real choice on.
   */
  static org.fssd.model.FssdModel bnModelWithDistinctGammas(
      int widthDivisor, org.fssd.model.Labels labels) {
    ConfigOptions c = new ConfigOptions();
    c.config = "voc300";
    c.batchNorm = true;
    c.widthDivisor = widthDivisor;
    org.fssd.model.FssdModel init =
        org.fssd.model.FssdModel.create(
            c.toConfig().toBuilder().numClasses(labels.numClasses()).build(), labels, 3);
    long k = 0;
    for (var e : init.graph().paramTable().entrySet()) {
      if (e.getKey().endsWith("_gamma")) {
        e.getValue()
            .assign(
                org.nd4j.linalg.factory.Nd4j.rand(e.getValue().dataType(), e.getValue().shape())
                    .addi(0.1 + 1e-3 * k++));
      }
    }
    return init;
  }
}
