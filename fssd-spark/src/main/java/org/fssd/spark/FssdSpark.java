package org.fssd.spark;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.hash.Hashing;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch object detection on Apache Spark: images in, one row per detection out.
 *
 * <pre>{@code
 * byte[] model = Files.readAllBytes(Path.of("fssd300_voc.zip"));
 * Dataset<Row> found = FssdSpark.detectPaths(spark, "hdfs:///photos/2024", model,
 *     DetectOptions.builder().scoreThreshold(0.3f).batchSize(8).build());
 * found.write().parquet("hdfs:///detections/2024");
 * }</pre>
 *
 * <p><b>How it runs.</b> The model file's bytes are broadcast once. Each executor JVM builds ONE
 * {@link org.fssd.detect.FssdDetector} the first time a task needs it (bytes written to a local
 * temp file, loaded, file deleted) and reuses it for every later partition and task of any job
 * with the same model and settings; it is closed when the JVM shuts down. Inside {@code
 * mapPartitions} the images run {@link DetectOptions#batchSize()} at a time. Give executors
 * several cores and {@link DetectOptions.Builder#replicas(int)} as many network copies so that
 * concurrent tasks do not queue for one network.
 *
 * <p><b>Output</b> ({@link #OUTPUT_SCHEMA}): {@code image} (the input path), {@code class} (index,
 * 1-based: 0 is background and never reported), {@code label}, {@code score}, box corners {@code
 * x1, y1, x2, y2} in pixels of the original image, and {@code error}. An image with no detection
 * above the threshold yields no row. An image that cannot be processed (corrupt, empty, above the
 * pixel limit) yields exactly one row with its path and the error message, every other column
 * null; the job goes on. The result is lazy, like any Dataset: nothing runs until an action.
 *
 * <p>Thread safety: the static methods may be called from several driver threads.
 */
public final class FssdSpark {
  private static final Logger LOG = LoggerFactory.getLogger(FssdSpark.class);

  /** Columns of the detection rows. */
  public static final StructType OUTPUT_SCHEMA = new StructType(new StructField[] {
      DataTypes.createStructField("image", DataTypes.StringType, true),
      DataTypes.createStructField("class", DataTypes.IntegerType, true),
      DataTypes.createStructField("label", DataTypes.StringType, true),
      DataTypes.createStructField("score", DataTypes.FloatType, true),
      DataTypes.createStructField("x1", DataTypes.FloatType, true),
      DataTypes.createStructField("y1", DataTypes.FloatType, true),
      DataTypes.createStructField("x2", DataTypes.FloatType, true),
      DataTypes.createStructField("y2", DataTypes.FloatType, true),
      DataTypes.createStructField("error", DataTypes.StringType, true)});

  private FssdSpark() {}

  /**
   * Detects objects in every image of {@code images}, a Dataset with the columns {@code path}
   * (string) and {@code content} (binary: the encoded JPEG/PNG/... file), as Spark's {@code
   * binaryFile} source gives; other columns are ignored.
   *
   * @param modelFileBytes the bytes of an fssd4j model file ({@code FssdModel.save}); broadcast
   * @return the detection rows ({@link #OUTPUT_SCHEMA}), lazily computed
   */
  public static Dataset<Row> detect(SparkSession spark, Dataset<Row> images, byte[] modelFileBytes,
      DetectOptions options) {
    Objects.requireNonNull(spark, "spark");
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(modelFileBytes, "modelFileBytes");
    Objects.requireNonNull(options, "options");
    List<String> columns = Arrays.asList(images.columns());
    checkArgument(columns.contains("path") && columns.contains("content"),
        "images must have the columns path (string) and content (binary), got %s", columns);
    checkArgument(images.schema().apply("content").dataType().equals(DataTypes.BinaryType)
        && images.schema().apply("path").dataType().equals(DataTypes.StringType),
        "images must have path:string and content:binary, got %s", images.schema().simpleString());
    checkArgument(modelFileBytes.length > 0, "modelFileBytes is empty (length %s)", modelFileBytes.length);
    String sha = Hashing.sha256().hashBytes(modelFileBytes).toString();
    Broadcast<byte[]> model = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(modelFileBytes);
    LOG.info("fssd-spark: broadcast model {} ({} bytes), {}", sha.substring(0, 12), modelFileBytes.length, options);
    Dataset<Row> input = images.select("path", "content");
    if (options.partitions() > 0) {
      input = input.repartition(options.partitions());
    }
    return input.mapPartitions(new DetectPartition(model, sha, options), Encoders.row(OUTPUT_SCHEMA));
  }

  /**
   * Detects objects in the image files under {@code path}: any Hadoop path or glob ({@code
   * file:///...}, {@code hdfs://...}, {@code s3a://...}), read with Spark's {@code binaryFile}
   * source, sub-folders included; {@link DetectOptions#pathGlobFilter()} narrows the file names.
   * Every file found is treated as an image (a non-image file gives an error row).
   */
  public static Dataset<Row> detectPaths(SparkSession spark, String path, byte[] modelFileBytes,
      DetectOptions options) {
    Objects.requireNonNull(spark, "spark");
    Objects.requireNonNull(options, "options");
    checkArgument(path != null && !path.isBlank(), "path must be a non-blank Hadoop path, got '%s'", path);
    DataFrameReader reader = spark.read().format("binaryFile").option("recursiveFileLookup", "true");
    if (options.pathGlobFilter().isPresent()) {
      reader = reader.option("pathGlobFilter", options.pathGlobFilter().get());
    }
    return detect(spark, reader.load(path), modelFileBytes, options);
  }
}
