package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Locale;
import org.fssd.model.Labels;

/**
 * SPEC §10: the twelve numbers of the official COCO bbox summary and the AP of each class. A number
 * that is undefined (no class with a non-ignored object in that area range; the official code
 * prints -1) is NaN here.
 *
 * <p>Immutable and thread-safe.
 */
public final class CocoResult {
  private final Labels labels;
  private final double[] stats;
  private final double[] classAp;
  private final int images;
  private final double[] apPerIou;

  CocoResult(Labels labels, double[] stats, double[] classAp, int images, double[] apPerIou) {
    checkArgument(stats.length == 12, "12 stats expected, got %s", stats.length);
    checkArgument(
        apPerIou.length == CocoEvaluator.T,
        "%s IoU thresholds expected, got %s",
        CocoEvaluator.T,
        apPerIou.length);
    this.apPerIou = apPerIou.clone();
    this.labels = checkNotNull(labels, "labels");
    this.stats = stats.clone();
    this.classAp = classAp.clone();
    this.images = images;
  }

  /** AP averaged over IoU 0.50:0.05:0.95, all areas, 100 detections. */
  public double ap() {
    return stats[0];
  }

  /** AP at IoU 0.50. */
  public double ap50() {
    return stats[1];
  }

  /** AP at IoU 0.75. */
  public double ap75() {
    return stats[2];
  }

  /** AP for small objects (area below 32²). */
  public double apSmall() {
    return stats[3];
  }

  /** AP for medium objects (area 32² to 96²). */
  public double apMedium() {
    return stats[4];
  }

  /** AP for large objects (area above 96²). */
  public double apLarge() {
    return stats[5];
  }

  /** AR with at most 1 detection per image and class. */
  public double ar1() {
    return stats[6];
  }

  /** AR with at most 10 detections per image and class. */
  public double ar10() {
    return stats[7];
  }

  /** AR with at most 100 detections per image and class. */
  public double ar100() {
    return stats[8];
  }

  /** AR for small objects. */
  public double arSmall() {
    return stats[9];
  }

  /** AR for medium objects. */
  public double arMedium() {
    return stats[10];
  }

  /** AR for large objects. */
  public double arLarge() {
    return stats[11];
  }

  /**
   * AP (all areas, 100 detections) at each IoU threshold of {@link CocoEvaluator#iouThresholds()}
   * (0.50, 0.55, .., 0.95), averaged over the classes with objects: element 0 is {@link #ap50()},
   * element 5 {@link #ap75()}, and their mean is {@link #ap()}. NaN where no class has an object. A
   * copy.
   */
  public double[] apPerIou() {
    return apPerIou.clone();
  }

  /** The twelve numbers in the order of the official {@code COCOeval.stats} (a copy). */
  public double[] stats() {
    return stats.clone();
  }

  /** AP@[.5:.95] of one class (NaN when it has no non-ignored object). */
  public double classAp(int classIndex) {
    checkArgument(
        classIndex >= 1 && classIndex <= classAp.length,
        "classIndex must be in 1..%s, got %s",
        classAp.length,
        classIndex);
    return classAp[classIndex - 1];
  }

  /** Number of images evaluated. */
  public int images() {
    return images;
  }

  /**
   * The official summary lines, the per-class AP@[.5:.95] table, and a last line {@code mAP:
   * 0.xxxx} holding {@link #ap()}.
   */
  public String summary() {
    String[] names = {
      "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
      "Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]",
      "Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ]",
      "Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
      "Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
      "Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
      "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ]",
      "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ]",
      "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
      "Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
      "Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
      "Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]"
    };
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      sb.append(' ').append(names[i]).append(" = ").append(EvalTable.fmt(stats[i])).append('\n');
    }
    int w = "class".length();
    for (int k = 1; k < labels.numClasses(); k++) {
      w = Math.max(w, labels.name(k).length());
    }
    sb.append(String.format(Locale.ROOT, "%-" + w + "s  %8s\n", "class", "AP"));
    for (int k = 1; k < labels.numClasses(); k++) {
      sb.append(
          String.format(
              Locale.ROOT, "%-" + w + "s  %8s\n", labels.name(k), EvalTable.fmt(classAp[k - 1])));
    }
    sb.append("mAP: ").append(EvalTable.fmt(stats[0]));
    return sb.toString();
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "CocoResult{images=%d, AP=%.4f, AP50=%.4f, AP75=%.4f}",
        images,
        stats[0],
        stats[1],
        stats[2]);
  }
}
