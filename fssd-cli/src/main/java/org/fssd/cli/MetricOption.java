package org.fssd.cli;

import org.fssd.train.eval.ApMethod;
import picocli.CommandLine.Option;

/** {@code --metric voc07|voc10|coco}; default: 11-point for VOC2007, all-point otherwise. */
final class MetricOption {
  @Option(
      names = "--metric",
      description =
          "voc07 (11-point) | voc10 (all-point) | coco (the COCO AP@[.50:.95] summary; eval-detections: with --dataset coco and a COCO results JSON); default voc07 for 2007 and the shapes set, voc10 otherwise")
  String metric;

  /**
   * Whether {@code --metric coco} was given (the COCO evaluation; {@link #resolve} is then the
   * default).
   */
  boolean coco() {
    return metric != null && metric.equalsIgnoreCase("coco");
  }

  ApMethod resolve(DatasetOptions dataset) {
    if (metric == null || coco()) {
      boolean voc2007 =
          dataset.year == null
              ? dataset.vocSets.stream().allMatch(s -> s.startsWith("2007"))
              : dataset.year.equals("2007");
      boolean isVoc = dataset.kind == null || dataset.kind.equalsIgnoreCase("voc");
      return !isVoc || voc2007 ? ApMethod.VOC07_11_POINT : ApMethod.VOC10_ALL_POINT;
    }
    switch (metric.toLowerCase(java.util.Locale.ROOT)) {
      case "voc07":
        return ApMethod.VOC07_11_POINT;
      case "voc10":
        return ApMethod.VOC10_ALL_POINT;
      default:
        throw new IllegalArgumentException(
            "unknown --metric '" + metric + "' (expected voc07 or voc10)");
    }
  }
}
