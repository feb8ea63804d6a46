package org.fssd.spark;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.fssd.detect.DetectorSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch detection job: reads every image under a Hadoop path, detects, and writes the rows
 * ({@link FssdSpark#OUTPUT_SCHEMA}) to {@code DIR/parquet}, and to {@code DIR/json} as JSON lines,
 * one line per image with a row, each the same object {@code fssd detect --json} and the HTTP
 * service write ({@link org.fssd.detect.DetectionJson}). Detection runs once (the result is
 * persisted between the two writes).
 *
 * <pre>
 * spark-submit --class org.fssd.spark.FssdSparkJob --jars LIBS fssd-spark.jar \
 *     --model hdfs:///models/fssd300_voc.zip --input hdfs:///photos --output hdfs:///detections
 * java [--add-opens ...] -jar fssd-spark/target/fssd-spark.jar --master local[4] \
 *     --model fssd300_voc.zip --input photos/ --output out/
 * </pre>
 *
 * <p>Options: {@code --model M} (model file, any Hadoop path), {@code --input PATH}, {@code
 * --output DIR}, {@code [--master URL]} (default: what spark-submit set, else {@code local[*]}),
 * {@code [--batch N]} (8), {@code [--partitions N]} (0: as read), {@code [--glob G]} (file-name
 * filter), {@code [--overwrite]}, and the detection settings under the names and with the defaults
 * of {@code fssd detect} ({@link org.fssd.detect.DetectorSettings}): {@code [--threshold T]} (0.3),
 * {@code [--nms IOU]} (0.45), {@code [--per-class-top-k K]} (40), {@code [--max-detections N]}
 * (200), {@code [--max-pixels N]} (100000000), {@code [--clip]}, {@code [--replicas N]} (1).
 */
public final class FssdSparkJob {
  private static final Logger LOG = LoggerFactory.getLogger(FssdSparkJob.class);

  static final String USAGE =
      "usage: FssdSparkJob --model M --input PATH --output DIR [--master URL]"
          + " [--threshold T] [--nms IOU] [--per-class-top-k K] [--max-detections N] [--max-pixels N] [--clip]"
          + " [--batch N] [--partitions N] [--replicas N] [--glob G] [--overwrite]";

  private FssdSparkJob() {}

  /** Runs the job; exits with status 2 on bad arguments and 1 on failure. */
  public static void main(String[] args) {
    int status = run(args, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /** Arguments of one run. */
  static final class Args {
    String model;
    String input;
    String output;
    String master;
    boolean overwrite;
    DetectOptions.Builder options = DetectOptions.builder();
    DetectorSettings.Builder detector = DetectorSettings.builder();

    static Args parse(String[] argv) {
      Args a = new Args();
      for (int i = 0; i < argv.length; i++) {
        String flag = argv[i];
        if (flag.equals("--overwrite")) {
          a.overwrite = true;
          continue;
        }
        if (flag.equals("--clip")) {
          a.detector.clipToImage(true);
          continue;
        }
        if (i + 1 >= argv.length) {
          throw new IllegalArgumentException("option " + flag + " needs a value");
        }
        String v = argv[++i];
        switch (flag) {
          case "--model":
            a.model = v;
            break;
          case "--input":
            a.input = v;
            break;
          case "--output":
            a.output = v;
            break;
          case "--master":
            a.master = v;
            break;
          case "--threshold":
            a.detector.scoreThreshold(number(flag, v, Float::parseFloat));
            break;
          case "--nms":
            a.detector.nmsIouThreshold(number(flag, v, Float::parseFloat));
            break;
          case "--per-class-top-k":
            a.detector.perClassTopK(number(flag, v, Integer::parseInt));
            break;
          case "--max-detections":
            a.detector.maxDetections(number(flag, v, Integer::parseInt));
            break;
          case "--max-pixels":
            a.detector.maxPixels(number(flag, v, Long::parseLong));
            break;
          case "--batch":
            a.options.batchSize(number(flag, v, Integer::parseInt));
            break;
          case "--partitions":
            a.options.partitions(number(flag, v, Integer::parseInt));
            break;
          case "--replicas":
            a.detector.replicas(number(flag, v, Integer::parseInt));
            break;
          case "--glob":
            a.options.pathGlobFilter(v);
            break;
          default:
            throw new IllegalArgumentException("unknown option " + flag);
        }
      }
      for (String[] required :
          new String[][] {{"--model", a.model}, {"--input", a.input}, {"--output", a.output}}) {
        if (required[1] == null || required[1].isBlank()) {
          throw new IllegalArgumentException("missing " + required[0]);
        }
      }
      a.options.detectorSettings(a.detector.build());
      return a;
    }

    private static <T> T number(
        String flag, String v, java.util.function.Function<String, T> parse) {
      try {
        return parse.apply(v.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "option " + flag + " needs a number, got '" + v + "'", e);
      }
    }
  }

  /**
   * Runs the job with {@code argv}, writing argument errors and the usage line to {@code err};
   * returns the exit status (0 done, 1 failed, 2 bad arguments). Stops the Spark session it made.
   */
  static int run(String[] argv, PrintStream err) {
    Args a;
    try {
      a = Args.parse(argv);
    } catch (IllegalArgumentException e) {
      err.println("FssdSparkJob: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    SparkSession.Builder builder = SparkSession.builder().appName("fssd4j batch detection");
    if (a.master != null) {
      builder = builder.master(a.master);
    } else if (System.getProperty("spark.master") == null) {
      builder = builder.master("local[*]");
    }
    SparkSession spark = builder.getOrCreate();
    try {
      Summary s = detectAndWrite(spark, a);
      LOG.info(
          "fssd-spark: {} detections on {} images, {} errors; written to {}/parquet and {}/json",
          s.detections,
          s.imagesWithRows,
          s.errors,
          a.output,
          a.output);
      return 0;
    } catch (RuntimeException e) {
      LOG.error("fssd-spark job failed", e);
      err.println("FssdSparkJob failed: " + e);
      return 1;
    } finally {
      spark.stop();
    }
  }

  /** Counts of a finished run (images without any detection have no row, so are not counted). */
  static final class Summary {
    final long imagesWithRows;
    final long detections;
    final long errors;

    Summary(long imagesWithRows, long detections, long errors) {
      this.imagesWithRows = imagesWithRows;
      this.detections = detections;
      this.errors = errors;
    }
  }

  static Summary detectAndWrite(SparkSession spark, Args a) {
    byte[] model = readAll(spark.sparkContext().hadoopConfiguration(), a.model);
    Dataset<Row> found =
        FssdSpark.detectPaths(spark, a.input, model, a.options.build())
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      SaveMode mode = a.overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists;
      found.write().mode(mode).parquet(a.output + "/parquet");
      JsonLines.of(found).write().mode(mode).text(a.output + "/json");
      long errors = found.filter("error IS NOT NULL").count();
      long detections = found.filter("error IS NULL").count();
      long imagesWithRows = found.select("image").distinct().count();
      return new Summary(imagesWithRows, detections, errors);
    } finally {
      found.unpersist();
    }
  }

  /** Reads a whole (model) file from any Hadoop path. */
  static byte[] readAll(Configuration conf, String location) {
    Path p = new Path(location);
    try {
      FileSystem fs = p.getFileSystem(conf);
      try (InputStream in = fs.open(p);
          ByteArrayOutputStream out = new ByteArrayOutputStream()) {
        in.transferTo(out);
        return out.toByteArray();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the model file " + location + ": " + e.getMessage(), e);
    }
  }
}
