package org.fssd.data.augment;

import java.util.SplittableRandom;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

/**
 * SPEC §8 step 1, random crop. Skipped when the image has no boxes. Picks uniformly one of {none,
 * min IoU 0.1, 0.3, 0.5, 0.7, 0.9, any}; "none" keeps the image. Otherwise up to 50 tries: {@code
 * scale ~ U(0.3, 1)}, {@code ratio = sqrt(U(max(0.5, scale^2), min(2, 1/scale^2)))}, {@code w =
 * int(scale * ratio * W)}, {@code h = int(scale / ratio * H)}, top-left uniform in {@code [0, W -
 * w) x [0, H - h)}; the crop is accepted when every box's IoU with it (continuous, no +1) is at
 * least the mode's minimum; boxes whose centre lies strictly inside the crop are kept and clipped
 * to it; a try that keeps no box is retried. After 50 failed tries a new mode is drawn.
 *
 * <p>Stateless and thread-safe.
 */
public final class RandomIoUCrop {
  private static final double[] MODES = {
    Double.NaN, 0.1, 0.3, 0.5, 0.7, 0.9, Double.NEGATIVE_INFINITY
  };

  /** Applies the step to {@code s}. */
  public void apply(AugmentedImage s, SplittableRandom r) {
    if (s.count() == 0) {
      return;
    }
    int width = s.width();
    int height = s.height();
    float[] boxes = s.boxes();
    int n = s.count();
    while (true) {
      double minIou = MODES[r.nextInt(MODES.length)];
      if (Double.isNaN(minIou)) {
        return;
      }
      for (int attempt = 0; attempt < 50; attempt++) {
        double scale = Rng.uniform(r, 0.3, 1.0);
        double minRatio = Math.max(0.5, scale * scale);
        double maxRatio = Math.min(2.0, 1.0 / scale / scale);
        double ratio = Math.sqrt(Rng.uniform(r, minRatio, maxRatio));
        int w = (int) (scale * ratio * width);
        int h = (int) (scale / ratio * height);
        int l = r.nextInt(Math.max(1, width - w));
        int t = r.nextInt(Math.max(1, height - h));
        if (w < 1 || h < 1) {
          continue;
        }
        float rx1 = l;
        float ry1 = t;
        float rx2 = l + w;
        float ry2 = t + h;
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
          min = Math.min(min, iou(boxes, 4 * i, rx1, ry1, rx2, ry2));
        }
        if (!(minIou <= min)) {
          continue;
        }
        int kept = 0;
        float[] nb = new float[4 * n];
        int[] nl = new int[n];
        for (int i = 0; i < n; i++) {
          float cx = (boxes[4 * i] + boxes[4 * i + 2]) / 2f;
          float cy = (boxes[4 * i + 1] + boxes[4 * i + 3]) / 2f;
          if (rx1 < cx && cx < rx2 && ry1 < cy && cy < ry2) {
            nb[4 * kept] = Math.max(boxes[4 * i], rx1) - rx1;
            nb[4 * kept + 1] = Math.max(boxes[4 * i + 1], ry1) - ry1;
            nb[4 * kept + 2] = Math.min(boxes[4 * i + 2], rx2) - rx1;
            nb[4 * kept + 3] = Math.min(boxes[4 * i + 3], ry2) - ry1;
            nl[kept] = s.labels()[i];
            kept++;
          }
        }
        if (kept == 0) {
          continue;
        }
        Mat cropped;
        try (Rect roi = new Rect(l, t, w, h);
            Mat view = new Mat(s.image(), roi)) {
          cropped = view.clone();
        }
        s.replaceImage(cropped);
        s.setBoxes(java.util.Arrays.copyOf(nb, 4 * kept), java.util.Arrays.copyOf(nl, kept));
        return;
      }
    }
  }

  /** Continuous IoU of box {@code b[o..o+3]} with the crop (double, like numpy). */
  static double iou(float[] b, int o, float x1, float y1, float x2, float y2) {
    double iw = Math.max(0, Math.min(b[o + 2], x2) - (double) Math.max(b[o], x1));
    double ih = Math.max(0, Math.min(b[o + 3], y2) - (double) Math.max(b[o + 1], y1));
    double inter = iw * ih;
    double a = ((double) b[o + 2] - b[o]) * ((double) b[o + 3] - b[o + 1]);
    double c = ((double) x2 - x1) * ((double) y2 - y1);
    double union = a + c - inter;
    return union > 0 ? inter / union : 0;
  }
}
