package org.fssd.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.fssd.detect.Detection;
import org.fssd.detect.DetectionAssert;
import org.fssd.detect.DetectionJson;
import org.fssd.detect.FssdDetector;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark in {@code local[2]} over a folder of generated PNG/JPEG images and one corrupt file: the
 * distributed results equal, image for image and row for row, a single-process {@link
 * FssdDetector}'s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("slow")
class FssdSparkTest {
  private static final float THRESHOLD = 0.01f;

  @TempDir static Path dir;

  private SparkSession spark;
  private Path modelFile;
  private byte[] modelBytes;
  private Path images;

  /** Expected detections per local image file, from one in-process detector. */
  private final Map<Path, List<Detection>> expected = new TreeMap<>();

  private Path corrupt;

  @BeforeAll
  void setUp() throws IOException {
    FssdModel model = FssdTestModels.tamedNarrow300(1);
    modelFile = dir.resolve("model.zip");
    model.save(modelFile);
    modelBytes = Files.readAllBytes(modelFile);

    images = dir.resolve("images");
    Files.createDirectories(images.resolve("sub"));
    List<Path> good = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      boolean png = i % 2 == 0;
      Path sub = i == 6 ? images.resolve("sub") : images;
      Path f = sub.resolve("img" + i + (png ? ".png" : ".jpg"));
      ImageIO.write(picture(120 + 37 * i, 90 + 23 * i, 100 + i), png ? "png" : "jpg", f.toFile());
      good.add(f);
    }
    corrupt = images.resolve("broken.jpg");
    byte[] junk = new byte[2000];
    new Random(3).nextBytes(junk);
    junk[0] = (byte) 0xFF;
    junk[1] = (byte) 0xD8;
    Files.write(corrupt, junk);

    try (FssdDetector detector =
        FssdDetector.builder().model(modelFile).scoreThreshold(THRESHOLD).build()) {
      for (Path f : good) {
        expected.put(f, detector.detect(Files.readAllBytes(f)));
      }
    }
    assertThat(expected.values()).allSatisfy(list -> assertThat(list).isNotEmpty());

    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("fssd-spark-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
  }

  @AfterAll
  void tearDown() {
    if (spark != null) {
      spark.stop();
    }
    ExecutorDetectors.closeAll();
  }

  @Test
  void distributedResultsEqualSingleProcessResultsAndACorruptFileIsAnErrorRow() {
    ExecutorDetectors.closeAll();
    int createdBefore = ExecutorDetectors.createdCount();
    DetectOptions options =
        DetectOptions.builder().scoreThreshold(THRESHOLD).batchSize(2).partitions(3).build();
    List<Row> rows =
        FssdSpark.detectPaths(spark, images.toUri().toString(), modelBytes, options)
            .collectAsList();

    // One detector built for the whole job (3 partitions on 2 task threads), then reused.
    assertThat(ExecutorDetectors.createdCount() - createdBefore).isEqualTo(1);
    assertMatchesExpected(rows);
  }

  @Test
  void anInt8ModelFileRunsUnchanged() throws IOException {
    Path int8 = Path.of("..").toAbsolutePath().normalize().resolve("models/demo-shapes-int8.zip");
    Map<Path, List<Detection>> want = new TreeMap<>();
    try (FssdDetector d = FssdDetector.builder().model(int8).scoreThreshold(THRESHOLD).build()) {
      assertThat(d.model().quantization()).as("the demo int8 model is quantised").isNotNull();
      for (Path f : expected.keySet()) {
        if (f.toString().endsWith(".png")) {
          want.put(f, d.detect(Files.readAllBytes(f)));
        }
      }
    }
    assertThat(want.values()).anySatisfy(list -> assertThat(list).isNotEmpty());
    Dataset<Row> files = pngFiles();
    List<Row> rows =
        FssdSpark.detect(
                spark,
                files,
                Files.readAllBytes(int8),
                DetectOptions.builder().scoreThreshold(THRESHOLD).batchSize(2).build())
            .collectAsList();
    Map<Path, List<Row>> byImage = byImage(rows);
    for (Map.Entry<Path, List<Detection>> e : want.entrySet()) {
      if (!e.getValue().isEmpty()) {
        DetectionAssert.assertSameDetections(
            toDetections(byImage.get(e.getKey())), e.getValue(), 1e-3f, 1e-5f);
      }
    }
  }

  @Test
  void detectTakesAnyDatasetOfPathAndContent() {
    Dataset<Row> files = pngFiles();
    assertThat(files.columns()).contains("path", "content", "length", "modificationTime");
    List<Row> rows =
        FssdSpark.detect(
                spark,
                files,
                modelBytes,
                DetectOptions.builder().scoreThreshold(THRESHOLD).batchSize(3).build())
            .collectAsList();
    Map<Path, List<Row>> byImage = byImage(rows);
    assertThat(byImage.keySet())
        .allSatisfy(p -> assertThat(p.toString()).endsWith(".png"))
        .hasSize(4);
    for (Map.Entry<Path, List<Row>> e : byImage.entrySet()) {
      DetectionAssert.assertSameDetections(
          toDetections(e.getValue()), expected.get(e.getKey()), 1e-3f, 1e-5f);
    }
  }

  @Test
  void missingOrEmptyContentGivesOneErrorRowEach() throws IOException {
    StructType schema =
        new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType);
    List<Row> in =
        List.of(
            RowFactory.create("mem:none", null),
            RowFactory.create("mem:empty", new byte[0]),
            RowFactory.create("mem:good", Files.readAllBytes(expected.keySet().iterator().next())));
    List<Row> rows =
        FssdSpark.detect(
                spark,
                spark.createDataFrame(in, schema),
                modelBytes,
                DetectOptions.builder().scoreThreshold(THRESHOLD).batchSize(3).build())
            .collectAsList();
    Map<String, List<Row>> byName = new TreeMap<>();
    for (Row r : rows) {
      byName.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r);
    }
    assertThat(byName.keySet()).containsExactly("mem:empty", "mem:good", "mem:none");
    assertThat(byName.get("mem:none"))
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.getString(r.fieldIndex("error")))
                    .contains("no content")
                    .contains("mem:none"));
    assertThat(byName.get("mem:empty"))
        .singleElement()
        .satisfies(r -> assertThat(r.getString(r.fieldIndex("error"))).contains("mem:empty"));
    assertThat(byName.get("mem:good"))
        .hasSize(expected.values().iterator().next().size())
        .allSatisfy(r -> assertThat(r.isNullAt(r.fieldIndex("error"))).isTrue());
  }

  @Test
  void everyBadInputFileGivesExactlyOneErrorRow() throws IOException {
    Path mixed = dir.resolve("mixed");
    Files.createDirectories(mixed.resolve("sub"));
    Files.createDirectories(mixed.resolve("empty-dir"));
    Path good = mixed.resolve("good.png");
    Files.copy(expected.keySet().iterator().next(), good);
    Path inner = mixed.resolve("sub").resolve("inner.jpg");
    Path someJpg =
        expected.keySet().stream()
            .filter(p -> p.toString().endsWith(".jpg"))
            .findFirst()
            .orElseThrow();
    Files.copy(someJpg, inner);
    Path empty = Files.createFile(mixed.resolve("empty.jpg"));
    byte[] jpg = Files.readAllBytes(someJpg);
    Path cut = mixed.resolve("cut.jpg");
    Files.write(cut, java.util.Arrays.copyOf(jpg, jpg.length / 2));
    Path text = mixed.resolve("notes.txt");
    Files.writeString(text, "not an image at all");

    List<Row> rows =
        FssdSpark.detectPaths(
                spark,
                mixed.toUri().toString(),
                modelBytes,
                DetectOptions.builder().scoreThreshold(THRESHOLD).batchSize(2).build())
            .collectAsList();
    Map<Path, List<Row>> byImage = byImage(rows);

    assertThat(byImage.keySet()).containsExactlyInAnyOrder(good, inner, empty, cut, text);
    assertThat(byImage.get(good)).hasSize(expected.get(expected.keySet().iterator().next()).size());
    assertThat(byImage.get(inner)).hasSize(expected.get(someJpg).size());
    for (Path bad : List.of(empty, cut, text)) {
      assertThat(byImage.get(bad))
          .as("rows of %s", bad)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.getString(r.fieldIndex("error")))
                    .contains(bad.getFileName().toString());
                assertThat(r.isNullAt(r.fieldIndex("class"))).isTrue();
              });
    }
    assertThat(error(byImage, empty)).contains("empty");
    assertThat(error(byImage, cut)).contains("truncated JPEG");
    assertThat(error(byImage, text)).contains("cannot decode");

    // The empty files come from Spark's own listing; a plan that hides it falls back to Hadoop's.
    Dataset<Row> files =
        spark
            .read()
            .format("binaryFile")
            .option("recursiveFileLookup", "true")
            .load(mixed.toUri().toString());
    DetectOptions defaults = DetectOptions.defaults();
    assertThat(FssdSpark.emptyFiles(spark, files, mixed.toUri().toString(), defaults))
        .containsExactly(empty.toUri().toString().replace("file:///", "file:/"));
    assertThat(
            FssdSpark.emptyFiles(spark, files.select("path"), mixed.toUri().toString(), defaults))
        .containsExactly(empty.toUri().toString().replace("file:///", "file:/"));
    assertThat(
            FssdSpark.emptyFiles(
                spark,
                files.select("path"),
                mixed.toUri().toString(),
                DetectOptions.builder().pathGlobFilter("*.png").build()))
        .isEmpty();
  }

  private static String error(Map<Path, List<Row>> byImage, Path p) {
    Row r = byImage.get(p).get(0);
    return r.getString(r.fieldIndex("error"));
  }

  @Test
  void badInputIsRefusedOnTheDriver() {
    Dataset<Row> noContent = spark.range(3).toDF("path");
    assertThatThrownBy(
            () -> FssdSpark.detect(spark, noContent, modelBytes, DetectOptions.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("content");
    Dataset<Row> textContent =
        spark.range(3).selectExpr("CAST(id AS STRING) AS path", "CAST(id AS STRING) AS content");
    assertThatThrownBy(
            () -> FssdSpark.detect(spark, textContent, modelBytes, DetectOptions.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("content:binary")
        .hasMessageContaining("content:string");
    assertThatThrownBy(() -> DetectOptions.builder().batchSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("batchSize")
        .hasMessageContaining("0");
  }

  @Test
  void jobWritesParquetAndJsonLines() throws IOException {
    Path out = dir.resolve("out");
    FssdSparkJob.Args args =
        FssdSparkJob.Args.parse(
            new String[] {
              "--model",
              modelFile.toString(),
              "--input",
              images.toString(),
              "--output",
              out.toString(),
              "--threshold",
              String.valueOf(THRESHOLD),
              "--batch",
              "4",
              "--partitions",
              "2"
            });
    FssdSparkJob.Summary summary = FssdSparkJob.detectAndWrite(spark, args);

    long total = expected.values().stream().mapToInt(List::size).sum();
    assertThat(summary.detections).isEqualTo(total);
    assertThat(summary.errors).isEqualTo(1);
    assertThat(summary.imagesWithRows).isEqualTo(expected.size() + 1);

    List<Row> parquet = spark.read().parquet(out.resolve("parquet").toString()).collectAsList();
    assertMatchesExpected(parquet);
    // JSON lines: one line per image, exactly what DetectionJson writes for the image's rows.
    Map<Path, List<Row>> rowsByImage = byImage(parquet);
    Map<Path, String> lines = new LinkedHashMap<>();
    try (var files = Files.list(out.resolve("json"))) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          String image = new ObjectMapper().readTree(line).get("image").asText();
          assertThat(lines.put(Path.of(URI.create(image)), line))
              .as("one line for %s", image)
              .isNull();
        }
      }
    }
    assertThat(lines.keySet()).containsExactlyInAnyOrderElementsOf(rowsByImage.keySet());
    for (Map.Entry<Path, List<Detection>> e : expected.entrySet()) {
      BufferedImage img = ImageIO.read(e.getKey().toFile());
      List<Detection> parquetDetections = toDetections(rowsByImage.get(e.getKey()));
      String name = rowsByImage.get(e.getKey()).get(0).getString(0);
      assertThat(lines.get(e.getKey()))
          .isEqualTo(
              DetectionJson.image(name, img.getWidth(), img.getHeight(), parquetDetections)
                  .toString());
    }
    Row bad = rowsByImage.get(corrupt).get(0);
    assertThat(lines.get(corrupt))
        .isEqualTo(
            DetectionJson.error(bad.getString(0), bad.getString(bad.fieldIndex("error")))
                .toString());
  }

  @Test
  void jobRefusesBadArgumentsBeforeStartingSpark() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        FssdSparkJob.run(
            new String[] {"--model", "m.zip", "--input", "in"}, new PrintStream(err, true));
    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("missing --output")
        .contains("usage:");
    assertThatThrownBy(() -> FssdSparkJob.Args.parse(new String[] {"--batch", "many"}))
        .hasMessageContaining("--batch")
        .hasMessageContaining("many");
  }

  /**
   * Error row for the corrupt file, and the detections of every other image as expected, in order.
   */
  private void assertMatchesExpected(List<Row> rows) {
    Map<Path, List<Row>> byImage = byImage(rows);
    assertThat(byImage.keySet())
        .containsExactlyInAnyOrderElementsOf(concat(new ArrayList<>(expected.keySet()), corrupt));
    List<Row> bad = byImage.get(corrupt);
    assertThat(bad).hasSize(1);
    Row err = bad.get(0);
    assertThat(err.getString(err.fieldIndex("error"))).isNotBlank();
    for (String c :
        new String[] {"class", "label", "score", "x1", "y1", "x2", "y2", "width", "height"}) {
      assertThat(err.isNullAt(err.fieldIndex(c))).as("column %s of the error row", c).isTrue();
    }
    for (Map.Entry<Path, List<Detection>> e : expected.entrySet()) {
      List<Row> found = byImage.get(e.getKey());
      assertThat(found).allSatisfy(r -> assertThat(r.isNullAt(r.fieldIndex("error"))).isTrue());
      List<Detection> actual = toDetections(found);
      assertImageSize(found, e.getKey());
      DetectionAssert.assertSameDetections(actual, e.getValue(), 1e-3f, 1e-5f);
      for (int i = 0; i < actual.size(); i++) {
        assertThat(actual.get(i).label()).isEqualTo(e.getValue().get(i).label());
      }
    }
  }

  /** The PNG images of the test folder as Spark's binaryFile source reads them. */
  private Dataset<Row> pngFiles() {
    return spark
        .read()
        .format("binaryFile")
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", "*.png")
        .load(images.toString());
  }

  /** The width and height columns of {@code rows} are those of the image file. */
  private static void assertImageSize(List<Row> rows, Path image) {
    BufferedImage img;
    try {
      img = ImageIO.read(image.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertThat(rows)
        .allSatisfy(
            r -> {
              assertThat(r.getInt(r.fieldIndex("width"))).isEqualTo(img.getWidth());
              assertThat(r.getInt(r.fieldIndex("height"))).isEqualTo(img.getHeight());
            });
  }

  private static List<Path> concat(List<Path> list, Path extra) {
    list.add(extra);
    return list;
  }

  /** Rows grouped by local image file, keeping their order within an image. */
  private static Map<Path, List<Row>> byImage(List<Row> rows) {
    Map<Path, List<Row>> m = new LinkedHashMap<>();
    for (Row r : rows) {
      Path p = Path.of(URI.create(r.getString(r.fieldIndex("image"))));
      m.computeIfAbsent(p, k -> new ArrayList<>()).add(r);
    }
    return m;
  }

  private static List<Detection> toDetections(List<Row> rows) {
    return rows.stream().map(OutputRows::toDetection).toList();
  }

  private static BufferedImage picture(int w, int h, long seed) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    Random r = new Random(seed);
    g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
    g.fillRect(0, 0, w, h);
    for (int i = 0; i < 10; i++) {
      g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
      g.fillOval(r.nextInt(w), r.nextInt(h), 20 + r.nextInt(w / 2), 20 + r.nextInt(h / 2));
    }
    g.dispose();
    return img;
  }
}
