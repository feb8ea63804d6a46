package org.fssd.spark;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.hash.Hashing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobFilter;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import org.apache.spark.sql.execution.datasources.PartitioningAwareFileIndex;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

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
 * temp file, loaded, file deleted) and reuses it for every later partition and task of any job with
 * the same model and settings; it is closed when the JVM shuts down. Inside {@code mapPartitions}
 * the images run {@link DetectOptions#batchSize()} at a time. Give executors several cores and
 * {@link DetectOptions.Builder#replicas(int)} as many network copies so that concurrent tasks do
 * not queue for one network.
 *
 * <p><b>Output</b> ({@link #OUTPUT_SCHEMA}): {@code image} (the input path), {@code class} (index,
 * 1-based: 0 is background and never reported), {@code label}, {@code score}, box corners {@code
 * x1, y1, x2, y2} in pixels of the original image, {@code error}, and the image's {@code width} and
 * {@code height} in pixels (null on error rows). An image with no detection above the threshold
 * yields no row. An image that cannot be processed (not an image, truncated, corrupt, empty, above
 * the pixel limit) yields exactly one row with its path and the error message, every other column
 * null; the job goes on. Zero-length files, which Spark's {@code binaryFile} scan silently skips,
 * get their error row from the file listing ({@link #detectPaths}). The result is lazy, like any
 * Dataset: nothing runs until an action.
 *
 * <p>Thread safety: the static methods may be called from several driver threads.
 */
public final class FssdSpark {
  private static final Logger LOG = LoggerFactory.getLogger(FssdSpark.class);

  /** Columns of the detection rows. */
  public static final StructType OUTPUT_SCHEMA =
      new StructType(
          new StructField[] {
            DataTypes.createStructField("image", DataTypes.StringType, true),
            DataTypes.createStructField("class", DataTypes.IntegerType, true),
            DataTypes.createStructField("label", DataTypes.StringType, true),
            DataTypes.createStructField("score", DataTypes.FloatType, true),
            DataTypes.createStructField("x1", DataTypes.FloatType, true),
            DataTypes.createStructField("y1", DataTypes.FloatType, true),
            DataTypes.createStructField("x2", DataTypes.FloatType, true),
            DataTypes.createStructField("y2", DataTypes.FloatType, true),
            DataTypes.createStructField("error", DataTypes.StringType, true),
            DataTypes.createStructField("width", DataTypes.IntegerType, true),
            DataTypes.createStructField("height", DataTypes.IntegerType, true)
          });

  private FssdSpark() {}

  /**
   * Detects objects in every image of {@code images}, a Dataset with the columns {@code path}
   * (string) and {@code content} (binary: the encoded JPEG/PNG/... file), as Spark's {@code
   * binaryFile} source gives; other columns are ignored.
   *
   * @param modelFileBytes the bytes of an fssd4j model file ({@code FssdModel.save}); broadcast
   * @return the detection rows ({@link #OUTPUT_SCHEMA}), lazily computed
   */
  public static Dataset<Row> detect(
      SparkSession spark, Dataset<Row> images, byte[] modelFileBytes, DetectOptions options) {
    Objects.requireNonNull(spark, "spark");
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(modelFileBytes, "modelFileBytes");
    Objects.requireNonNull(options, "options");
    List<String> columns = Arrays.asList(images.columns());
    checkArgument(
        columns.contains("path") && columns.contains("content"),
        "images must have the columns path (string) and content (binary), got %s",
        columns);
    checkArgument(
        images.schema().apply("content").dataType().equals(DataTypes.BinaryType)
            && images.schema().apply("path").dataType().equals(DataTypes.StringType),
        "images must have path:string and content:binary, got %s",
        images.schema().simpleString());
    checkArgument(
        modelFileBytes.length > 0, "modelFileBytes is empty (length %s)", modelFileBytes.length);
    String sha = Hashing.sha256().hashBytes(modelFileBytes).toString();
    Broadcast<byte[]> model =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(modelFileBytes);
    LOG.info(
        "fssd-spark: broadcast model {} ({} bytes), {}",
        sha.substring(0, 12),
        modelFileBytes.length,
        options);
    Dataset<Row> input = images.select("path", "content");
    if (options.partitions() > 0) {
      input = input.repartition(options.partitions());
    }
    return input.mapPartitions(
        new DetectPartition(model, sha, options), Encoders.row(OUTPUT_SCHEMA));
  }

  /**
   * Detects objects in the image files under {@code path}: any Hadoop path or glob ({@code
   * file:///...}, {@code hdfs://...}, {@code s3a://...}), read with Spark's {@code binaryFile}
   * source, sub-folders included; {@link DetectOptions#pathGlobFilter()} narrows the file names.
   * Every file found is treated as an image: a non-image, truncated or empty file gives one error
   * row. Folders are descended into, not treated as images. As everywhere in Spark, file and folder
   * names starting with {@code _} or {@code .} are hidden and not read.
   */
  public static Dataset<Row> detectPaths(
      SparkSession spark, String path, byte[] modelFileBytes, DetectOptions options) {
    Objects.requireNonNull(spark, "spark");
    Objects.requireNonNull(options, "options");
    checkArgument(
        path != null && !path.isBlank(), "path must be a non-blank Hadoop path, got '%s'", path);
    DataFrameReader reader =
        spark.read().format("binaryFile").option("recursiveFileLookup", "true");
    if (options.pathGlobFilter().isPresent()) {
      reader = reader.option("pathGlobFilter", options.pathGlobFilter().get());
    }
    Dataset<Row> files = reader.load(path);
    Dataset<Row> found = detect(spark, files, modelFileBytes, options);
    // Spark's file scan skips zero-length files: without this they would vanish from the output.
    List<Row> empty = new ArrayList<>();
    for (String p : emptyFiles(spark, files, path, options)) {
      empty.add(OutputRows.error(p, "image " + p + ": file is empty (0 bytes)"));
    }
    if (!empty.isEmpty()) {
      LOG.warn("fssd-spark: {} empty files under {} get an error row each", empty.size(), path);
      found = found.union(spark.createDataFrame(empty, OUTPUT_SCHEMA));
    }
    return found;
  }

  /**
   * The zero-length files of a {@code binaryFile} Dataset, from the file listing Spark already made
   * for it (no second listing); should the plan not expose it, the path is listed again with
   * Hadoop's file system (same filters: sub-folders, the glob, no hidden names).
   */
  static List<String> emptyFiles(
      SparkSession spark, Dataset<Row> files, String path, DetectOptions options) {
    List<String> empty = new ArrayList<>();
    LogicalPlan plan = files.queryExecution().analyzed();
    if (plan instanceof LogicalRelation
        && ((LogicalRelation) plan).relation() instanceof HadoopFsRelation
        && ((HadoopFsRelation) ((LogicalRelation) plan).relation()).location()
            instanceof PartitioningAwareFileIndex) {
      PartitioningAwareFileIndex index =
          (PartitioningAwareFileIndex)
              ((HadoopFsRelation) ((LogicalRelation) plan).relation()).location();
      for (FileStatus st : JavaConverters.seqAsJavaList(index.allFiles())) {
        if (st.getLen() == 0) {
          empty.add(st.getPath().toString());
        }
      }
      return empty;
    }
    LOG.info("fssd-spark: listing {} again to find empty files (plan {})", path, plan.nodeName());
    try {
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(path);
      FileSystem fs = root.getFileSystem(conf);
      GlobFilter names =
          options.pathGlobFilter().isPresent()
              ? new GlobFilter(options.pathGlobFilter().get())
              : null;
      FileStatus[] matched = fs.globStatus(root);
      for (FileStatus st : matched == null ? new FileStatus[0] : matched) {
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(st.getPath(), true);
        while (it.hasNext()) {
          LocatedFileStatus f = it.next();
          String name = f.getPath().getName();
          if (f.getLen() == 0
              && !name.startsWith("_")
              && !name.startsWith(".")
              && (names == null || names.accept(f.getPath()))) {
            empty.add(f.getPath().toString());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + path + " for empty files", e);
    }
    return empty;
  }
}
