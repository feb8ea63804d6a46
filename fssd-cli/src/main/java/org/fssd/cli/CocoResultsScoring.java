package org.fssd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.fssd.data.CocoDataset;
import org.fssd.data.DetectionDataset;
import org.fssd.train.eval.CocoEvaluation;
import org.fssd.train.eval.CocoResult;
import org.fssd.train.eval.CocoResultsFile;

/**
 * The COCO paths of {@code fssd eval} and {@code fssd eval-detections}: the standard COCO results
 * JSON (see {@link CocoResultsFile}) and the official bbox evaluation of a COCO dataset.
 */
final class CocoResultsScoring {
  private CocoResultsScoring() {}

  /** The dataset as a COCO dataset, or an error naming the option that is wrong. */
  static CocoDataset requireCoco(DetectionDataset ds, String command) {
    if (!(ds instanceof CocoDataset coco)) {
      throw new IllegalArgumentException(
          command
              + " --metric coco with a results JSON needs "
              + "--dataset coco (--coco-json, --coco-images), got "
              + ds.name());
    }
    return coco;
  }

  /** Scores a COCO results file against {@code coco}; reports skipped detections on {@code err}. */
  static CocoResult score(CocoDataset coco, Path results, PrintWriter err) {
    CocoResultsFile.Contents c = CocoResultsFile.read(results, coco);
    if (c.unknownCategory() > 0) {
      err.printf(
          "eval-detections: %d detections with a category_id not in %s were ignored "
              + "(as by the official evaluation)%n",
          c.unknownCategory(), coco.name());
      err.flush();
    }
    return CocoEvaluation.evaluate(coco, c.byImage());
  }
}
