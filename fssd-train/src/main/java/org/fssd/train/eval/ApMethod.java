package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * SPEC §10: how a precision/recall curve becomes an average precision, as in the published PASCAL
 * VOC evaluation code.
 *
 * <ul>
 *   <li>{@link #VOC07_11_POINT}: mean over the 11 recall thresholds {@code t = i * 0.1} (i = 0..10,
 *       computed in double exactly as {@code numpy.arange(0., 1.1, 0.1)} does, so the 4th threshold
 *       is {@code 0.30000000000000004} and a recall of exactly 3/10 does not reach it) of the
 *       maximum precision at recall {@code >= t}, 0 when no point reaches {@code t}.
 *   <li>{@link #VOC10_ALL_POINT}: the area under the precision envelope (precision made
 *       non-increasing from the right), summed over the points where recall changes, with the
 *       sentinels recall 0/1 and precision 0/0 at both ends.
 * </ul>
 */
public enum ApMethod {
  /** VOC2007 11-point interpolated AP. */
  VOC07_11_POINT {
    @Override
    double compute(double[] recall, double[] precision) {
      double ap = 0;
      for (int i = 0; i <= 10; i++) {
        double t = i * 0.1;
        double p = 0;
        boolean any = false;
        for (int k = 0; k < recall.length; k++) {
          if (recall[k] >= t) {
            p = any ? Math.max(p, precision[k]) : precision[k];
            any = true;
          }
        }
        ap += (any ? p : 0) / 11.0;
      }
      return ap;
    }
  },
  /** VOC2010+ all-point (area) AP. */
  VOC10_ALL_POINT {
    @Override
    double compute(double[] recall, double[] precision) {
      int n = recall.length;
      double[][] env = interpolated(recall, precision);
      double[] mrec = env[0];
      double[] mpre = env[1];
      double ap = 0;
      for (int i = 0; i < n + 1; i++) {
        if (mrec[i + 1] != mrec[i]) {
          ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
        }
      }
      return ap;
    }
  };

  /**
   * The AP of a curve whose points are in detection order (recall non-decreasing).
   *
   * @param recall recall after each detection
   * @param precision precision after each detection, same length
   * @return the AP in [0, 1]; 0 for an empty curve
   * @throws IllegalArgumentException when the lengths differ
   */
  public double ap(double[] recall, double[] precision) {
    checkArgument(
        recall.length == precision.length,
        "recall and precision must have the same length, got %s and %s",
        recall.length,
        precision.length);
    return compute(recall, precision);
  }

  /**
   * The interpolated curve that {@link #VOC10_ALL_POINT} integrates: {@code {mrec, mpre}} with
   * {@code mrec = [0, recall.., 1]}, {@code mpre = [0, precision.., 0]} made non-increasing from
   * the right ({@code mpre[i] = max(mpre[j], j >= i)}); the AP is the sum of {@code (mrec[i+1] -
   * mrec[i]) * mpre[i+1]}. Charts draw it as the precision envelope.
   *
   * @throws IllegalArgumentException when the lengths differ
   */
  public static double[][] interpolated(double[] recall, double[] precision) {
    checkArgument(
        recall.length == precision.length,
        "recall and precision must have the same length, got %s and %s",
        recall.length,
        precision.length);
    int n = recall.length;
    double[] mrec = new double[n + 2];
    double[] mpre = new double[n + 2];
    mrec[n + 1] = 1;
    System.arraycopy(recall, 0, mrec, 1, n);
    System.arraycopy(precision, 0, mpre, 1, n);
    for (int i = n + 1; i > 0; i--) {
      mpre[i - 1] = Math.max(mpre[i - 1], mpre[i]);
    }
    return new double[][] {mrec, mpre};
  }

  abstract double compute(double[] recall, double[] precision);
}
