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
import org.fssd.train.eval.VocMatcher.Outcome;

/**
 * SPEC §10: PASCAL VOC evaluation as an accumulator: add each image's ground truth and detections,
 * then take a {@link EvalResult} snapshot with {@link #result(ApMethod)} (as often as wanted, e.g.
 * during training).
 *
 * <pre>{@code
 * ApAccumulator acc = new ApAccumulator(Labels.voc());
 * for (int i = 0; i < test.size(); i++) {
 *   acc.add(test.annotation(i), detector.detect(image(i)));
 * }
 * EvalResult r = acc.result(ApMethod.VOC07_11_POINT);
 * }</pre>
 *
 * <p><b>Rule</b> (the published {@code voc_eval}): per class, detections in descending score order
 * take the one GT of their class and image with the highest IoU ({@link VocMatcher#iou}: pixel
 * convention, +1 side lengths, on 1-based coordinates); IoU strictly above 0.5 against a difficult
 * GT: ignored; against an unused GT: TP; against a used GT: FP (no fallback); else FP. Difficult
 * GTs are not positives. Crowd GTs (COCO data under VOC rules; VOC has none) are treated like
 * difficult ones.
 *
 * <p><b>Order and ties.</b> The published code sorts all detections of a class by score with an
 * unstable sort. Here the sort is <b>stable</b>: equal scores keep the order in which they were
 * added (images in {@code add} order, then the order within the image's list). Because matching
 * only involves detections of the same image, each image is matched when it is added, which gives
 * the same outcomes as matching after one global sort.
 *
 * <p><b>Degenerate boxes</b>: a detection read from a result file with swapped corners ({@link
 * ScoredBox#swapped()}) is scored exactly as {@code voc_eval} scores it, see {@link
 * VocMatcher#iou(double, double, double, double, Box)} (in practice almost always a FP).
 *
 * <p><b>Coordinates</b>: detections and GT boxes both in 0-based pixels of the original image (the
 * frame of {@link Detection#box()} and of {@link org.fssd.data.VocDataset}, which stores the XML
 * values minus 1).
 *
 * <p>Thread-safe: {@code add} and {@code result} are synchronized.
 */
public final class ApAccumulator {
  private final Labels labels;
  private final Set<String> imageIds = new HashSet<>();
  private final int[] positives;
  private final ClassLog[] logs;
  private long sequence;

  /** An empty accumulator for the object classes of {@code labels}. */
  public ApAccumulator(Labels labels) {
    this.labels = checkNotNull(labels, "labels");
    int c = labels.numClasses();
    positives = new int[c];
    logs = new ClassLog[c];
    for (int i = 1; i < c; i++) {
      logs[i] = new ClassLog();
    }
  }

  /** The class names. */
  public Labels labels() {
    return labels;
  }

  /**
   * Adds one image: its annotation and the detector's output for it.
   *
   * @throws IllegalArgumentException when the image id was added before, or a label or class index
   *     is not in 1..C-1
   */
  public void add(Annotation annotation, List<Detection> detections) {
    checkNotNull(detections, "detections");
    List<ScoredBox> s = new ArrayList<>(detections.size());
    for (Detection d : detections) {
      s.add(ScoredBox.of(d));
    }
    add(annotation.id(), annotation.boxes(), s);
  }

  /**
   * Adds one image by id: its ground-truth objects and detections.
   *
   * @throws IllegalArgumentException when the image id was added before, or a label or class index
   *     is not in 1..C-1
   */
  public synchronized void add(String imageId, List<GtBox> gts, List<ScoredBox> detections) {
    checkNotNull(imageId, "imageId");
    checkNotNull(gts, "gts");
    checkNotNull(detections, "detections");
    int c = labels.numClasses();
    ClassRange.check(imageId, c, gts, GtBox::label, detections, ScoredBox::classIndex);
    checkArgument(imageIds.add(imageId), "image %s was added twice", imageId);

    List<List<GtBox>> gtByClass = new ArrayList<>(c);
    List<List<ScoredBox>> detByClass = new ArrayList<>(c);
    for (int i = 0; i < c; i++) {
      gtByClass.add(new ArrayList<>());
      detByClass.add(new ArrayList<>());
    }
    for (GtBox g : gts) {
      gtByClass.get(g.label()).add(g);
      if (!g.difficult() && !g.crowd()) {
        positives[g.label()]++;
      }
    }
    for (ScoredBox d : detections) {
      detByClass.get(d.classIndex()).add(d);
    }
    for (int k = 1; k < c; k++) {
      List<ScoredBox> dets = detByClass.get(k);
      if (dets.isEmpty()) {
        continue;
      }
      // List.sort is stable: ties keep the input order.
      dets.sort(Comparator.comparingDouble(ScoredBox::score).reversed());
      Outcome[] out = VocMatcher.match(dets, gtByClass.get(k));
      for (int i = 0; i < out.length; i++) {
        logs[k].add(dets.get(i).score(), sequence++, out[i]);
      }
    }
  }

  /** Number of images added. */
  public synchronized int images() {
    return imageIds.size();
  }

  /** A snapshot of the evaluation so far. */
  public synchronized EvalResult result(ApMethod method) {
    checkNotNull(method, "method");
    List<ClassAp> classes = new ArrayList<>();
    for (int k = 1; k < labels.numClasses(); k++) {
      classes.add(logs[k].evaluate(k, labels.name(k), positives[k], method));
    }
    return new EvalResult(method, classes, imageIds.size());
  }

  /** Scored outcomes of one class, in add order. */
  private static final class ClassLog {
    private double[] scores = new double[16];
    private long[] seqs = new long[16];
    private byte[] outcomes = new byte[16];
    private int n;

    void add(double score, long seq, Outcome outcome) {
      if (n == scores.length) {
        int m = n * 2;
        scores = Arrays.copyOf(scores, m);
        seqs = Arrays.copyOf(seqs, m);
        outcomes = Arrays.copyOf(outcomes, m);
      }
      scores[n] = score;
      seqs[n] = seq;
      outcomes[n] = (byte) outcome.ordinal();
      n++;
    }

    ClassAp evaluate(int k, String name, int npos, ApMethod method) {
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      // Descending score, ties by add sequence (a stable order).
      Arrays.sort(
          order,
          (a, b) -> {
            int cmp = Double.compare(scores[b], scores[a]);
            return cmp != 0 ? cmp : Long.compare(seqs[a], seqs[b]);
          });
      int ignored = 0;
      for (int i = 0; i < n; i++) {
        if (outcomes[i] == Outcome.IGNORED.ordinal()) {
          ignored++;
        }
      }
      int m = n - ignored;
      double[] rec = new double[m];
      double[] prec = new double[m];
      int tp = 0;
      int fp = 0;
      int j = 0;
      for (int i = 0; i < n; i++) {
        int o = outcomes[order[i]];
        if (o == Outcome.IGNORED.ordinal()) {
          continue;
        }
        if (o == Outcome.TP.ordinal()) {
          tp++;
        } else {
          fp++;
        }
        rec[j] = tp / (double) npos; // NaN when npos == 0 (then tp == 0)
        prec[j] = tp / Math.max(tp + fp, Math.ulp(1.0));
        j++;
      }
      double ap = npos == 0 ? Double.NaN : method.ap(rec, prec);
      return new ClassAp(k, name, npos, tp, fp, ignored, ap, rec, prec);
    }
  }
}
