package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Locale;

/**
 * SPEC §10: the evaluation of one class: counts, the precision/recall curve (one point per counted
 * detection, in descending score order; ignored detections are left out, which changes no AP) and
 * the AP.
 *
 * <p>A class without positives (no non-difficult ground truth) has AP {@code NaN} ("undefined"; the
 * published code gives NaN for the all-point AP and 0 for the 11-point AP there), its recall points
 * are NaN, and {@link EvalResult#map()} leaves it out.
 *
 * <p>Immutable; the array accessors return copies.
 */
public final class ClassAp {
  private final int classIndex;
  private final String name;
  private final int positives;
  private final int truePositives;
  private final int falsePositives;
  private final int ignored;
  private final double ap;
  private final double[] recall;
  private final double[] precision;

  ClassAp(
      int classIndex,
      String name,
      int positives,
      int truePositives,
      int falsePositives,
      int ignored,
      double ap,
      double[] recall,
      double[] precision) {
    checkArgument(
        recall.length == precision.length,
        "curve lengths differ: %s vs %s",
        recall.length,
        precision.length);
    this.classIndex = classIndex;
    this.name = checkNotNull(name, "name");
    this.positives = positives;
    this.truePositives = truePositives;
    this.falsePositives = falsePositives;
    this.ignored = ignored;
    this.ap = ap;
    this.recall = recall.clone();
    this.precision = precision.clone();
  }

  /** Class label, 1..C-1. */
  public int classIndex() {
    return classIndex;
  }

  /** Class name. */
  public String name() {
    return name;
  }

  /** Number of non-difficult ground-truth objects. */
  public int positives() {
    return positives;
  }

  /** Whether the class has at least one positive (otherwise its AP is NaN). */
  public boolean hasPositives() {
    return positives > 0;
  }

  /** Detections that counted as true positives. */
  public int truePositives() {
    return truePositives;
  }

  /** Detections that counted as false positives. */
  public int falsePositives() {
    return falsePositives;
  }

  /** Detections ignored because their best match was a difficult (or crowd) object. */
  public int ignored() {
    return ignored;
  }

  /** All detections of the class (TP + FP + ignored). */
  public int detections() {
    return truePositives + falsePositives + ignored;
  }

  /** The AP in [0, 1], or NaN when the class has no positives. */
  public double ap() {
    return ap;
  }

  /** Recall after each counted detection (a copy). */
  public double[] recall() {
    return recall.clone();
  }

  /** Precision after each counted detection (a copy). */
  public double[] precision() {
    return precision.clone();
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "ClassAp{%d %s, ap=%.4f, positives=%d, tp=%d, fp=%d, " + "ignored=%d}",
        classIndex,
        name,
        ap,
        positives,
        truePositives,
        falsePositives,
        ignored);
  }
}
