package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.Locale;

/**
 * SPEC §10: a snapshot of a VOC evaluation: the {@link ApMethod}, one {@link ClassAp} per object
 * class (labels 1..C-1, in label order) and the mAP.
 *
 * <p><b>mAP</b> is the mean AP over the classes that have positives; classes without positives (AP
 * NaN) are left out, and the mAP is NaN when no class has a positive. On VOC2007 test every class
 * has positives, so this is the mean over the 20 classes of SPEC §10.
 *
 * <p>Immutable and thread-safe.
 */
public final class EvalResult {
  private final ApMethod method;
  private final ImmutableList<ClassAp> classes;
  private final int images;
  private final double map;

  EvalResult(ApMethod method, List<ClassAp> classes, int images) {
    this.method = checkNotNull(method, "method");
    this.classes = ImmutableList.copyOf(classes);
    this.images = images;
    double sum = 0;
    int n = 0;
    for (ClassAp c : classes) {
      if (c.hasPositives()) {
        sum += c.ap();
        n++;
      }
    }
    this.map = n == 0 ? Double.NaN : sum / n;
  }

  /** How the APs were computed. */
  public ApMethod method() {
    return method;
  }

  /** One entry per object class, in label order (index 0 holds label 1). */
  public List<ClassAp> classes() {
    return classes;
  }

  /**
   * The entry of one class.
   *
   * @throws IllegalArgumentException when the label is not in 1..C-1
   */
  public ClassAp classAp(int classIndex) {
    checkArgument(
        classIndex >= 1 && classIndex <= classes.size(),
        "classIndex must be in 1..%s, got %s",
        classes.size(),
        classIndex);
    return classes.get(classIndex - 1);
  }

  /** AP of one class (NaN when it has no positives). */
  public double ap(int classIndex) {
    return classAp(classIndex).ap();
  }

  /** Mean AP over the classes with positives; NaN when none has. */
  public double map() {
    return map;
  }

  /** Number of images evaluated. */
  public int images() {
    return images;
  }

  /** The per-class table of {@link EvalTable#format(EvalResult)}. */
  public String toTable() {
    return EvalTable.format(this);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "EvalResult{%s, images=%d, classes=%d, mAP=%.4f}",
        method,
        images,
        classes.size(),
        map);
  }
}
