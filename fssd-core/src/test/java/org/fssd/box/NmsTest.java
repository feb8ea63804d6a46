package org.fssd.box;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NmsTest {

  /**
   * The textbook O(n^2) greedy NMS of SPEC §9, written independently: stable sort by score (boxed,
   * TimSort keeps equal scores in index order), then each kept box suppresses every later candidate
   * whose pixel IoU is strictly greater than the threshold.
   */
  static int[] bruteForce(float[] boxes, float[] scores, float threshold, int topK) {
    int n = scores.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> scores[a] == scores[b] ? 0 : (scores[a] > scores[b] ? -1 : 1));
    boolean[] suppressed = new boolean[n];
    List<Integer> keep = new ArrayList<>();
    for (int oi = 0; oi < n && keep.size() < topK; oi++) {
      int i = order[oi];
      if (suppressed[i]) {
        continue;
      }
      keep.add(i);
      float areaI =
          (boxes[4 * i + 2] - boxes[4 * i] + 1) * (boxes[4 * i + 3] - boxes[4 * i + 1] + 1);
      for (int oj = oi + 1; oj < n; oj++) {
        int j = order[oj];
        if (suppressed[j]) {
          continue;
        }
        float xx1 = Math.max(boxes[4 * i], boxes[4 * j]);
        float yy1 = Math.max(boxes[4 * i + 1], boxes[4 * j + 1]);
        float xx2 = Math.min(boxes[4 * i + 2], boxes[4 * j + 2]);
        float yy2 = Math.min(boxes[4 * i + 3], boxes[4 * j + 3]);
        float w = Math.max(0f, xx2 - xx1 + 1);
        float h = Math.max(0f, yy2 - yy1 + 1);
        float inter = w * h;
        float areaJ =
            (boxes[4 * j + 2] - boxes[4 * j] + 1) * (boxes[4 * j + 3] - boxes[4 * j + 1] + 1);
        float ovr = inter / (areaI + areaJ - inter);
        if (ovr > threshold) {
          suppressed[j] = true;
        }
      }
    }
    return keep.stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void iouExactlyAtThresholdIsNotSuppressed() {
    // A: 10 x 10 pixels (area 100), B: 10 x 20 (area 200), inter = A: ovr = 100 / 200 = 0.5
    float[] boxes = {0, 0, 9, 9, 0, 0, 9, 19};
    float[] scores = {0.9f, 0.8f};
    assertThat(Box.of(0, 0, 9, 9).iouPixel(Box.of(0, 0, 9, 19))).isEqualTo(0.5f);
    Nms nms = new Nms();
    assertThat(nms.apply(boxes, scores, 0.5f, 10)).containsExactly(0, 1);
    assertThat(nms.apply(boxes, scores, Math.nextDown(0.5f), 10)).containsExactly(0);
    // order of scores reversed: the kept one is B
    assertThat(nms.apply(boxes, new float[] {0.8f, 0.9f}, 0.45f, 10)).containsExactly(1);
  }

  /** Small cases at threshold 0.45: boxes and scores, space-separated, then topK and the kept. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "identical boxes and scores keep the lowest index"
            + " | 5 5 20 20 5 5 20 20 5 5 20 20 100 100 110 110 | 0.5 0.5 0.5 0.5 | 10 | 0 3",
        // 0 and 1 overlap (suppressed), 2 and 3 disjoint: topK 2 gives 0 then 2
        "topK counts kept boxes, not visited ones"
            + " | 0 0 10 10 0 0 10 10 50 50 60 60 80 80 90 90 | 0.9 0.8 0.7 0.6 | 2 | 0 2",
      })
  void smallCases(String name, String boxes, String scores, int topK, String kept) {
    int[] expected = Arrays.stream(kept.split(" ")).mapToInt(Integer::parseInt).toArray();
    assertThat(new Nms().apply(floats(boxes), floats(scores), 0.45f, topK))
        .containsExactly(expected);
  }

  private static float[] floats(String spaceSeparated) {
    String[] parts = spaceSeparated.split(" ");
    float[] out = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Float.parseFloat(parts[i]);
    }
    return out;
  }

  /** Sets box {@code i} of {@code boxes} (4 floats a box). */
  private static void put(float[] boxes, int i, float x1, float y1, float x2, float y2) {
    boxes[4 * i] = x1;
    boxes[4 * i + 1] = y1;
    boxes[4 * i + 2] = x2;
    boxes[4 * i + 3] = y2;
  }

  @Test
  void keptInScoreOrderWithTiesByIndex() {
    // 6 disjoint boxes
    float[] boxes = new float[24];
    for (int i = 0; i < 6; i++) {
      put(boxes, i, 20 * i, 0, 20 * i + 10, 10);
    }
    float[] scores = {0.2f, 0.7f, 0.2f, Float.POSITIVE_INFINITY, -1f, 0.7f};
    Nms nms = new Nms();
    assertThat(nms.apply(boxes, scores, 0.45f, 10)).containsExactly(3, 1, 5, 0, 2, 4);
    assertThat(nms.apply(boxes, scores, 0.45f, 3)).containsExactly(3, 1, 5);
    assertThat(nms.apply(boxes, scores, 0.45f, 1)).containsExactly(3);
    // -0.0 ties with 0.0
    float[] zeros = {0f, -0.0f, 0f, -0.0f, 0f, -0.0f};
    assertThat(nms.apply(boxes, zeros, 0.45f, 10)).containsExactly(0, 1, 2, 3, 4, 5);
    float[] zeros2 = {-0.0f, 0f, -0.0f, 0f, -0.0f, 0f};
    assertThat(nms.apply(boxes, zeros2, 0.45f, 10)).containsExactly(0, 1, 2, 3, 4, 5);
  }

  @Test
  void offsetsAreHonoured() {
    float[] boxes = {-1, -1, 0, 0, 0, 0, 9, 9, 0, 0, 9, 19};
    float[] scores = {-5f, -5f, 0.8f, 0.9f};
    int[] keep = {-7, -7, -7};
    int k = new Nms().apply(boxes, 4, scores, 2, 2, 0.4f, 5, keep, 1);
    assertThat(k).isEqualTo(1);
    assertThat(keep).containsExactly(-7, 1, -7);
  }

  @Test
  void emptyAndInvalidInput() {
    Nms nms = new Nms();
    assertThat(nms.apply(new float[0], new float[0], 0.5f, 3)).isEmpty();
    assertThatThrownBy(() -> nms.apply(new float[8], new float[] {0.5f, Float.NaN}, 0.5f, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scores[1] is NaN");
    assertThatThrownBy(() -> nms.apply(new float[8], new float[2], 0.5f, 0))
        .hasMessageContaining("topK");
    assertThatThrownBy(() -> nms.apply(new float[7], new float[2], 0.5f, 1))
        .hasMessageContaining("4 floats per score");
    assertThatThrownBy(() -> nms.apply(new float[8], 0, new float[2], 0, 2, 0.5f, 2, new int[1], 0))
        .hasMessageContaining("keep: need room for 2");
  }

  @Test
  void matchesBruteForceOnRandomInputWithTies() {
    Random r = new Random(20240601);
    Nms nms = new Nms(); // one instance: buffers grow and shrink-reuse across sizes
    float[] thresholds = {0.45f, 0.5f, 0.3f, 0.7f, 0f, 1f};
    int atThreshold = 0;
    for (int trial = 0; trial < 300; trial++) {
      int n = trial % 10 == 0 ? 2000 + r.nextInt(1000) : r.nextInt(300);
      boolean integerGrid = r.nextBoolean();
      float[] boxes = new float[4 * n];
      float[] scores = new float[n];
      for (int i = 0; i < n; i++) {
        if (integerGrid) {
          // integer pixels: many exact IoU values such as 0.5, equal boxes, zero widths
          float x1 = r.nextInt(60);
          float y1 = r.nextInt(60);
          put(boxes, i, x1, y1, x1 + r.nextInt(30), y1 + r.nextInt(30));
          scores[i] = r.nextInt(8) / 8f; // exact ties
        } else {
          float x1 = r.nextFloat() * 500;
          float y1 = r.nextFloat() * 500;
          put(boxes, i, x1, y1, x1 + r.nextFloat() * 150, y1 + r.nextFloat() * 150);
          scores[i] = r.nextInt(4) == 0 ? 0.25f : r.nextFloat();
        }
        if (i > 0 && r.nextInt(20) == 0) { // exact duplicate of the previous box and score
          System.arraycopy(boxes, 4 * (i - 1), boxes, 4 * i, 4);
          scores[i] = scores[i - 1];
        }
      }
      float thr = thresholds[trial % thresholds.length];
      int topK = 1 + r.nextInt(n + 5);
      if (integerGrid && n < 300) {
        atThreshold += countPairsAt(boxes, n, thr);
      }
      int[] expected = bruteForce(boxes, scores, thr, topK);
      int[] actual = nms.apply(boxes, scores, thr, topK);
      assertThat(actual)
          .as("trial %s, n %s, thr %s, topK %s", trial, n, thr, topK)
          .containsExactly(expected);
    }
    assertThat(atThreshold).as("pairs with IoU exactly at the threshold").isGreaterThan(100);
  }

  private static int countPairsAt(float[] b, int n, float thr) {
    int count = 0;
    for (int i = 0; i < n; i++) {
      Box bi = Box.of(b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]);
      for (int j = i + 1; j < n; j++) {
        if (bi.iouPixel(Box.of(b[4 * j], b[4 * j + 1], b[4 * j + 2], b[4 * j + 3])) == thr) {
          count++;
        }
      }
    }
    return count;
  }

  @Test
  void steadyStateAllocatesNothing() {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    if (!(bean instanceof com.sun.management.ThreadMXBean)) {
      return;
    }
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    Random r = new Random(3);
    int n = 3000;
    float[] boxes = new float[4 * n];
    float[] scores = new float[n];
    for (int i = 0; i < n; i++) {
      float x1 = r.nextFloat() * 300;
      float y1 = r.nextFloat() * 300;
      put(boxes, i, x1, y1, x1 + 5 + r.nextFloat() * 100, y1 + 5 + r.nextFloat() * 100);
      scores[i] = r.nextFloat();
    }
    Nms nms = new Nms();
    int[] keep = new int[200];
    long sink = 0;
    for (int i = 0; i < 200; i++) { // warm up and grow buffers
      sink += nms.apply(boxes, 0, scores, 0, n, 0.45f, 200, keep, 0);
    }
    long tid = Thread.currentThread().getId();
    long before = mx.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 200; i++) {
      sink += nms.apply(boxes, 0, scores, 0, n - (i % 7), 0.45f, 200, keep, 0);
    }
    long allocated = mx.getThreadAllocatedBytes(tid) - before;
    assertThat(sink).isPositive();
    assertThat(allocated).as("bytes allocated by 200 NMS calls").isLessThan(4096);
  }
}
