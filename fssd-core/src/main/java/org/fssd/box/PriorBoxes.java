package org.fssd.box;

import static com.google.common.base.Preconditions.checkNotNull;

/**
 * SPEC §3: generates the prior (default) boxes of a {@link PriorConfig}, in centre-size form,
 * relative to the S x S network input.
 *
 * <p>Layout: a flat {@code float[P * 4]} of {@code (cx, cy, w, h)} quadruples. Priors are ordered
 * level k, then row i, then column j (row-major), then box a within the cell:
 *
 * <ol>
 *   <li>a = 0: {@code (cx, cy, s, s)} with {@code s = min_k / S};
 *   <li>a = 1: {@code (cx, cy, s', s')} with {@code s' = sqrt(s * (max_k / S))};
 *   <li>then for each ratio r of level k: {@code (cx, cy, s*sqrt(r), s/sqrt(r))} followed by {@code
 *       (cx, cy, s/sqrt(r), s*sqrt(r))};
 * </ol>
 *
 * where {@code f = S / step_k}, {@code cx = (j + 0.5) / f} and {@code cy = (i + 0.5) / f}. So the
 * prior of cell (i, j), box a of level k starts at float index {@code 4 * (offset_k + (i * f_k + j)
 * * A_k + a)}, with {@code offset_k = }{@link PriorConfig#levelOffset(int)} and {@code A_k =
 * }{@link PriorConfig#priorsPerLocation(int)}; this is the order of the network's loc/conf heads
 * (SPEC §2.5).
 *
 * <p>Every number is computed in double, like the reference's Python code, converted to float, and,
 * when {@link PriorConfig#clip()}, clamped to [0, 1] (each number of the centre-size form, as the
 * reference does). Stateless and thread-safe.
 */
public final class PriorBoxes {
  private PriorBoxes() {}

  /**
   * The priors of {@code config} as a new {@code float[numPriors * 4]} of {@code (cx, cy, w, h)}.
   */
  public static float[] generate(PriorConfig config) {
    checkNotNull(config, "config");
    float[] out = new float[config.numPriors() * 4];
    double size = config.imageSize();
    int[] featureMaps = config.featureMaps();
    double[] steps = config.steps();
    double[] minSizes = config.minSizes();
    double[] maxSizes = config.maxSizes();
    int[][] ratios = config.aspectRatios();
    boolean clip = config.clip();
    int p = 0;
    for (int k = 0; k < featureMaps.length; k++) {
      double f = size / steps[k];
      double s = minSizes[k] / size;
      double sPrime = Math.sqrt(s * (maxSizes[k] / size));
      double[] wide = new double[ratios[k].length];
      double[] tall = new double[ratios[k].length];
      for (int r = 0; r < ratios[k].length; r++) {
        double sq = Math.sqrt(ratios[k][r]);
        wide[r] = s * sq;
        tall[r] = s / sq;
      }
      for (int i = 0; i < featureMaps[k]; i++) {
        double cy = (i + 0.5) / f;
        for (int j = 0; j < featureMaps[k]; j++) {
          double cx = (j + 0.5) / f;
          p = put(out, p, cx, cy, s, s, clip);
          p = put(out, p, cx, cy, sPrime, sPrime, clip);
          for (int r = 0; r < wide.length; r++) {
            p = put(out, p, cx, cy, wide[r], tall[r], clip);
            p = put(out, p, cx, cy, tall[r], wide[r], clip);
          }
        }
      }
    }
    assert p == out.length;
    return out;
  }

  private static int put(
      float[] out, int p, double cx, double cy, double w, double h, boolean clip) {
    out[p] = value(cx, clip);
    out[p + 1] = value(cy, clip);
    out[p + 2] = value(w, clip);
    out[p + 3] = value(h, clip);
    return p + 4;
  }

  private static float value(double v, boolean clip) {
    float f = (float) v;
    return clip ? Math.min(1f, Math.max(0f, f)) : f;
  }
}
