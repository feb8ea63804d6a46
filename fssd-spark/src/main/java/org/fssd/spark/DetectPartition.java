package org.fssd.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.image.BgrImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task body: turns a partition of (path, content) rows into detection rows, {@link
 * DetectOptions#batchSize()} images per forward pass, lazily (one batch in memory at a time). A
 * failure on one image (undecodable, too large, no content) becomes one error row; the partition
 * goes on.
 */
final class DetectPartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(DetectPartition.class);

  private final Broadcast<byte[]> model;
  private final String modelSha256;
  private final DetectOptions options;

  DetectPartition(Broadcast<byte[]> model, String modelSha256, DetectOptions options) {
    this.model = model;
    this.modelSha256 = modelSha256;
    this.options = options;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    return new Iterator<>() {
      private final ArrayDeque<Row> pending = new ArrayDeque<>();
      private FssdDetector detector;

      @Override
      public boolean hasNext() {
        while (pending.isEmpty() && input.hasNext()) {
          List<Row> batch = new ArrayList<>(options.batchSize());
          while (batch.size() < options.batchSize() && input.hasNext()) {
            batch.add(input.next());
          }
          if (detector == null) {
            detector = ExecutorDetectors.get(modelSha256, model::value, options);
          }
          detectBatch(detector, batch, pending);
        }
        return !pending.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return pending.poll();
      }
    };
  }

  /**
   * Appends the rows for {@code batch} (input rows: path, content) to {@code out}, in input order.
   */
  static void detectBatch(FssdDetector detector, List<Row> batch, ArrayDeque<Row> out) {
    int n = batch.size();
    String[] paths = new String[n];
    BgrImage[] images = new BgrImage[n];
    String[] errors = new String[n];
    int[] widths = new int[n];
    int[] heights = new int[n];
    List<List<Detection>> results = new ArrayList<>(n);
    try {
      List<BgrImage> decoded = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Row row = batch.get(i);
        paths[i] = row.isNullAt(0) ? null : row.getString(0);
        byte[] content = row.isNullAt(1) ? null : (byte[]) row.get(1);
        if (content == null) {
          errors[i] = "no content for image " + paths[i];
          continue;
        }
        try {
          images[i] = detector.imageLoader().load(content, String.valueOf(paths[i]));
          widths[i] = images[i].width();
          heights[i] = images[i].height();
          decoded.add(images[i]);
        } catch (RuntimeException e) {
          errors[i] = message(e);
        }
      }
      List<List<Detection>> found = runBatch(detector, decoded, paths, images, errors);
      int k = 0;
      for (int i = 0; i < n; i++) {
        results.add(images[i] != null && errors[i] == null ? found.get(k) : null);
        if (images[i] != null) {
          k++;
        }
      }
    } finally {
      for (BgrImage img : images) {
        if (img != null) {
          img.close();
        }
      }
    }
    for (int i = 0; i < n; i++) {
      if (errors[i] != null) {
        LOG.warn("fssd-spark: image {} failed: {}", paths[i], errors[i]);
        out.add(OutputRows.error(paths[i], errors[i]));
        continue;
      }
      for (Detection d : results.get(i)) {
        out.add(OutputRows.detection(paths[i], d, widths[i], heights[i]));
      }
    }
  }

  /**
   * One forward pass over the decoded images; should it fail as a whole, the images run one by one
   * so the failure lands on the image at fault. Returns one list per decoded image (in order); an
   * image that failed alone gets its error recorded and an empty list.
   */
  private static List<List<Detection>> runBatch(
      FssdDetector detector,
      List<BgrImage> decoded,
      String[] paths,
      BgrImage[] images,
      String[] errors) {
    if (decoded.isEmpty()) {
      return List.of();
    }
    try {
      return detector.detectBatch(decoded);
    } catch (RuntimeException batchFailure) {
      LOG.warn(
          "fssd-spark: a batch of {} images failed ({}); retrying one by one",
          decoded.size(),
          batchFailure.toString());
    }
    List<List<Detection>> found = new ArrayList<>(decoded.size());
    for (int i = 0; i < images.length; i++) {
      if (images[i] == null) {
        continue;
      }
      try {
        found.add(detector.detect(images[i]));
      } catch (RuntimeException e) {
        errors[i] = message(e);
        found.add(List.of());
      }
    }
    return found;
  }

  private static String message(RuntimeException e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getName() : m;
  }
}
