package org.fssd.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fssd.data.CocoDataset;
import org.fssd.data.DetectionDataset;
import org.fssd.train.eval.CocoResult;
import org.fssd.train.eval.EvalResult;
import org.fssd.train.eval.EvalTable;
import org.fssd.train.eval.VocEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code fssd eval-detections}: scores VOC-format result files from any detector (SPEC §10), or
 * with {@code --metric coco} a COCO results JSON against a COCO instances file.
 */
@Command(name = "eval-detections", mixinStandardHelpOptions = true,
    description = "Score VOC result files (comp4_det_<set>_<class>.txt) against a VOC set, or (--dataset coco --metric coco) a COCO results JSON with the official COCO evaluation; last line 'mAP: 0.xxxx'.")
final class EvalDetectionsCommand implements Callable<Integer> {
  @Mixin DatasetOptions dataset = new DatasetOptions();
  @Mixin MetricOption metric = new MetricOption();

  @Option(names = "--results", required = true, description = "folder holding comp4_det_<set>_<class>.txt; with --metric coco a COCO results JSON file ([{image_id, category_id, bbox: [x, y, w, h], score}])")
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
    EvalResult result = VocEvaluation.evaluateFiles(ds, results, set, metric.resolve(dataset));
    if (plots != null) {
      RunPictures pictures = new RunPictures(plots, "fssd eval-detections", String.join(" ", spec.commandLine().getParseResult().originalArgs()));
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
      RunPictures pictures = new RunPictures(plots, "fssd eval-detections", String.join(" ", spec.commandLine().getParseResult().originalArgs()));
      pictures.coco(result, coco.labels());
      pictures.report(null);
    }
    var o = spec.commandLine().getOut();
    o.println(result.summary());
    o.flush();
    return 0;
  }
}
