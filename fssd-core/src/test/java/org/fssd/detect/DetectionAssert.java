package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.fssd.testing.FloatArrays;

/** Compares detection lists with stated tolerances (shared through the fssd-core test-jar). */
public final class DetectionAssert {
  /**
   * Relative term of the box tolerance: 1e-6 is ~8 float32 ulp of a coordinate, which matters only
   * for coordinates of thousands of pixels, where the absolute {@code boxTol} is a few ulp.
   */
  private static final double BOX_REL = 1e-6;

  private DetectionAssert() {}

  /**
   * Same length, and pairwise (in order) the same class, scores within {@code scoreTol} and every
   * box corner within {@code max(boxTol, 1e-6 * |corner|)} pixels. A failure names the worst
   * detection and corner (see {@link FloatArrays}).
   */
  public static void assertSameDetections(
      List<Detection> actual, List<Detection> expected, float boxTol, float scoreTol) {
    assertThat(actual).as("detections").hasSameSizeAs(expected);
    int n = expected.size();
    float[] as = new float[n];
    float[] es = new float[n];
    float[] ab = new float[4 * n];
    float[] eb = new float[4 * n];
    for (int i = 0; i < n; i++) {
      Detection a = actual.get(i);
      Detection e = expected.get(i);
      assertThat(a.classIndex())
          .as("class of detection %s: %s vs %s", i, a, e)
          .isEqualTo(e.classIndex());
      as[i] = a.score();
      es[i] = e.score();
      System.arraycopy(
          new float[] {a.box().x1(), a.box().y1(), a.box().x2(), a.box().y2()}, 0, ab, 4 * i, 4);
      System.arraycopy(
          new float[] {e.box().x1(), e.box().y1(), e.box().x2(), e.box().y2()}, 0, eb, 4 * i, 4);
    }
    // Scores are probabilities in [0, 1]: an absolute tolerance is the relevant one.
    FloatArrays.assertClose(as, es, 0, scoreTol, "scores of detections (index = detection)");
    FloatArrays.assertClose(
        ab, eb, BOX_REL, boxTol, "box corners (index = 4 * detection + x1,y1,x2,y2)");
  }
}
