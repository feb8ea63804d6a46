package org.fssd.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fssd.data.CocoDataset;
import org.fssd.data.DetectionDataset;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.io.pytorch.PyTorchImporter;
import org.fssd.train.eval.ApMethod;
import org.fssd.train.eval.CocoEvaluation;
import org.fssd.train.eval.CocoEvaluator;
import org.fssd.train.eval.CocoResult;
import org.fssd.train.eval.CocoResultsFile;
import org.fssd.train.eval.DetectorEvaluation;
import org.fssd.train.eval.EvalResult;
import org.fssd.train.eval.EvalTable;
import org.fssd.train.eval.VocResultFiles;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fssd eval}: VOC-protocol AP of a model on a dataset (SPEC §10), or with {@code --metric
 * coco} the COCO summary (on a COCO dataset the official evaluation with the file's own boxes,
 * areas and crowd flags, see {@link CocoEvaluation}); last line {@code mAP: 0.xxxx}.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description =
        "Evaluate a model (VOC protocol, SPEC 10): per-class AP and a last line 'mAP: 0.xxxx'.")
final class EvalCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  DetectCommand.ModelSource source;

  @Mixin ConfigOptions configOptions = new ConfigOptions();
  @Mixin DatasetOptions dataset = new DatasetOptions();
  @Mixin MetricOption metric = new MetricOption();

  @Option(
      names = "--threshold",
      defaultValue = "0.01",
      description = "score threshold (default: ${DEFAULT-VALUE}, as the reference)")
  float threshold;

  @Option(
      names = "--batch",
      defaultValue = "4",
      description = "images per forward pass (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--plots",
      description =
          "write PR curves per class and ap.png (with --metric coco: coco-iou.png and ap.png) and report.html here")
  Path plots;

  @Option(
      names = "--results",
      description =
          "also write VOC result files comp4_det_<set>_<class>.txt here; with --dataset coco --metric coco the COCO results JSON file ([{image_id, category_id, bbox: [x, y, w, h], score}], bbox = [x1, y1, x2 - x1 + 1, y2 - y1 + 1])")
  Path results;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    DetectionDataset ds = dataset.open();
    ApMethod method = metric.resolve(dataset);
    FssdDetector.Builder b = FssdDetector.builder().scoreThreshold(threshold);
    if (source.model != null) {
      b.model(source.model);
    } else {
      b.model(
          () -> PyTorchImporter.importModel(source.weights, configOptions.toConfig()),
          source.weights.toString());
    }
    boolean coco = metric.coco();
    Map<String, List<Detection>> collected = results != null || coco ? new LinkedHashMap<>() : null;
    EvalResult result;
    try (FssdDetector detector = b.build()) {
      if (!detector.labels().equals(ds.labels())) {
        throw new IllegalArgumentException(
            "the model's labels "
                + detector.labels()
                + " differ from the dataset's "
                + ds.labels());
      }
      var err = spec.commandLine().getErr();
      result =
          DetectorEvaluation.evaluate(
              detector,
              ds,
              method,
              batch,
              collected,
              done -> {
                if (done % 50 < batch || done == ds.size()) {
                  err.printf("\reval: %d/%d images", done, ds.size());
                  err.flush();
                }
              });
      err.println();
    }
    CocoDataset cocoSet = coco && ds instanceof CocoDataset c ? c : null;
    if (results != null && cocoSet != null) {
      CocoResultsFile.write(results, cocoSet, collected);
    } else if (results != null) {
      String set = dataset.imageSet != null ? dataset.imageSet : "test";
      VocResultFiles.write(results, set, ds.labels(), collected, VocResultFiles.Format.PUBLISHED);
    }
    CocoResult cocoResult = null;
    if (cocoSet != null) {
      cocoResult = CocoEvaluation.evaluateDetections(cocoSet, collected);
    } else if (coco) {
      CocoEvaluator ev = new CocoEvaluator(ds.labels());
      for (int i = 0; i < ds.size(); i++) {
        ev.add(ds.annotation(i), collected.get(ds.annotation(i).id()));
      }
      cocoResult = ev.result();
    }
    if (plots != null) {
      RunPictures pictures =
          new RunPictures(
              plots,
              "fssd eval",
              String.join(" ", spec.commandLine().getParseResult().originalArgs()));
      if (cocoResult != null) {
        pictures.coco(cocoResult, ds.labels());
      } else {
        pictures.evaluation(result);
      }
      pictures.report(null);
    }
    var o = spec.commandLine().getOut();
    o.println(cocoResult != null ? cocoResult.summary() : EvalTable.format(result));
    o.flush();
    return 0;
  }
}
