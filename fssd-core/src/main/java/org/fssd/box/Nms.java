package org.fssd.box;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.fssd.Checks.atLeast;

import com.google.common.base.Strings;
import java.util.Arrays;

/**
 * SPEC §9: greedy non-maximum suppression in float32, the pixel convention of the reference.
 *
 * <p>Candidates are visited by score, highest first; equal scores are visited lower index first (a
 * stable order). A candidate is kept unless its overlap with an already kept box is <b>strictly
 * greater</b> than the threshold, where for kept box i and candidate j
 *
 * <pre>
 * area  = (x2 - x1 + 1) * (y2 - y1 + 1)
 * w     = max(0, min(x2_i, x2_j) - max(x1_i, x1_j) + 1)
 * h     = max(0, min(y2_i, y2_j) - max(y1_i, y1_j) + 1)
 * inter = w * h
 * ovr   = inter / (area_i + area_j - inter)
 * </pre>
 *
 * all in float in this order. This is the same as the usual "keep the best, suppress everything
 * that overlaps it by more than the threshold, repeat" loop. Visiting stops as soon as {@code topK}
 * boxes are kept.
 *
 * <p>Cost: the scores are packed with their indices into primitive {@code long} keys (no boxing)
 * and heapified in O(n); each visited candidate costs O(log n) to extract plus at most {@code topK}
 * overlap tests, so O(n log n) in the worst case and O(n + k log n) when the first k candidates
 * fill {@code topK}.
 *
 * <p><b>Not thread-safe</b>: an instance owns reusable buffers that grow to the largest input seen
 * and are reused, so that {@link #apply(float[], int, float[], int, int, float, int, int[], int)}
 * allocates nothing in steady state. Use one instance per thread.
 */
public final class Nms {
  private long[] keys = new long[0];
  private float[] keptBoxes = new float[0]; // x1, y1, x2, y2, area per kept box

  /** An NMS instance with empty buffers. */
  public Nms() {}

  /**
   * Greedy NMS over {@code n} candidates.
   *
   * @param boxes point-form boxes {@code (x1, y1, x2, y2)}, 4 floats per candidate, from {@code
   *     boxOffset}; non-finite coordinates give a NaN overlap, which suppresses nothing
   * @param scores one score per candidate from {@code scoreOffset}; must not be NaN ({@code -0.0f}
   *     ties with {@code 0.0f})
   * @param n number of candidates (>= 0)
   * @param iouThreshold a candidate is suppressed when its overlap with a kept box is {@code >}
   *     this
   * @param topK maximum number of boxes to keep (>= 1)
   * @param keep receives, from {@code keepOffset}, the candidate numbers (0..n-1) of the kept
   *     boxes, highest score first; needs room for {@code min(n, topK)} entries
   * @return the number of kept boxes
   * @throws IllegalArgumentException on a NaN score, a bad count or a too small array
   */
  public int apply(
      float[] boxes,
      int boxOffset,
      float[] scores,
      int scoreOffset,
      int n,
      float iouThreshold,
      int topK,
      int[] keep,
      int keepOffset) {
    checkNotNull(boxes, "boxes");
    checkNotNull(scores, "scores");
    checkNotNull(keep, "keep");
    atLeast("n", 0, n);
    atLeast("topK", 1, topK);
    checkArgument(!Float.isNaN(iouThreshold), "iouThreshold must not be NaN");
    if (!(boxOffset >= 0 && (long) boxOffset + 4L * n <= boxes.length)) {
      throw new IllegalArgumentException(
          Strings.lenientFormat(
              "boxes: need %s floats from offset %s, array has %s",
              4L * n, boxOffset, boxes.length));
    }
    if (!(scoreOffset >= 0 && (long) scoreOffset + n <= scores.length)) {
      throw new IllegalArgumentException(
          Strings.lenientFormat(
              "scores: need %s floats from offset %s, array has %s",
              n, scoreOffset, scores.length));
    }
    int maxKeep = Math.min(n, topK);
    if (!(keepOffset >= 0 && (long) keepOffset + maxKeep <= keep.length)) {
      throw new IllegalArgumentException(
          Strings.lenientFormat(
              "keep: need room for %s entries from offset %s, array has %s",
              maxKeep, keepOffset, keep.length));
    }
    if (n == 0) {
      return 0;
    }
    if (keys.length < n) {
      keys = new long[Math.max(n, keys.length + (keys.length >> 1))];
    }
    if (keptBoxes.length < 5 * maxKeep) {
      keptBoxes = new float[5 * Math.max(maxKeep, keptBoxes.length / 5 * 3 / 2)];
    }
    long[] heap = keys;
    for (int i = 0; i < n; i++) {
      float s = scores[scoreOffset + i];
      checkArgument(!Float.isNaN(s), "scores[%s] is NaN", scoreOffset + i);
      heap[i] = sortKey(s, i);
    }
    // Min-heap on the keys: the smallest key is the highest score, lowest index on ties.
    for (int i = (n >>> 1) - 1; i >= 0; i--) {
      siftDown(heap, i, n);
    }
    float[] kb = keptBoxes;
    int size = n;
    int kept = 0;
    while (size > 0 && kept < topK) {
      int j = (int) heap[0]; // low 32 bits: the candidate number
      size--;
      if (size > 0) {
        heap[0] = heap[size];
        siftDown(heap, 0, size);
      }
      int b = boxOffset + 4 * j;
      float x1 = boxes[b];
      float y1 = boxes[b + 1];
      float x2 = boxes[b + 2];
      float y2 = boxes[b + 3];
      float areaJ = (x2 - x1 + 1f) * (y2 - y1 + 1f);
      boolean suppressed = false;
      for (int m = 0, q = 0; m < kept; m++, q += 5) {
        float w = Math.max(0f, Math.min(kb[q + 2], x2) - Math.max(kb[q], x1) + 1f);
        float h = Math.max(0f, Math.min(kb[q + 3], y2) - Math.max(kb[q + 1], y1) + 1f);
        float inter = w * h;
        float ovr = inter / (kb[q + 4] + areaJ - inter);
        if (ovr > iouThreshold) {
          suppressed = true;
          break;
        }
      }
      if (!suppressed) {
        int q = 5 * kept;
        kb[q] = x1;
        kb[q + 1] = y1;
        kb[q + 2] = x2;
        kb[q + 3] = y2;
        kb[q + 4] = areaJ;
        keep[keepOffset + kept] = j;
        kept++;
      }
    }
    return kept;
  }

  /**
   * Convenience form of {@link #apply(float[], int, float[], int, int, float, int, int[], int)}
   * that allocates its result: {@code boxes} holds {@code 4 * scores.length} floats.
   *
   * @return the kept candidate numbers, highest score first
   */
  public int[] apply(float[] boxes, float[] scores, float iouThreshold, int topK) {
    checkNotNull(boxes, "boxes");
    checkNotNull(scores, "scores");
    checkArgument(
        boxes.length == 4 * scores.length,
        "boxes must hold 4 floats per score: %s floats for %s scores",
        boxes.length,
        scores.length);
    int[] keep = new int[Math.min(scores.length, Math.max(topK, 0))];
    int k = apply(boxes, 0, scores, 0, scores.length, iouThreshold, topK, keep, 0);
    return k == keep.length ? keep : Arrays.copyOf(keep, k);
  }

  /**
   * A key whose ascending {@code long} order is descending score, then ascending index: the high 32
   * bits are the bitwise complement of an order-preserving int image of the score, the low 32 bits
   * the index. {@code -0.0f} is folded to {@code 0.0f} first.
   */
  static long sortKey(float score, int index) {
    int bits = Float.floatToIntBits(score + 0.0f);
    int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // signed order == float order
    return ((long) ~ordered << 32) | (index & 0xffffffffL);
  }

  private static void siftDown(long[] heap, int i, int size) {
    long x = heap[i];
    int half = size >>> 1;
    while (i < half) {
      int c = 2 * i + 1;
      long cv = heap[c];
      int r = c + 1;
      if (r < size && heap[r] < cv) {
        c = r;
        cv = heap[r];
      }
      if (x <= cv) {
        break;
      }
      heap[i] = cv;
      i = c;
    }
    heap[i] = x;
  }
}
