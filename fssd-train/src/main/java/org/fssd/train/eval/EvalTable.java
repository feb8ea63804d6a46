package org.fssd.train.eval;

import java.util.Locale;

/**
 * SPEC §10: plain-text report of an {@link EvalResult}: one row per class (name, AP, positives,
 * detections, TP, FP), then a last line {@code mAP: 0.xxxx} (4 decimals; {@code mAP: n/a} when no
 * class has positives). Classes without positives show {@code n/a} as AP.
 */
public final class EvalTable {
  private EvalTable() {}

  /** The table, lines separated by {@code \n}, ending with the mAP line (no trailing newline). */
  public static String format(EvalResult result) {
    int w = "class".length();
    for (ClassAp c : result.classes()) {
      w = Math.max(w, c.name().length());
    }
    StringBuilder sb = new StringBuilder();
    String row = "%-" + w + "s  %8s  %9s  %10s  %8s  %8s%n";
    sb.append(
        String.format(Locale.ROOT, row, "class", "AP", "positives", "detections", "TP", "FP"));
    for (ClassAp c : result.classes()) {
      sb.append(
          String.format(
              Locale.ROOT,
              row,
              c.name(),
              fmt(c.ap()),
              c.positives(),
              c.detections(),
              c.truePositives(),
              c.falsePositives()));
    }
    sb.append(String.format(Locale.ROOT, "(%s, %d images)%n", result.method(), result.images()));
    sb.append("mAP: ").append(fmt(result.map()));
    return sb.toString().replace(System.lineSeparator(), "\n");
  }

  /** A value with 4 decimals, or {@code n/a} for NaN. */
  static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
  }
}
