package org.fssd.train.loss;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * SPEC §6: the MultiBox loss — smooth-L1 (beta 1) localisation on positive priors plus
 * cross-entropy confidence on positives and hard-mined negatives, both divided by the number of
 * positives in the batch.
 *
 * <p><b>Exact definition.</b> For image i with class targets {@code t[i, p]} (0 = background),
 * positives are the priors with {@code t > 0}; {@code n_i} is their count and {@code N = max(1, sum
 * n_i)}. The confidence loss of a prior is {@code CE = logsumexp(conf) - conf[t]}. The kept
 * negatives of image i are the {@code k_i = min(negPosRatio * n_i, P - 1)} background priors with
 * the largest CE (all of them when there are fewer). <b>Ties</b> (equal CE, compared as doubles)
 * are broken by the lower prior index first. Then {@code loc = sum over positives of smoothL1(loc -
 * target) / N} and {@code conf = (sum of CE over positives and kept negatives) / N}. The selection
 * is treated as a constant in the gradient (as PyTorch does): the gradient of CE is {@code
 * softmax(conf) - onehot(t)} on selected priors, 0 elsewhere; that of smooth-L1 is {@code d} for
 * {@code |d| < 1}, else {@code sign(d)}. Arithmetic is in double precision whatever the input type.
 *
 * <p><b>As a DL4J loss.</b> Used by a {@code LossLayer} (identity activation) whose input is the
 * network's {@code loc} [B, P*4] and {@code conf} [B, P*C] merged along dimension 1, i.e. [B, P*4 +
 * P*C], and whose labels are the loc targets then the class ids, [B, P*4 + P] (the class ids as
 * floating-point integers). DL4J averages example scores over the minibatch B ({@code LossLayer}
 * divides the summed score by B, the updater divides gradients by B). This class therefore reports
 * example i's score as {@code B * (loc_i + conf_i) / N} (so that their mean is exactly the SPEC
 * loss) and returns {@code B} times the SPEC gradient from {@link #computeGradient}; after DL4J's
 * division the network's score and parameter gradients are exactly SPEC §6's (checked with DL4J's
 * {@code GradientCheckUtil} in the tests). Masks are not supported.
 *
 * <p><b>Per-prior weights</b> (Mixup, see {@code org.fssd.data.augment.Mixup}): labels may carry a
 * third block of P weights per image, [B, P*4 + P + P]; without it every weight is 1 and the loss
 * is exactly the one above. A positive prior q with weight {@code w_q} (its ground truth's) adds
 * {@code w_q * smoothL1} to loc and {@code w_q * CE} to conf; negatives keep weight 1 (the weights
 * of background priors are ignored). The normaliser becomes the <b>weighted</b> positive count
 * {@code N = max(1, sum of w_q over the positives of the batch)} and image i mines {@code k_i =
 * min(round(negPosRatio * W_i), P - 1)} negatives, {@code W_i} the sum of its positives' weights
 * ({@code round} = {@link Math#round(double)}). With all weights 1 both reduce to the counts, bit
 * for bit. The choice makes a weight 0 equivalent to removing that ground truth's priors from the
 * loss (they are neither positives nor mining candidates) and keeps a mixed image's share of
 * negatives in proportion to its weighted objects; {@link Result#numPositives()} stays the
 * unweighted count. Weights must be finite and {@code >= 0}.
 *
 * <p>For logging and tests, {@link #compute} returns the two terms directly. Immutable and
 * thread-safe apart from the {@link #lastResult()} diagnostic; serialisable to DL4J's configuration
 * JSON.
 */
public final class MultiBoxLoss implements ILossFunction {
  private static final long serialVersionUID = 1L;

  /** The reference's negative:positive ratio. */
  public static final int DEFAULT_NEG_POS_RATIO = 3;

  private final int numPriors;
  private final int numClasses;
  private final int negPosRatio;
  private transient volatile Result lastResult;

  /**
   * A loss for {@code numPriors} priors and {@code numClasses} classes (background included),
   * keeping {@code negPosRatio} negatives per positive.
   */
  @JsonCreator
  public MultiBoxLoss(
      @JsonProperty("numPriors") int numPriors,
      @JsonProperty("numClasses") int numClasses,
      @JsonProperty("negPosRatio") int negPosRatio) {
    checkArgument(numPriors >= 1, "numPriors must be >= 1, got %s", numPriors);
    checkArgument(numClasses >= 2, "numClasses must be >= 2 (background + 1), got %s", numClasses);
    checkArgument(negPosRatio >= 0, "negPosRatio must be >= 0, got %s", negPosRatio);
    this.numPriors = numPriors;
    this.numClasses = numClasses;
    this.negPosRatio = negPosRatio;
  }

  /** The reference's loss (3 negatives per positive). */
  public static MultiBoxLoss of(int numPriors, int numClasses) {
    return new MultiBoxLoss(numPriors, numClasses, DEFAULT_NEG_POS_RATIO);
  }

  /** Number of priors P. */
  @JsonProperty("numPriors")
  public int numPriors() {
    return numPriors;
  }

  /** Number of classes C, background included. */
  @JsonProperty("numClasses")
  public int numClasses() {
    return numClasses;
  }

  /** Kept negatives per positive. */
  @JsonProperty("negPosRatio")
  public int negPosRatio() {
    return negPosRatio;
  }

  /** Width of the network input this loss expects: P*4 + P*C. */
  public int inputWidth() {
    return numPriors * (4 + numClasses);
  }

  /** Width of the labels this loss expects: P*4 + P (or P*4 + P + P with per-prior weights). */
  public int labelWidth() {
    return numPriors * 5;
  }

  /** Width of labels with per-prior weights: P*4 + P + P. */
  public int weightedLabelWidth() {
    return numPriors * 6;
  }

  /**
   * The two terms of the loss and the number of positive priors (unweighted; the terms were divided
   * by {@code max(1, weighted positives)}, which is this count when all weights are 1).
   */
  public record Result(double locLoss, double confLoss, int numPositives) {
    /** loc + conf. */
    public double total() {
      return locLoss + confLoss;
    }
  }

  /**
   * The SPEC §6 loss of one batch.
   *
   * @param loc network loc output, [B, P*4] (or [B, P, 4])
   * @param conf network conf logits, [B, P*C] (or [B, P, C])
   * @param locTargets encoded targets, same shape as {@code loc}
   * @param classTargets class ids 0..C-1, [B, P]
   */
  public Result compute(INDArray loc, INDArray conf, INDArray locTargets, INDArray classTargets) {
    return compute(loc, conf, locTargets, classTargets, null);
  }

  /**
   * The loss of one batch with per-prior weights (see the class Javadoc).
   *
   * @param weights per-prior weights [B, P], finite and {@code >= 0}; null = all 1
   */
  public Result compute(
      INDArray loc, INDArray conf, INDArray locTargets, INDArray classTargets, INDArray weights) {
    Eval e = evaluate(batchOf(loc, conf, locTargets, classTargets, weights), false);
    return new Result(e.locSum / e.norm, e.confSum / e.norm, e.positives);
  }

  /**
   * The SPEC §6 gradient of loc + conf with respect to the network outputs, [B, P*4 + P*C] in
   * double precision (loc part first). For tests and custom loops; DL4J uses {@link
   * #computeGradient}.
   */
  public INDArray gradient(
      INDArray loc, INDArray conf, INDArray locTargets, INDArray classTargets) {
    return gradient(loc, conf, locTargets, classTargets, null);
  }

  /**
   * {@link #gradient(INDArray, INDArray, INDArray, INDArray)} with per-prior weights [B, P] (null =
   * all 1).
   */
  public INDArray gradient(
      INDArray loc, INDArray conf, INDArray locTargets, INDArray classTargets, INDArray weights) {
    Batch batch = batchOf(loc, conf, locTargets, classTargets, weights);
    Eval e = evaluate(batch, true);
    return Nd4j.create(e.grad, new long[] {batch.batch, inputWidth()}, 'c');
  }

  private Batch batchOf(
      INDArray loc, INDArray conf, INDArray locTargets, INDArray classTargets, INDArray weights) {
    int b = batchOf(loc, "loc");
    checkRows(loc, b, numPriors * 4L, "loc");
    checkRows(conf, b, (long) numPriors * numClasses, "conf");
    checkRows(locTargets, b, numPriors * 4L, "locTargets");
    checkRows(classTargets, b, numPriors, "classTargets");
    double[] w = null;
    if (weights != null) {
      checkRows(weights, b, numPriors, "weights");
      w = checkWeights(flat(weights));
    }
    return new Batch(b, flat(loc), flat(conf), flat(locTargets), classIds(flat(classTargets)), w);
  }

  private static double[] checkWeights(double[] w) {
    for (int i = 0; i < w.length; i++) {
      if (!(w[i] >= 0 && Double.isFinite(w[i]))) {
        throw new IllegalArgumentException(
            "prior weight " + w[i] + " at position " + i + " must be finite and >= 0");
      }
    }
    return w;
  }

  /**
   * Diagnostics: the terms of the most recent {@link #computeScore} call on this instance (DL4J
   * calls it once per training iteration), or null. Not part of the configuration; not saved.
   */
  public Result lastResult() {
    return lastResult;
  }

  // ---------------------------------------------------------------- ILossFunction

  @Override
  public double computeScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    Eval e = evaluate(split(labels, preOutput, activationFn, mask), false);
    lastResult = new Result(e.locSum / e.norm, e.confSum / e.norm, e.positives);
    double spec = (e.locSum + e.confSum) / e.norm;
    return average ? spec : spec * e.batch;
  }

  @Override
  public INDArray computeScoreArray(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    Eval e = evaluate(split(labels, preOutput, activationFn, mask), false);
    double[] perExample = new double[e.batch];
    for (int i = 0; i < e.batch; i++) {
      perExample[i] = e.batch * e.perImage[i] / e.norm;
    }
    return Nd4j.create(perExample, new long[] {e.batch, 1}, 'c').castTo(preOutput.dataType());
  }

  @Override
  public INDArray computeGradient(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    Batch batch = split(labels, preOutput, activationFn, mask);
    Eval e = evaluate(batch, true);
    INDArray dLdOut =
        Nd4j.create(e.grad, new long[] {e.batch, inputWidth()}, 'c')
            .muli(e.batch)
            .castTo(preOutput.dataType());
    // back through the activation (identity in an FSSD training graph)
    return activationFn.backprop(preOutput.dup(), dLdOut).getFirst();
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    return new Pair<>(
        computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return toString();
  }

  // ---------------------------------------------------------------- implementation

  private Batch split(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    checkArgument(mask == null, "MultiBoxLoss does not support masks");
    Objects.requireNonNull(activationFn, "activationFn");
    checkArgument(
        preOutput.rank() == 2 && preOutput.size(1) == inputWidth(),
        "MultiBoxLoss input must be [B, P*4 + P*C] = [B, %s], got %s",
        inputWidth(),
        Arrays.toString(preOutput.shape()));
    checkArgument(
        labels.rank() == 2
            && (labels.size(1) == labelWidth() || labels.size(1) == weightedLabelWidth())
            && labels.size(0) == preOutput.size(0),
        "MultiBoxLoss labels must be [B, P*4 + P] = [%s, %s] (or [B, P*4 + 2P] with weights), got %s",
        preOutput.size(0),
        labelWidth(),
        Arrays.toString(labels.shape()));
    boolean weighted = labels.size(1) == weightedLabelWidth();
    int labelW = (int) labels.size(1);
    int b = (int) preOutput.size(0);
    INDArray out = activationFn.getActivation(preOutput.dup(), true);
    double[] o = flat(out);
    double[] l = flat(labels);
    int locW = numPriors * 4;
    int confW = numPriors * numClasses;
    double[] loc = new double[b * locW];
    double[] conf = new double[b * confW];
    double[] locT = new double[b * locW];
    double[] cls = new double[b * numPriors];
    double[] w = weighted ? new double[b * numPriors] : null;
    for (int i = 0; i < b; i++) {
      System.arraycopy(o, i * inputWidth(), loc, i * locW, locW);
      System.arraycopy(o, i * inputWidth() + locW, conf, i * confW, confW);
      System.arraycopy(l, i * labelW, locT, i * locW, locW);
      System.arraycopy(l, i * labelW + locW, cls, i * numPriors, numPriors);
      if (weighted) {
        System.arraycopy(l, i * labelW + locW + numPriors, w, i * numPriors, numPriors);
      }
    }
    return new Batch(b, loc, conf, locT, classIds(cls), weighted ? checkWeights(w) : null);
  }

  private int[] classIds(double[] cls) {
    int[] ids = new int[cls.length];
    for (int i = 0; i < cls.length; i++) {
      double v = cls[i];
      int id = (int) Math.rint(v);
      checkArgument(
          id >= 0 && id < numClasses && Math.abs(v - id) < 1e-3,
          "class target %s at position %s is not a class id in 0..%s",
          v,
          i,
          numClasses - 1);
      ids[i] = id;
    }
    return ids;
  }

  private Eval evaluate(Batch in, boolean wantGradient) {
    final int p = numPriors;
    final int c = numClasses;
    Eval e = new Eval(in.batch);
    double[] grad = wantGradient ? new double[in.batch * inputWidth()] : null;
    double[] ce = new double[p];
    double[] softmax = wantGradient ? new double[p * c] : null;
    boolean[] selected = new boolean[p];
    int total = 0;
    double weightedTotal = 0;
    for (int i = 0; i < in.batch; i++) {
      total += countPositives(in.cls, i * p, p);
      weightedTotal += positiveWeight(in, i * p, p);
    }
    e.positives = total;
    e.norm = Math.max(1.0, weightedTotal);
    for (int i = 0; i < in.batch; i++) {
      int clsOff = i * p;
      int locOff = i * p * 4;
      int confOff = i * p * c;
      int gradOff = i * inputWidth();
      double locSum = 0;
      double positiveWeight = 0;
      int negatives = 0;
      for (int q = 0; q < p; q++) {
        // cross-entropy (logsumexp - logit of the target), max-shifted
        int base = confOff + q * c;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) {
          max = Math.max(max, in.conf[base + k]);
        }
        double sum = 0;
        for (int k = 0; k < c; k++) {
          double ex = Math.exp(in.conf[base + k] - max);
          sum += ex;
          if (wantGradient) {
            softmax[q * c + k] = ex;
          }
        }
        if (wantGradient) {
          for (int k = 0; k < c; k++) {
            softmax[q * c + k] /= sum;
          }
        }
        ce[q] = (max - in.conf[base + in.cls[clsOff + q]]) + Math.log(sum);
        selected[q] = in.cls[clsOff + q] > 0;
        if (selected[q]) {
          double w = in.w == null ? 1.0 : in.w[clsOff + q];
          positiveWeight += w;
          for (int k = 0; k < 4; k++) {
            double d = in.loc[locOff + q * 4 + k] - in.locT[locOff + q * 4 + k];
            double ad = Math.abs(d);
            locSum += w * (ad < 1 ? 0.5 * d * d : ad - 0.5);
            if (wantGradient) {
              grad[gradOff + q * 4 + k] = w * (ad < 1 ? d : Math.signum(d)) / e.norm;
            }
          }
        } else {
          negatives++;
        }
      }
      int keep =
          (int) Math.min(Math.min(Math.round(negPosRatio * positiveWeight), p - 1L), negatives);
      selectHardNegatives(in.cls, clsOff, ce, selected, negatives, keep);
      double confSum = 0;
      for (int q = 0; q < p; q++) {
        if (!selected[q]) {
          continue;
        }
        // positives carry their weight, kept negatives weight 1
        double w = in.w == null || in.cls[clsOff + q] == 0 ? 1.0 : in.w[clsOff + q];
        confSum += w * ce[q];
        if (wantGradient) {
          int g = gradOff + p * 4 + q * c;
          for (int k = 0; k < c; k++) {
            grad[g + k] = w * softmax[q * c + k] / e.norm;
          }
          grad[g + in.cls[clsOff + q]] -= w / e.norm;
        }
      }
      e.locSum += locSum;
      e.confSum += confSum;
      e.perImage[i] = locSum + confSum;
    }
    e.grad = grad;
    return e;
  }

  private static double positiveWeight(Batch in, int off, int p) {
    double w = 0;
    for (int q = 0; q < p; q++) {
      if (in.cls[off + q] > 0) {
        w += in.w == null ? 1.0 : in.w[off + q];
      }
    }
    return w;
  }

  private static int countPositives(int[] cls, int off, int p) {
    int n = 0;
    for (int q = 0; q < p; q++) {
      if (cls[off + q] > 0) {
        n++;
      }
    }
    return n;
  }

  /**
   * Marks the {@code keep} negatives with the largest CE as selected; equal CE: lower prior index
   * first.
   */
  private void selectHardNegatives(
      int[] cls, int clsOff, double[] ce, boolean[] selected, int negatives, int keep) {
    if (keep <= 0) {
      return;
    }
    int p = numPriors;
    double[] negCe = new double[negatives];
    int n = 0;
    for (int q = 0; q < p; q++) {
      if (cls[clsOff + q] == 0) {
        negCe[n++] = ce[q];
      }
    }
    Arrays.sort(negCe);
    double threshold = negCe[negatives - keep]; // the keep-th largest
    int above = 0;
    for (int q = 0; q < p; q++) {
      if (cls[clsOff + q] == 0 && ce[q] > threshold) {
        selected[q] = true;
        above++;
      }
    }
    int atThreshold = keep - above;
    for (int q = 0; q < p && atThreshold > 0; q++) {
      if (cls[clsOff + q] == 0 && ce[q] == threshold) {
        selected[q] = true;
        atThreshold--;
      }
    }
  }

  private static int batchOf(INDArray a, String what) {
    Objects.requireNonNull(a, what);
    checkArgument(
        a.rank() >= 2,
        "%s must have a batch dimension, got shape %s",
        what,
        Arrays.toString(a.shape()));
    return (int) a.size(0);
  }

  private static void checkRows(INDArray a, int batch, long width, String what) {
    Objects.requireNonNull(a, what);
    checkArgument(
        a.size(0) == batch && a.length() == batch * width,
        "%s must hold %s values per image for %s images, got shape %s",
        what,
        width,
        batch,
        Arrays.toString(a.shape()));
  }

  private static double[] flat(INDArray a) {
    return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MultiBoxLoss m
        && m.numPriors == numPriors
        && m.numClasses == numClasses
        && m.negPosRatio == negPosRatio;
  }

  @Override
  public int hashCode() {
    return Objects.hash(numPriors, numClasses, negPosRatio);
  }

  @Override
  public String toString() {
    return "MultiBoxLoss(P=" + numPriors + ", C=" + numClasses + ", negPos=" + negPosRatio + ")";
  }

  /** One batch in double precision; {@code w} = per-prior weights [B*P] or null (all 1). */
  private record Batch(
      int batch, double[] loc, double[] conf, double[] locT, int[] cls, double[] w) {}

  private static final class Eval {
    final int batch;
    final double[] perImage;
    double locSum;
    double confSum;
    int positives;
    double norm;
    double[] grad;

    Eval(int batch) {
      this.batch = batch;
      this.perImage = new double[batch];
    }
  }
}
