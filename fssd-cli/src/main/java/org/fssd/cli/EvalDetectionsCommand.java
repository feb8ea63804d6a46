package org.fssd.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fssd.data.CocoDataset;
import org.fssd.data.DetectionDataset;
import org.fssd.train.eval.CocoResult;
import org.fssd.train.eval.EvalResult;
import org.fssd.train.eval.EvalTable;
import org.fssd.train.eval.VocEvaluation;
import org.fssd.train.eval.VocResultFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fssd eval-detections}: scores VOC-format result files from any detector (SPEC §10), line
 * for line as the published {@code voc_eval} does: a box with swapped corners ({@code x1 > x2} or
 * {@code y1 > y2}) is scored with the reference's formula (see {@code VocMatcher}) and reported in
 * one warning on stderr with the count and the first {@code file:line}. With {@code --dataset coco
 * --metric coco} it scores a COCO results JSON against a COCO instances file instead.
 */
@Command(
    name = "eval-detections",
    mixinStandardHelpOptions = true,
    description =
        "Score VOC result files (comp4_det_<set>_<class>.txt) against a VOC set, or (--dataset coco --metric coco) a COCO results JSON with the official COCO evaluation; last line 'mAP: 0.xxxx'.")
final class EvalDetectionsCommand implements Callable<Integer> {
  @Mixin DatasetOptions dataset = new DatasetOptions();
  @Mixin MetricOption metric = new MetricOption();

  @Option(
      names = "--results",
      required = true,
      description =
          "folder holding comp4_det_<set>_<class>.txt; with --metric coco a COCO results JSON file ([{image_id, category_id, bbox: [x, y, w, h], score}])")
  Path results;

  @Option(names = "--plots", description = "write PR curves per class, ap.png and report.html here")
  Path plots;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if (metric.coco()) {
      return callCoco();
    }
    DetectionDataset ds = dataset.open();
    String set = dataset.imageSet != null ? dataset.imageSet : "test";
    VocResultFiles.Read read = VocResultFiles.readFiles(results, set, ds.labels());
    if (read.warning() != null) {
      // one line, not one per detection: the reference scores these lines, so this is a notice
      spec.commandLine().getErr().println("eval-detections: warning: " + read.warning());
      spec.commandLine().getErr().flush();
    }
    EvalResult result = VocEvaluation.evaluate(ds, read.detections(), metric.resolve(dataset));
    if (plots != null) {
      RunPictures pictures = pictures();
      pictures.evaluation(result);
      pictures.report(null);
    }
    var o = spec.commandLine().getOut();
    o.println(EvalTable.format(result));
    o.flush();
    return 0;
  }

  /** {@code --metric coco}: {@code --results} is a COCO results JSON scored against a COCO set. */
  private int callCoco() {
    CocoDataset coco = CocoResultsScoring.requireCoco(dataset.open(), "eval-detections");
    CocoResult result = CocoResultsScoring.score(coco, results, spec.commandLine().getErr());
    if (plots != null) {
      RunPictures pictures = pictures();
      pictures.coco(result, coco.labels());
      pictures.report(null);
    }
    var o = spec.commandLine().getOut();
    o.println(result.summary());
    o.flush();
    return 0;
  }

  /** The pictures of this run in {@code --plots}, with the command line that made them. */
  private RunPictures pictures() {
    return new RunPictures(
        plots,
        "fssd eval-detections",
        String.join(" ", spec.commandLine().getParseResult().originalArgs()));
  }
}
