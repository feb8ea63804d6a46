package org.fssd.train.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.fssd.data.DetectionDataset;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.image.BgrImage;

/**
 * SPEC §10: runs a detector over a dataset and scores it with the VOC protocol. The detector should
 * use the evaluation score threshold 0.01. Images are run in batches of {@code batchSize}; their
 * detections can also be collected for result files.
 */
public final class DetectorEvaluation {
  private DetectorEvaluation() {}

  /**
   * Evaluates {@code detector} on every image of {@code dataset}.
   *
   * @param collect if not null, receives (dataset image id -> detections) for result files
   * @param progress if not null, called with the number of images done after each batch
   */
  public static EvalResult evaluate(
      FssdDetector detector,
      DetectionDataset dataset,
      ApMethod method,
      int batchSize,
      Map<String, List<Detection>> collect,
      IntConsumer progress) {
    Objects.requireNonNull(detector, "detector");
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(method, "method");
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
    ApAccumulator acc = new ApAccumulator(dataset.labels());
    int n = dataset.size();
    for (int start = 0; start < n; start += batchSize) {
      int end = Math.min(n, start + batchSize);
      List<BgrImage> images = new ArrayList<>(end - start);
      try {
        for (int i = start; i < end; i++) {
          images.add(dataset.loadImage(i));
        }
        List<List<Detection>> found = detector.detectBatch(images);
        for (int i = start; i < end; i++) {
          acc.add(dataset.annotation(i), found.get(i - start));
          if (collect != null) {
            collect.put(dataset.annotation(i).id(), found.get(i - start));
          }
        }
      } finally {
        images.forEach(BgrImage::close);
      }
      if (progress != null) {
        progress.accept(end);
      }
    }
    return acc.result(method);
  }
}
