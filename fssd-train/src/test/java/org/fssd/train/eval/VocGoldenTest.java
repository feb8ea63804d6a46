package org.fssd.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fssd.box.Box;
import org.fssd.data.GtBox;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;

/**
 * Compares {@link ApAccumulator} with the published VOC evaluation algorithm on random data: {@code
 * voc_golden.txt} was written by {@code make_voc_golden.py} next to it (numpy, float64; coordinates
 * in halves so floats hold them exactly; distinct scores). Tolerance 1e-12 (summation order only).
 */
class VocGoldenTest {

  @Test
  void matchesThePublishedAlgorithm() throws Exception {
    Map<Integer, List<GtBox>> gts = new TreeMap<>();
    Map<Integer, List<ScoredBox>> dets = new TreeMap<>();
    List<double[]> aps = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                getClass().getResourceAsStream("voc_golden.txt"), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String[] f = line.split(" ");
        switch (f[0]) {
          case "gt" -> {
            int img = Integer.parseInt(f[1]);
            // XML values (1-based) are stored minus 1, as VocDataset does.
            Box b = zeroBased(f, 3);
            gts.computeIfAbsent(img, x -> new ArrayList<>())
                .add(new GtBox(b, Integer.parseInt(f[2]), f[7].equals("1"), false));
          }
          case "det" -> {
            int img = Integer.parseInt(f[1]);
            // written 1-based: back to 0-based.
            Box b = zeroBased(f, 4);
            dets.computeIfAbsent(img, x -> new ArrayList<>())
                .add(new ScoredBox(Integer.parseInt(f[2]), Double.parseDouble(f[3]), b));
          }
          case "ap" ->
              aps.add(
                  new double[] {
                    Integer.parseInt(f[1]),
                    Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]),
                    Integer.parseInt(f[4])
                  });
          default -> throw new AssertionError("unexpected golden line " + line);
        }
      }
    }
    assertThat(aps).hasSize(3);
    ApAccumulator acc = new ApAccumulator(Labels.of("a", "b", "c"));
    for (int img = 0; img < 30; img++) {
      acc.add("img" + img, gts.getOrDefault(img, List.of()), dets.getOrDefault(img, List.of()));
    }
    EvalResult r07 = acc.result(ApMethod.VOC07_11_POINT);
    EvalResult r10 = acc.result(ApMethod.VOC10_ALL_POINT);
    double sum07 = 0;
    for (double[] a : aps) {
      int k = (int) a[0];
      assertThat(r07.classAp(k).positives()).isEqualTo((int) a[3]);
      assertThat(r07.ap(k)).as("11-point AP of class %s", k).isCloseTo(a[1], within(1e-12));
      assertThat(r10.ap(k)).as("all-point AP of class %s", k).isCloseTo(a[2], within(1e-12));
      sum07 += a[1];
    }
    assertThat(r07.map()).isCloseTo(sum07 / 3, within(1e-12));
    // the data exercises difficult objects and ignored detections
    assertThat(r07.classes().stream().mapToInt(ClassAp::ignored).sum()).isPositive();
  }

  /** The 1-based corners x1 y1 x2 y2 in {@code f[from..from+3]} as a 0-based box. */
  private static Box zeroBased(String[] f, int from) {
    return Box.of(
        Float.parseFloat(f[from]) - 1,
        Float.parseFloat(f[from + 1]) - 1,
        Float.parseFloat(f[from + 2]) - 1,
        Float.parseFloat(f[from + 3]) - 1);
  }
}
