package org.fssd.detect;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.fssd.Checks.atLeast;
import static org.fssd.Checks.finitePositive;

import com.google.common.base.Strings;
import com.google.common.collect.ImmutableList;
import java.util.Arrays;
import java.util.List;
import org.fssd.box.Box;
import org.fssd.box.BoxCoder;
import org.fssd.box.Nms;
import org.fssd.box.PriorBoxes;
import org.fssd.box.PriorConfig;
import org.fssd.model.Labels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC §9: turns the raw network outputs of one image (P x 4 box offsets, P x C class logits or
 * probabilities) into {@link Detection}s in pixels of the original image.
 *
 * <p>Steps, all in float32:
 *
 * <ol>
 *   <li>softmax per prior when the scores are logits: {@code m = max_k x_k}, {@code e_k = (float)
 *       exp(x_k - m)}, {@code sum} accumulated in float over k = 0..C-1, {@code p_k = e_k / sum};
 *   <li>decode every prior with {@link BoxCoder} (the reference's float order; {@code x2 = x1 +
 *       w});
 *   <li>scale x by the original width and y by the original height (float multiply); clip to {@code
 *       [0, width] x [0, height]} only when {@link Builder#clipToImage(boolean)} is set (default:
 *       not clipped, like the reference);
 *   <li>for each class j >= 1: the priors whose score is <b>strictly greater</b> than the score
 *       threshold, greedy {@link Nms} with the IoU threshold (pixel convention, strict {@code >}),
 *       at most {@code perClassTopK} kept;
 *   <li>if more than {@code maxDetections} detections remain over all classes, keep those whose
 *       score is {@code >=} the {@code maxDetections}-th highest score (ties may keep more);
 *   <li>sort by score descending, then class index ascending, then prior index ascending.
 * </ol>
 *
 * Background (class 0) is never reported.
 *
 * <p><b>Non-finite input.</b> A prior whose 4 offsets or C scores contain NaN or an infinity, or
 * whose decoded pixel box is not finite (e.g. an offset so large that {@code exp} overflows), is
 * skipped: it yields no detection, so a detection never has a NaN box. The number of skipped priors
 * is logged at debug level.
 *
 * <p>When the scores are given as probabilities ({@code confAreLogits == false}) they are used as
 * given; a reported score above 1 (rounding of an external softmax) is reported as 1.
 *
 * <p><b>Thread safety.</b> Thread-safe: the settings are immutable and the working buffers live in
 * a {@link ThreadLocal}, allocated on a thread's first call and reused by its later calls (about 52
 * bytes per prior, 1.7 MB for COCO512; the candidate buffers grow by 12 bytes per (prior, class)
 * pair above the threshold when an image has more such pairs than priors, and are kept), so {@link
 * #process} allocates only its result in steady state.
 *
 * <p><b>Cost.</b> One pass over the P x C scores; with logits, a prior whose best object logit is
 * so far below its maximum that no object class can pass the threshold costs no further {@code exp}
 * (an exact shortcut: the results are those of the full softmax).
 *
 * <pre>{@code
 * DetectionPostprocessor post = DetectionPostprocessor.builder(PriorConfig.voc300(), Labels.voc())
 *     .scoreThreshold(0.3f)
 *     .build();
 * List<Detection> found = post.process(loc, 0, conf, 0, true, imageWidth, imageHeight);
 * }</pre>
 */
public final class DetectionPostprocessor {
  private static final Logger LOG = LoggerFactory.getLogger(DetectionPostprocessor.class);

  private final float[] priors;
  private final int numPriors;
  private final Labels labels;
  private final int numClasses;
  private final BoxCoder coder;
  private final float scoreThreshold;
  private final float nmsIouThreshold;
  private final int perClassTopK;
  private final int maxDetections;
  private final boolean clipToImage;
  private final ThreadLocal<Workspace> workspace;

  private DetectionPostprocessor(Builder b) {
    this.priors = b.priors;
    this.numPriors = b.priors.length / 4;
    this.labels = b.labels;
    this.numClasses = b.labels.numClasses();
    this.coder = new BoxCoder(b.variance0, b.variance1);
    this.scoreThreshold = b.scoreThreshold;
    this.nmsIouThreshold = b.nmsIouThreshold;
    this.perClassTopK = b.perClassTopK;
    this.maxDetections = b.maxDetections;
    this.clipToImage = b.clipToImage;
    int p = numPriors;
    int c = numClasses;
    int k = perClassTopK;
    this.workspace = ThreadLocal.withInitial(() -> new Workspace(p, c, k));
  }

  /**
   * A builder for the given priors and labels.
   *
   * @param priors centre-size priors {@code (cx, cy, w, h)}, P x 4 floats (as from {@link
   *     PriorBoxes#generate}); copied
   * @param labels class names; {@link Labels#numClasses()} is the network's C
   */
  public static Builder builder(float[] priors, Labels labels) {
    return new Builder(priors, labels);
  }

  /**
   * A builder for the priors of {@code config} ({@link PriorBoxes#generate}) with its variances.
   */
  public static Builder builder(PriorConfig config, Labels labels) {
    checkNotNull(config, "config");
    double[] v = config.variances();
    return new Builder(PriorBoxes.generate(config), labels).variances(v[0], v[1]);
  }

  /**
   * The detections of one image.
   *
   * @param loc raw box offsets, P x 4 floats from {@code locOffset}
   * @param conf class scores, P x C floats from {@code confOffset} (prior-major: prior p's class k
   *     at {@code confOffset + p * C + k})
   * @param confAreLogits true when {@code conf} holds logits (softmax applied here), false when it
   *     already holds probabilities
   * @param imageWidth width of the original image in pixels (>= 1)
   * @param imageHeight height of the original image in pixels (>= 1)
   * @return an immutable list sorted by score descending (ties: class index ascending, then prior
   *     index ascending); boxes in pixels of the original image
   * @throws IllegalArgumentException if an array is too short or an image size is not positive
   */
  public List<Detection> process(
      float[] loc,
      int locOffset,
      float[] conf,
      int confOffset,
      boolean confAreLogits,
      int imageWidth,
      int imageHeight) {
    checkNotNull(loc, "loc");
    checkNotNull(conf, "conf");
    if (!(locOffset >= 0 && (long) locOffset + 4L * numPriors <= loc.length)) {
      throw new IllegalArgumentException(
          Strings.lenientFormat(
              "loc: need %s floats (%s priors x 4) from offset %s, array has %s",
              4L * numPriors, numPriors, locOffset, loc.length));
    }
    if (!(confOffset >= 0 && (long) confOffset + (long) numPriors * numClasses <= conf.length)) {
      throw new IllegalArgumentException(
          Strings.lenientFormat(
              "conf: need %s floats (%s priors x %s classes) from offset %s, array has %s",
              (long) numPriors * numClasses, numPriors, numClasses, confOffset, conf.length));
    }
    atLeast("imageWidth", 1, imageWidth);
    atLeast("imageHeight", 1, imageHeight);

    Workspace ws = workspace.get();
    int skipped =
        decodeAndScore(
            ws, loc, locOffset, conf, confOffset, confAreLogits, imageWidth, imageHeight);
    if (skipped > 0 && LOG.isDebugEnabled()) {
      LOG.debug(
          "skipped {} of {} priors with non-finite offsets, scores or boxes", skipped, numPriors);
    }
    groupByClass(ws);
    int total = 0;
    for (int j = 1; j < numClasses; j++) {
      total = suppressClass(ws, j, total);
    }
    return collect(ws, total);
  }

  /** Same as {@link #process(float[], int, float[], int, boolean, int, int)} with offsets 0. */
  public List<Detection> process(
      float[] loc, float[] conf, boolean confAreLogits, int imageWidth, int imageHeight) {
    return process(loc, 0, conf, 0, confAreLogits, imageWidth, imageHeight);
  }

  /**
   * Decodes every prior into ws.boxes (pixels) and appends every (prior, class >= 1) whose score is
   * above the threshold to the candidate list, in prior order. Returns the number of skipped
   * priors.
   */
  private int decodeAndScore(
      Workspace ws,
      float[] loc,
      int locOffset,
      float[] conf,
      int confOffset,
      boolean confAreLogits,
      int imageWidth,
      int imageHeight) {
    float w = imageWidth;
    float h = imageHeight;
    float[] boxes = ws.boxes;
    float[] e = ws.exps;
    int c = numClasses;
    float thr = scoreThreshold;
    Arrays.fill(ws.classCount, 0);
    ws.pairs = 0;
    int skipped = 0;
    coder.decode(loc, locOffset, priors, 0, boxes, 0, numPriors);
    for (int p = 0; p < numPriors; p++) {
      int l = locOffset + 4 * p;
      int b = 4 * p;
      float x1 = boxes[b] * w;
      float y1 = boxes[b + 1] * h;
      float x2 = boxes[b + 2] * w;
      float y2 = boxes[b + 3] * h;
      if (clipToImage) {
        x1 = clamp(x1, w);
        y1 = clamp(y1, h);
        x2 = clamp(x2, w);
        y2 = clamp(y2, h);
      }
      boxes[b] = x1;
      boxes[b + 1] = y1;
      boxes[b + 2] = x2;
      boxes[b + 3] = y2;
      boolean ok =
          Float.isFinite(loc[l])
              && Float.isFinite(loc[l + 1])
              && Float.isFinite(loc[l + 2])
              && Float.isFinite(loc[l + 3])
              && Float.isFinite(x1)
              && Float.isFinite(y1)
              && Float.isFinite(x2)
              && Float.isFinite(y2);
      int s = confOffset + p * c;
      float m = Float.NEGATIVE_INFINITY; // max over all classes
      float mf = Float.NEGATIVE_INFINITY; // max over object classes
      if (ok) {
        float x0 = conf[s];
        ok = Float.isFinite(x0);
        for (int k = 1; k < c; k++) {
          float x = conf[s + k];
          ok &= Float.isFinite(x);
          mf = Math.max(mf, x);
        }
        m = Math.max(x0, mf);
      }
      if (!ok) {
        skipped++;
        continue;
      }
      // Exact shortcut: sum >= 1 (the arg-max term is exp(0) = 1) and exp is monotone, so every
      // object probability e_k / sum <= exp(mf - m); when that is <= the threshold, no class of
      // this prior can pass and the remaining exps are not needed.
      if (confAreLogits && (float) Math.exp(mf - m) <= thr) {
        continue;
      }
      if (confAreLogits) {
        float sum = 0f;
        for (int k = 0; k < c; k++) {
          float ek = (float) Math.exp(conf[s + k] - m);
          e[k] = ek;
          sum += ek;
        }
        for (int k = 1; k < c; k++) {
          float prob = e[k] / sum;
          if (prob > thr) {
            ws.addPair(p, k, prob);
          }
        }
      } else {
        for (int k = 1; k < c; k++) {
          float prob = conf[s + k];
          if (prob > thr) {
            ws.addPair(p, k, prob);
          }
        }
      }
    }
    return skipped;
  }

  private static float clamp(float v, float max) {
    return Math.min(Math.max(v, 0f), max);
  }

  /**
   * Groups the candidate pairs by class (a stable counting sort, so each class keeps prior order)
   * into ws.byClassPrior / ws.byClassScore, and fills ws.classStart.
   */
  private void groupByClass(Workspace ws) {
    int[] start = ws.classStart;
    int run = 0;
    for (int k = 0; k < numClasses; k++) {
      start[k] = run;
      run += ws.classCount[k];
    }
    start[numClasses] = run;
    ws.ensureGrouped(run);
    int[] next = ws.classCount; // reused as the write cursor of each class
    for (int k = 0; k < numClasses; k++) {
      next[k] = start[k];
    }
    for (int i = 0; i < ws.pairs; i++) {
      int q = next[ws.pairClass[i]]++;
      ws.byClassPrior[q] = ws.pairPrior[i];
      ws.byClassScore[q] = ws.pairScore[i];
    }
  }

  /** NMS of the candidates of class j, appended to the result buffers; returns the new total. */
  private int suppressClass(Workspace ws, int j, int total) {
    int from = ws.classStart[j];
    int n = ws.classStart[j + 1] - from;
    if (n == 0) {
      return total;
    }
    float[] boxes = ws.boxes;
    float[] candBoxes = ws.candBoxes;
    for (int i = 0; i < n; i++) {
      System.arraycopy(boxes, 4 * ws.byClassPrior[from + i], candBoxes, 4 * i, 4);
    }
    int kept =
        ws.nms.apply(
            candBoxes, 0, ws.byClassScore, from, n, nmsIouThreshold, perClassTopK, ws.keep, 0);
    for (int m = 0; m < kept; m++) {
      int q = ws.keep[m];
      ws.resClass[total] = j;
      ws.resScore[total] = ws.byClassScore[from + q];
      System.arraycopy(candBoxes, 4 * q, ws.resBoxes, 4 * total, 4);
      total++;
    }
    return total;
  }

  /** Sorts the results, applies the per-image cut and builds the detections. */
  private List<Detection> collect(Workspace ws, int total) {
    if (total == 0) {
      return ImmutableList.of();
    }
    long[] keys = ws.resKeys;
    for (int r = 0; r < total; r++) {
      // Results were appended class by class, each class in (score desc, prior asc) order, so
      // sorting by (score desc, append position asc) gives (score desc, class asc, prior asc).
      keys[r] = scoreKey(ws.resScore[r], r);
    }
    Arrays.sort(keys, 0, total);
    int count = total;
    if (total > maxDetections) {
      float cut = ws.resScore[(int) keys[maxDetections - 1]];
      count = maxDetections;
      while (count < total && ws.resScore[(int) keys[count]] >= cut) {
        count++;
      }
    }
    ImmutableList.Builder<Detection> out = ImmutableList.builderWithExpectedSize(count);
    for (int i = 0; i < count; i++) {
      int r = (int) keys[i];
      int cls = ws.resClass[r];
      int b = 4 * r;
      out.add(
          Detection.of(
              cls,
              labels.name(cls),
              Math.min(1f, ws.resScore[r]),
              Box.of(ws.resBoxes[b], ws.resBoxes[b + 1], ws.resBoxes[b + 2], ws.resBoxes[b + 3])));
    }
    return out.build();
  }

  /** Ascending long order = descending score, then ascending position (scores are > 0 here). */
  private static long scoreKey(float score, int position) {
    return ((long) ~Float.floatToIntBits(score) << 32) | position;
  }

  /** The network's number of classes C, including background. */
  public int numClasses() {
    return numClasses;
  }

  /** The number of priors P. */
  public int numPriors() {
    return numPriors;
  }

  /** The labels. */
  public Labels labels() {
    return labels;
  }

  /** A detection needs a score strictly greater than this. */
  public float scoreThreshold() {
    return scoreThreshold;
  }

  /** NMS suppresses a box whose pixel IoU with a kept box is strictly greater than this. */
  public float nmsIouThreshold() {
    return nmsIouThreshold;
  }

  /** At most this many detections per class survive NMS. */
  public int perClassTopK() {
    return perClassTopK;
  }

  /** The per-image cut (ties at the cut may keep more). */
  public int maxDetections() {
    return maxDetections;
  }

  /** Whether boxes are clipped to {@code [0, width] x [0, height]}. */
  public boolean clipToImage() {
    return clipToImage;
  }

  /** The settings, e.g. for a debug log line. */
  @Override
  public String toString() {
    return "DetectionPostprocessor{priors="
        + numPriors
        + ", classes="
        + numClasses
        + ", coder="
        + coder
        + ", "
        + DetectorSettings.describePostprocessing(
            scoreThreshold, nmsIouThreshold, perClassTopK, maxDetections)
        + ", clipToImage="
        + clipToImage
        + "}";
  }

  /**
   * Per-thread buffers. The candidate buffers start at P entries and grow (by half) when an image
   * has more candidates, up to P x (C - 1); they are never shrunk. Static (no reference to the
   * post-processor) so that a thread's map entry does not keep its ThreadLocal key alive.
   */
  private static final class Workspace {
    final float[] boxes;
    final float[] exps;
    final int[] classCount;
    final int[] classStart;
    int pairs;
    int[] pairPrior;
    int[] pairClass;
    float[] pairScore;
    int[] byClassPrior;
    float[] byClassScore;
    float[] candBoxes;
    final int[] keep;
    final Nms nms = new Nms();
    final int[] resClass;
    final float[] resScore;
    final float[] resBoxes;
    final long[] resKeys;

    Workspace(int numPriors, int numClasses, int perClassTopK) {
      boxes = new float[4 * numPriors];
      exps = new float[numClasses];
      classCount = new int[numClasses];
      classStart = new int[numClasses + 1];
      pairPrior = new int[numPriors];
      pairClass = new int[numPriors];
      pairScore = new float[numPriors];
      byClassPrior = new int[numPriors];
      byClassScore = new float[numPriors];
      candBoxes = new float[4 * numPriors];
      int perClass = Math.min(perClassTopK, numPriors);
      keep = new int[perClass];
      int maxResults = (numClasses - 1) * perClass;
      resClass = new int[maxResults];
      resScore = new float[maxResults];
      resBoxes = new float[4 * maxResults];
      resKeys = new long[maxResults];
    }

    void addPair(int prior, int cls, float score) {
      int i = pairs;
      if (i == pairPrior.length) {
        int size = (int) Math.min(Integer.MAX_VALUE - 8L, i + (i >> 1) + 16L);
        pairPrior = Arrays.copyOf(pairPrior, size);
        pairClass = Arrays.copyOf(pairClass, size);
        pairScore = Arrays.copyOf(pairScore, size);
      }
      pairPrior[i] = prior;
      pairClass[i] = cls;
      pairScore[i] = score;
      classCount[cls]++;
      pairs = i + 1;
    }

    void ensureGrouped(int n) {
      if (byClassPrior.length < n) {
        byClassPrior = new int[pairPrior.length];
        byClassScore = new float[pairPrior.length];
      }
      int maxPerClass = 0;
      for (int k = 1; k < classCount.length; k++) {
        maxPerClass = Math.max(maxPerClass, classCount[k]);
      }
      // the largest class needs 4 floats per candidate; never more than P candidates per class
      if (candBoxes.length < 4 * maxPerClass) {
        candBoxes = new float[4 * maxPerClass];
      }
    }
  }

  /**
   * Builder of {@link DetectionPostprocessor}. Defaults are the reference's evaluation settings:
   * variances (0.1, 0.2), score threshold 0.01, NMS IoU threshold 0.45, 40 per class, 200 per
   * image, no clipping. {@link #build()} validates. Not thread-safe.
   */
  public static final class Builder {
    private final float[] priors;
    private final Labels labels;
    private double variance0 = 0.1;
    private double variance1 = 0.2;
    private float scoreThreshold = 0.01f;
    private float nmsIouThreshold = 0.45f;
    private int perClassTopK = 40;
    private int maxDetections = 200;
    private boolean clipToImage;

    private Builder(float[] priors, Labels labels) {
      checkNotNull(priors, "priors");
      this.labels = checkNotNull(labels, "labels");
      checkArgument(
          priors.length > 0 && priors.length % 4 == 0,
          "priors must hold 4 floats (cx, cy, w, h) per prior, got %s floats",
          priors.length);
      for (int i = 0; i < priors.length; i++) {
        if (!Float.isFinite(priors[i])) {
          throw new IllegalArgumentException("priors[" + i + "] is not finite: " + priors[i]);
        }
      }
      this.priors = priors.clone();
    }

    /**
     * Box-coding variances, each finite and > 0 (default 0.1, 0.2): the decoder divides by neither,
     * but a zero or negative variance turns every box into a point or flips it.
     */
    public Builder variances(double variance0, double variance1) {
      finitePositive("variance0", variance0);
      this.variance1 = finitePositive("variance1", variance1);
      this.variance0 = variance0;
      return this;
    }

    /**
     * Score threshold in [0, 1): a detection needs a score strictly greater (default 0.01, the
     * evaluation setting; applications typically use 0.3).
     */
    public Builder scoreThreshold(float scoreThreshold) {
      this.scoreThreshold = scoreThreshold;
      return this;
    }

    /** NMS IoU threshold in (0, 1] (default 0.45); suppression needs IoU strictly greater. */
    public Builder nmsIouThreshold(float nmsIouThreshold) {
      this.nmsIouThreshold = nmsIouThreshold;
      return this;
    }

    /** At most this many detections per class after NMS (>= 1, default 40). */
    public Builder perClassTopK(int perClassTopK) {
      this.perClassTopK = perClassTopK;
      return this;
    }

    /** Per-image cut (>= 1, default 200); ties at the cut may keep more. */
    public Builder maxDetections(int maxDetections) {
      this.maxDetections = maxDetections;
      return this;
    }

    /** Clip boxes to {@code [0, width] x [0, height]} (default false, like the reference). */
    public Builder clipToImage(boolean clipToImage) {
      this.clipToImage = clipToImage;
      return this;
    }

    /**
     * The post-processing part of {@code settings}, which has the same names and ranges: score and
     * NMS thresholds, per-class top-k, max detections, clipping (its pixel limit and replicas
     * concern the detector, not this step).
     */
    public Builder settings(DetectorSettings settings) {
      checkNotNull(settings, "settings");
      return scoreThreshold(settings.scoreThreshold())
          .nmsIouThreshold(settings.nmsIouThreshold())
          .perClassTopK(settings.perClassTopK())
          .maxDetections(settings.maxDetections())
          .clipToImage(settings.clipToImage());
    }

    /**
     * The validated post-processor.
     *
     * @throws IllegalArgumentException naming the setting at fault
     */
    public DetectionPostprocessor build() {
      DetectorSettings.checkScoreThreshold(scoreThreshold);
      DetectorSettings.checkNmsIouThreshold(nmsIouThreshold);
      atLeast("perClassTopK", 1, perClassTopK);
      atLeast("maxDetections", 1, maxDetections);
      checkArgument(
          (long) (labels.numClasses() - 1) * (priors.length / 4) <= Integer.MAX_VALUE - 8,
          "too many priors x classes: %s x %s",
          (long) priors.length / 4,
          labels.numClasses());
      DetectionPostprocessor p = new DetectionPostprocessor(this);
      LOG.debug("built {}", p);
      return p;
    }
  }
}
