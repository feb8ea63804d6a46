package org.fssd.data.target;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import org.fssd.box.BoxCoder;
import org.fssd.box.PriorBoxes;
import org.fssd.box.PriorConfig;

/**
 * SPEC §5: matches the ground-truth boxes of one image to the priors and encodes the training
 * targets, exactly as the reference's {@code match}:
 *
 * <ol>
 *   <li>IoU (continuous, no +1, float32: {@code inter / (areaGt + areaPrior - inter)}) between
 *       every ground truth (point form, relative) and every prior in point form {@code (cx - w/2,
 *       cy - h/2, cx + w/2, cy + h/2)};
 *   <li>for each prior its best ground truth (the first on ties); for each ground truth its best
 *       prior (the first on ties);
 *   <li>each ground truth's best prior gets overlap 2 and that ground truth, ground truths taken in
 *       order so a later one wins a shared prior;
 *   <li>priors with overlap {@code < threshold} (0.5) get class 0; the others the label of their
 *       ground truth (so exactly 0.5 is positive);
 *   <li>every prior's loc target is its ground truth encoded with {@link BoxCoder} (background
 *       priors too, as in the reference; the loss ignores them). An image without ground truth
 *       gives all-zero targets.
 * </ol>
 *
 * A pair whose union is 0 has IoU 0 (the reference would produce NaN). The work is a loop over
 * ground truths x priors on primitive arrays; one call allocates only its outputs (or nothing with
 * {@link #match(float[], int[], int, float[], int, int[], int)}).
 *
 * <p><b>Per-box weights</b> (Mixup): {@link #match(float[], int[], float[])} and {@link
 * #match(float[], int[], float[], int, float[], int, int[], int, float[], int)} also give every
 * positive prior the weight of its matched ground truth (background priors 1); matching itself does
 * not depend on the weights.
 *
 * <p>Immutable and thread-safe.
 */
public final class PriorMatcher {
  private final float[] priors; // centre-size
  private final float[] pointForm;
  private final int numPriors;
  private final float threshold;
  private final BoxCoder coder;

  /**
   * A matcher for {@code priors} (centre-size, 4 floats each).
   *
   * @param threshold the IoU below which a prior is background (0.5 in the reference)
   * @param variances {@code {v0, v1}}
   */
  public PriorMatcher(float[] priors, float threshold, double[] variances) {
    checkNotNull(priors, "priors");
    checkArgument(
        priors.length > 0 && priors.length % 4 == 0,
        "priors must hold 4 floats per prior, got %s floats",
        priors.length);
    checkArgument(
        threshold > 0 && threshold <= 1, "threshold must be in (0, 1], got %s", threshold);
    checkArgument(variances != null && variances.length == 2, "variances must be {v0, v1}");
    this.priors = priors.clone();
    this.numPriors = priors.length / 4;
    this.threshold = threshold;
    this.coder = new BoxCoder(variances[0], variances[1]);
    this.pointForm = new float[priors.length];
    for (int p = 0; p < priors.length; p += 4) {
      float cx = priors[p];
      float cy = priors[p + 1];
      float w = priors[p + 2];
      float h = priors[p + 3];
      pointForm[p] = cx - w / 2f;
      pointForm[p + 1] = cy - h / 2f;
      pointForm[p + 2] = cx + w / 2f;
      pointForm[p + 3] = cy + h / 2f;
    }
  }

  /** The reference matcher for a prior configuration: threshold 0.5, its variances. */
  public static PriorMatcher of(PriorConfig config) {
    return new PriorMatcher(PriorBoxes.generate(config), 0.5f, config.variances());
  }

  /** Number of priors P. */
  public int numPriors() {
    return numPriors;
  }

  /**
   * The pure function of SPEC §5: targets of one image.
   *
   * @param gt ground-truth boxes, relative point form, 4 floats each
   * @param labels their labels 1..C-1
   * @param priors priors, centre-size, 4 floats each
   * @param threshold background threshold (0.5)
   * @param variances {@code {v0, v1}}
   */
  public static Targets match(
      float[] gt, int[] labels, float[] priors, float threshold, double[] variances) {
    return new PriorMatcher(priors, threshold, variances).match(gt, labels);
  }

  /** Targets of one image: loc {@code float[P * 4]}, classes {@code int[P]}. */
  public Targets match(float[] gt, int[] labels) {
    float[] loc = new float[numPriors * 4];
    int[] conf = new int[numPriors];
    match(gt, labels, labels.length, loc, 0, conf, 0);
    return new Targets(loc, conf);
  }

  /**
   * Targets of one image with per-box weights (e.g. Mixup's): loc, classes and, per prior, the
   * weight of the ground truth it is matched to (1 for background priors).
   *
   * @param weights one weight per ground truth, {@code labels.length} floats
   */
  public Targets match(float[] gt, int[] labels, float[] weights) {
    float[] loc = new float[numPriors * 4];
    int[] conf = new int[numPriors];
    float[] w = new float[numPriors];
    match(gt, labels, weights, labels.length, loc, 0, conf, 0, w, 0);
    return new Targets(loc, conf, w);
  }

  /**
   * Writes the targets of one image into caller arrays (allocation-free apart from two scratch
   * arrays of P elements).
   *
   * @param gt ground-truth boxes, relative point form, at least {@code 4 * count} floats
   * @param labels at least {@code count} labels in 1..C-1
   * @param count number of ground truths (0 gives all-zero targets)
   * @param loc receives {@code P * 4} floats from {@code locOffset}
   * @param conf receives {@code P} class indices from {@code confOffset}
   */
  public void match(
      float[] gt, int[] labels, int count, float[] loc, int locOffset, int[] conf, int confOffset) {
    match(gt, labels, null, count, loc, locOffset, conf, confOffset, null, 0);
  }

  /**
   * {@link #match(float[], int[], int, float[], int, int[], int)} that also writes per-prior
   * weights: a positive prior gets the weight of the ground truth it is matched to (the same ground
   * truth whose box is its loc target), a background prior gets 1. Without ground truth every prior
   * gets 1.
   *
   * @param gtWeights at least {@code count} per-box weights (null: all 1)
   * @param priorWeights receives {@code P} weights from {@code weightOffset} (null: not written)
   */
  public void match(
      float[] gt,
      int[] labels,
      float[] gtWeights,
      int count,
      float[] loc,
      int locOffset,
      int[] conf,
      int confOffset,
      float[] priorWeights,
      int weightOffset) {
    checkNotNull(gt, "gt");
    checkNotNull(labels, "labels");
    checkArgument(
        count >= 0 && gt.length >= 4 * count && labels.length >= count,
        "count %s does not fit gt (%s floats) and labels (%s)",
        count,
        gt.length,
        labels.length);
    checkArgument(
        locOffset >= 0 && locOffset + 4L * numPriors <= loc.length,
        "loc too small: %s floats from %s, need %s",
        loc.length,
        locOffset,
        4 * numPriors);
    checkArgument(
        confOffset >= 0 && confOffset + (long) numPriors <= conf.length,
        "conf too small: %s from %s, need %s",
        conf.length,
        confOffset,
        numPriors);
    checkArgument(
        gtWeights == null || gtWeights.length >= count,
        "gtWeights has %s values for %s ground truths",
        gtWeights == null ? 0 : gtWeights.length,
        count);
    checkArgument(
        priorWeights == null
            || (weightOffset >= 0 && weightOffset + (long) numPriors <= priorWeights.length),
        "priorWeights too small: %s from %s, need %s",
        priorWeights == null ? 0 : priorWeights.length,
        weightOffset,
        numPriors);
    if (priorWeights != null) {
      java.util.Arrays.fill(priorWeights, weightOffset, weightOffset + numPriors, 1f);
    }
    if (count == 0) {
      java.util.Arrays.fill(loc, locOffset, locOffset + 4 * numPriors, 0f);
      java.util.Arrays.fill(conf, confOffset, confOffset + numPriors, 0);
      return;
    }
    for (int g = 0; g < count; g++) {
      checkArgument(labels[g] >= 1, "label %s of ground truth %s must be >= 1", labels[g], g);
    }
    float[] bestOverlap = new float[numPriors];
    int[] bestTruth = new int[numPriors];
    java.util.Arrays.fill(bestOverlap, Float.NEGATIVE_INFINITY);
    int[] bestPrior = new int[count];
    for (int g = 0; g < count; g++) {
      float gx1 = gt[4 * g];
      float gy1 = gt[4 * g + 1];
      float gx2 = gt[4 * g + 2];
      float gy2 = gt[4 * g + 3];
      float areaG = (gx2 - gx1) * (gy2 - gy1);
      float best = Float.NEGATIVE_INFINITY;
      int bestIdx = 0;
      for (int p = 0, q = 0; p < numPriors; p++, q += 4) {
        float px1 = pointForm[q];
        float py1 = pointForm[q + 1];
        float px2 = pointForm[q + 2];
        float py2 = pointForm[q + 3];
        float iw = Math.max(Math.min(gx2, px2) - Math.max(gx1, px1), 0f);
        float ih = Math.max(Math.min(gy2, py2) - Math.max(gy1, py1), 0f);
        float inter = iw * ih;
        float union = areaG + (px2 - px1) * (py2 - py1) - inter;
        float iou = union > 0f ? inter / union : 0f;
        if (iou > best) {
          best = iou;
          bestIdx = p;
        }
        if (iou > bestOverlap[p]) {
          bestOverlap[p] = iou;
          bestTruth[p] = g;
        }
      }
      bestPrior[g] = bestIdx;
    }
    for (int g = 0; g < count; g++) {
      bestOverlap[bestPrior[g]] = 2f;
    }
    for (int g = 0; g < count; g++) {
      bestTruth[bestPrior[g]] = g;
    }
    for (int p = 0; p < numPriors; p++) {
      int g = bestTruth[p];
      conf[confOffset + p] = bestOverlap[p] < threshold ? 0 : labels[g];
      if (priorWeights != null && gtWeights != null && conf[confOffset + p] > 0) {
        priorWeights[weightOffset + p] = gtWeights[g];
      }
      System.arraycopy(gt, 4 * g, loc, locOffset + 4 * p, 4);
    }
    coder.encode(loc, locOffset, priors, 0, loc, locOffset, numPriors);
  }

  /**
   * The targets of one image.
   *
   * @param loc {@code float[P * 4]}: encoded offsets {@code (l0, l1, l2, l3)} per prior
   * @param conf {@code int[P]}: class per prior, 0 = background
   * @param weights {@code float[P]}: loss weight per prior (its ground truth's weight for a
   *     positive, 1 for background)
   */
  public record Targets(float[] loc, int[] conf, float[] weights) {
    /** Targets with every weight 1. */
    public Targets(float[] loc, int[] conf) {
      this(loc, conf, ones(conf.length));
    }

    private static float[] ones(int n) {
      float[] w = new float[n];
      java.util.Arrays.fill(w, 1f);
      return w;
    }

    /** Number of positive priors. */
    public int positives() {
      int n = 0;
      for (int c : conf) {
        if (c > 0) {
          n++;
        }
      }
      return n;
    }
  }

  @Override
  public String toString() {
    return "PriorMatcher{priors=" + numPriors + ", threshold=" + threshold + ", " + coder + "}";
  }
}
