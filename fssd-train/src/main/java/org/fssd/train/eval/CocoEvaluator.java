package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fssd.box.Box;
import org.fssd.data.Annotation;
import org.fssd.data.GtBox;
import org.fssd.detect.Detection;
import org.fssd.model.Labels;

/**
 * SPEC §10: the official COCO bbox evaluation ({@code pycocotools} {@code COCOeval}, iouType
 * "bbox", useCats 1) as an accumulator: add each image's ground truth and detections, then take a
 * {@link CocoResult}.
 *
 * <p><b>Protocol</b>, as in the public {@code COCOeval} code:
 *
 * <ul>
 *   <li>IoU thresholds {@code 0.5 + i * 0.05} (i = 0..9, the last exactly 0.95), recall thresholds
 *       {@code i * 0.01} (i = 0..100), area ranges all {@code [0, 1e10]}, small {@code [0, 32²]},
 *       medium {@code [32², 96²]}, large {@code [96², 1e10]} (bounds inclusive), at most 1, 10, 100
 *       detections <b>per image and class</b> (the top by score; 100 for AP).
 *   <li>Per image and class, for each area range and IoU threshold: GT objects that are crowd,
 *       ignored or outside the area range are "ignored" and sorted after the others; detections in
 *       descending score order (stable) take the unused (crowd ones are never used up) GT with the
 *       highest IoU {@code >= t}, preferring any non-ignored GT to an ignored one; a detection
 *       matched to an ignored GT is ignored; an unmatched detection outside the area range is
 *       ignored. IoU is continuous on {@code [x, y, w, h]}; for a crowd GT its denominator is the
 *       detection's area.
 *   <li>Per class: all kept detections of all images sorted by score (stable: images in ascending
 *       id order, numerically for integer ids, as the official code walks its sorted image ids;
 *       within an image in score order, ties in input order), cumulative TP/FP, precision {@code tp
 *       / (tp + fp + eps)}, made non-increasing from the right, sampled at the first point whose
 *       recall reaches each recall threshold (0 when none does). AP = mean over IoU thresholds,
 *       recall thresholds and the classes that have at least one non-ignored GT; AR = mean over IoU
 *       thresholds and those classes of the final recall.
 * </ul>
 *
 * <p><b>Boxes.</b> A {@link Detection} / {@link ScoredBox} with 0-based inclusive-style corners is
 * converted as the reference writes COCO results: {@code [x1, y1, x2 - x1 + 1, y2 - y1 + 1]};
 * ground truth from a dataset by {@link CocoGt#of(GtBox)}.
 *
 * <p><b>Ground truth</b>: for a COCO dataset use {@link CocoGt#of(org.fssd.data.CocoObject)} (the
 * annotation's own {@code bbox} and {@code area}, as {@link CocoEvaluation} does); {@link
 * CocoGt#of(GtBox)} takes the box area, which differs from COCO's segmentation {@code area} and so
 * moves objects between small, medium and large. Detections of a results file go in through {@link
 * #addImage} with their {@code [x, y, w, h]} unchanged.
 *
 * <p><b>Differences</b> from the official code: undefined numbers are NaN (not -1); images are
 * those added (add every image of the GT file, as {@link CocoEvaluation} does; an image without GT
 * or detections changes nothing either way).
 *
 * <p>Thread-safe: {@code add} and {@code result} are synchronized.
 */
public final class CocoEvaluator {
  /** Number of IoU thresholds. */
  static final int T = 10;

  /** Number of recall thresholds. */
  static final int R = 101;

  /** Area ranges: all, small, medium, large. */
  static final double[][] AREAS = {
    {0, 1e5 * 1e5}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}
  };

  /** Per image and class detection limits. */
  static final int[] MAX_DETS = {1, 10, 100};

  private static final double[] IOU_THRESHOLDS = new double[T];
  private static final double[] RECALL_THRESHOLDS = new double[R];

  static {
    double step = (0.95 - 0.5) / (T - 1); // numpy.linspace(.5, .95, 10)
    for (int i = 0; i < T - 1; i++) {
      IOU_THRESHOLDS[i] = i * step + 0.5;
    }
    IOU_THRESHOLDS[T - 1] = 0.95;
    for (int i = 0; i < R - 1; i++) {
      RECALL_THRESHOLDS[i] = i * 0.01; // numpy.linspace(0, 1, 101)
    }
    RECALL_THRESHOLDS[R - 1] = 1.0;
  }

  private final Labels labels;
  private final Set<String> imageIds = new HashSet<>();
  private final List<String> imageOrder = new ArrayList<>(); // add order
  private final int[][] positives; // [class][area]: non-ignored GTs
  private final Log[][] logs; // [class][area]

  /** An empty evaluator for the object classes of {@code labels}. */
  public CocoEvaluator(Labels labels) {
    this.labels = checkNotNull(labels, "labels");
    int c = labels.numClasses();
    positives = new int[c][AREAS.length];
    logs = new Log[c][AREAS.length];
    for (int k = 1; k < c; k++) {
      for (int a = 0; a < AREAS.length; a++) {
        logs[k][a] = new Log();
      }
    }
  }

  /** The IoU thresholds 0.50 .. 0.95 (a copy). */
  public static double[] iouThresholds() {
    return IOU_THRESHOLDS.clone();
  }

  /**
   * Adds one image from a dataset annotation ({@link CocoGt#of(GtBox)}) and the detector's output.
   *
   * @throws IllegalArgumentException when the image was added before or a class is out of range
   */
  public void add(Annotation annotation, List<Detection> detections) {
    List<CocoGt> g = new ArrayList<>(annotation.boxes().size());
    for (GtBox b : annotation.boxes()) {
      g.add(CocoGt.of(b));
    }
    List<ScoredBox> d = new ArrayList<>(detections.size());
    for (Detection x : detections) {
      d.add(ScoredBox.of(x));
    }
    add(annotation.id(), g, d);
  }

  /**
   * Adds one image by id.
   *
   * @throws IllegalArgumentException when the image was added before or a class is out of range
   */
  public void add(String imageId, List<CocoGt> gts, List<ScoredBox> detections) {
    List<CocoDet> d = new ArrayList<>(detections.size());
    for (ScoredBox x : detections) {
      d.add(CocoDet.of(x));
    }
    addImage(imageId, gts, d);
  }

  /**
   * Adds one image by id with detections already in COCO's {@code [x, y, w, h]} (a results file),
   * in the order of the file: among equal scores the earlier detection ranks first.
   *
   * @throws IllegalArgumentException when the image was added before or a class is out of range
   */
  public synchronized void addImage(String imageId, List<CocoGt> gts, List<CocoDet> detections) {
    checkNotNull(imageId, "imageId");
    int c = labels.numClasses();
    ClassRange.check(imageId, c, gts, CocoGt::classIndex, detections, CocoDet::classIndex);
    checkArgument(imageIds.add(imageId), "image %s was added twice", imageId);
    int slot = imageOrder.size();
    imageOrder.add(imageId);
    for (int k = 1; k < c; k++) {
      List<CocoGt> g = new ArrayList<>();
      for (CocoGt x : gts) {
        if (x.classIndex() == k) {
          g.add(x);
        }
      }
      List<CocoDet> d = new ArrayList<>();
      for (CocoDet x : detections) {
        if (x.classIndex() == k) {
          d.add(x);
        }
      }
      if (!g.isEmpty() || !d.isEmpty()) {
        addClass(k, slot, g, d);
      }
    }
  }

  private void addClass(int k, int slot, List<CocoGt> gts, List<CocoDet> dets) {
    dets.sort(Comparator.comparingDouble(CocoDet::score).reversed()); // stable, as mergesort
    int nd = Math.min(dets.size(), MAX_DETS[MAX_DETS.length - 1]);
    int ng = gts.size();
    double[][] db = new double[nd][];
    for (int d = 0; d < nd; d++) {
      CocoDet x = dets.get(d);
      db[d] = new double[] {x.x(), x.y(), x.w(), x.h()};
    }
    double[][] ious = new double[nd][ng];
    for (int d = 0; d < nd; d++) {
      for (int j = 0; j < ng; j++) {
        ious[d][j] = iou(db[d], gts.get(j));
      }
    }
    for (int a = 0; a < AREAS.length; a++) {
      double lo = AREAS[a][0];
      double hi = AREAS[a][1];
      // GT order: non-ignored first, stable.
      Integer[] order = new Integer[ng];
      boolean[] ig = new boolean[ng];
      for (int j = 0; j < ng; j++) {
        CocoGt g = gts.get(j);
        ig[j] = g.crowd() || g.ignore() || g.area() < lo || g.area() > hi;
        order[j] = j;
        if (!ig[j]) {
          positives[k][a]++;
        }
      }
      Arrays.sort(order, Comparator.comparingInt(j -> ig[j] ? 1 : 0));
      short[] matchedBits = new short[nd];
      short[] ignoredBits = new short[nd];
      for (int t = 0; t < T; t++) {
        boolean[] gtUsed = new boolean[ng];
        for (int d = 0; d < nd; d++) {
          double best = Math.min(IOU_THRESHOLDS[t], 1 - 1e-10);
          int m = -1;
          for (int oi = 0; oi < ng; oi++) {
            int j = order[oi];
            if (gtUsed[j] && !gts.get(j).crowd()) {
              continue;
            }
            if (m > -1 && !ig[m] && ig[j]) {
              break;
            }
            if (ious[d][j] < best) {
              continue;
            }
            best = ious[d][j];
            m = j;
          }
          if (m == -1) {
            double area = db[d][2] * db[d][3];
            if (area < lo || area > hi) {
              ignoredBits[d] |= (short) (1 << t);
            }
            continue;
          }
          gtUsed[m] = true;
          matchedBits[d] |= (short) (1 << t);
          if (ig[m]) {
            ignoredBits[d] |= (short) (1 << t);
          }
        }
      }
      for (int d = 0; d < nd; d++) {
        logs[k][a].add(dets.get(d).score(), slot, d, matchedBits[d], ignoredBits[d]);
      }
    }
  }

  /** {@code [x1, y1, x2 - x1 + 1, y2 - y1 + 1]} of a 0-based detection box, in double. */
  static double[] xywh(Box b) {
    return new double[] {
      b.x1(), b.y1(), (double) b.x2() - b.x1() + 1.0, (double) b.y2() - b.y1() + 1.0
    };
  }

  /** COCO's box IoU: continuous on {@code [x, y, w, h]}; a crowd GT divides by the det's area. */
  static double iou(double[] d, CocoGt g) {
    double w = Math.min(d[0] + d[2], g.x() + g.w()) - Math.max(d[0], g.x());
    if (w <= 0) {
      return 0;
    }
    double h = Math.min(d[1] + d[3], g.y() + g.h()) - Math.max(d[1], g.y());
    if (h <= 0) {
      return 0;
    }
    double inter = w * h;
    double da = d[2] * d[3];
    double union = g.crowd() ? da : da + g.w() * g.h() - inter;
    return inter / union;
  }

  /** Number of images added. */
  public synchronized int images() {
    return imageIds.size();
  }

  /** A snapshot of the evaluation so far. */
  public synchronized CocoResult result() {
    int c = labels.numClasses();
    int last = MAX_DETS.length - 1;
    // [a][m] sums of precision means and recall means over valid classes.
    double[] stats = new double[12];
    double[] classAp = new double[c - 1];
    double[][] apSum = new double[AREAS.length][MAX_DETS.length];
    double[][] ap50Sum = new double[AREAS.length][MAX_DETS.length];
    double[][] ap75Sum = new double[AREAS.length][MAX_DETS.length];
    double[][] arSum = new double[AREAS.length][MAX_DETS.length];
    double[] perIouSum = new double[T];
    int[] valid = new int[AREAS.length];
    int[] imageRank = imageRanks(imageOrder);
    for (int k = 1; k < c; k++) {
      classAp[k - 1] = Double.NaN;
      for (int a = 0; a < AREAS.length; a++) {
        int npig = positives[k][a];
        if (npig == 0) {
          continue;
        }
        valid[a]++;
        for (int mi = 0; mi < MAX_DETS.length; mi++) {
          double[][] pr = new double[T][R];
          double[] rc = new double[T];
          logs[k][a].accumulate(MAX_DETS[mi], npig, imageRank, pr, rc);
          double s = 0;
          double s50 = 0;
          double s75 = 0;
          double sr = 0;
          for (int t = 0; t < T; t++) {
            for (int r = 0; r < R; r++) {
              s += pr[t][r];
            }
            sr += rc[t];
          }
          for (int r = 0; r < R; r++) {
            s50 += pr[0][r];
            s75 += pr[5][r];
          }
          apSum[a][mi] += s / (T * R);
          ap50Sum[a][mi] += s50 / R;
          ap75Sum[a][mi] += s75 / R;
          arSum[a][mi] += sr / T;
          if (a == 0 && mi == last) {
            classAp[k - 1] = s / (T * R);
            for (int t = 0; t < T; t++) {
              double st = 0;
              for (int r = 0; r < R; r++) {
                st += pr[t][r];
              }
              perIouSum[t] += st / R;
            }
          }
        }
      }
    }
    stats[0] = mean(apSum[0][last], valid[0]);
    stats[1] = mean(ap50Sum[0][last], valid[0]);
    stats[2] = mean(ap75Sum[0][last], valid[0]);
    stats[3] = mean(apSum[1][last], valid[1]);
    stats[4] = mean(apSum[2][last], valid[2]);
    stats[5] = mean(apSum[3][last], valid[3]);
    stats[6] = mean(arSum[0][0], valid[0]);
    stats[7] = mean(arSum[0][1], valid[0]);
    stats[8] = mean(arSum[0][2], valid[0]);
    stats[9] = mean(arSum[1][last], valid[1]);
    stats[10] = mean(arSum[2][last], valid[2]);
    stats[11] = mean(arSum[3][last], valid[3]);
    double[] perIou = new double[T];
    for (int t = 0; t < T; t++) {
      perIou[t] = mean(perIouSum[t], valid[0]);
    }
    return new CocoResult(labels, stats, classAp, imageIds.size(), perIou);
  }

  /**
   * The rank of each image (by add slot) in the official accumulation order: the evaluation walks
   * the sorted unique image ids, so among equal scores detections of the image with the smaller id
   * come first. Ids that are integers sort numerically, before any other id; other ids sort as
   * strings.
   */
  static int[] imageRanks(List<String> ids) {
    Integer[] slots = new Integer[ids.size()];
    Long[] numeric = new Long[ids.size()];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = i;
      numeric[i] = parseLongOrNull(ids.get(i));
    }
    Arrays.sort(
        slots,
        (x, y) -> {
          Long a = numeric[x];
          Long b = numeric[y];
          if (a != null && b != null) {
            return Long.compare(a, b);
          }
          if (a != null || b != null) {
            return a != null ? -1 : 1;
          }
          return ids.get(x).compareTo(ids.get(y));
        });
    int[] rank = new int[slots.length];
    for (int r = 0; r < slots.length; r++) {
      rank[slots[r]] = r;
    }
    return rank;
  }

  private static Long parseLongOrNull(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static double mean(double sum, int n) {
    return n == 0 ? Double.NaN : sum / n;
  }

  /** Detections of one class and area range, in add order. */
  private static final class Log {
    private double[] scores = new double[16];
    private int[] slots = new int[16];
    private int[] ranks = new int[16];
    private short[] matched = new short[16];
    private short[] ignored = new short[16];
    private int n;

    void add(double score, int slot, int rank, short m, short ig) {
      if (n == scores.length) {
        int len = n * 2;
        scores = Arrays.copyOf(scores, len);
        slots = Arrays.copyOf(slots, len);
        ranks = Arrays.copyOf(ranks, len);
        matched = Arrays.copyOf(matched, len);
        ignored = Arrays.copyOf(ignored, len);
      }
      scores[n] = score;
      slots[n] = slot;
      ranks[n] = rank;
      matched[n] = m;
      ignored[n] = ig;
      n++;
    }

    /** Fills precision[t][r] and the final recall[t] for at most {@code maxDet} per image. */
    void accumulate(int maxDet, int npig, int[] imageRank, double[][] precision, double[] recall) {
      List<Integer> kept = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (ranks[i] < maxDet) {
          kept.add(i);
        }
      }
      kept.sort(
          (x, y) -> {
            int cmp = Double.compare(scores[y], scores[x]);
            if (cmp != 0) {
              return cmp;
            }
            cmp = Integer.compare(imageRank[slots[x]], imageRank[slots[y]]);
            return cmp != 0 ? cmp : Integer.compare(ranks[x], ranks[y]);
          });
      int nd = kept.size();
      double eps = Math.ulp(1.0); // numpy.spacing(1)
      double[] rc = new double[nd];
      double[] pr = new double[nd];
      for (int t = 0; t < T; t++) {
        int tp = 0;
        int fp = 0;
        for (int i = 0; i < nd; i++) {
          int e = kept.get(i);
          boolean ig = (ignored[e] >> t & 1) != 0;
          boolean m = (matched[e] >> t & 1) != 0;
          if (!ig) {
            if (m) {
              tp++;
            } else {
              fp++;
            }
          }
          rc[i] = tp / (double) npig;
          pr[i] = tp / (fp + tp + eps);
        }
        recall[t] = nd > 0 ? rc[nd - 1] : 0;
        for (int i = nd - 1; i > 0; i--) {
          if (pr[i] > pr[i - 1]) {
            pr[i - 1] = pr[i];
          }
        }
        int i = 0;
        for (int r = 0; r < R; r++) {
          while (i < nd && rc[i] < RECALL_THRESHOLDS[r]) {
            i++;
          }
          precision[t][r] = i < nd ? pr[i] : 0;
        }
      }
    }
  }
}
