package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** Compares detection lists with stated tolerances (shared through the fssd-core test-jar). */
public final class DetectionAssert {
  private DetectionAssert() {}

  /**
   * Same length, and pairwise (in order) the same class, scores within {@code scoreTol} and every
   * box corner within {@code boxTol} pixels.
   */
  public static void assertSameDetections(List<Detection> actual, List<Detection> expected, float boxTol, float scoreTol) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.size(); i++) {
      Detection a = actual.get(i);
      Detection e = expected.get(i);
      assertThat(a.classIndex()).as("class of detection %s", i).isEqualTo(e.classIndex());
      assertThat(Math.abs(a.score() - e.score())).as("score of detection %s: %s vs %s", i, a, e).isLessThanOrEqualTo(scoreTol);
      float[] ab = {a.box().x1(), a.box().y1(), a.box().x2(), a.box().y2()};
      float[] eb = {e.box().x1(), e.box().y1(), e.box().x2(), e.box().y2()};
      for (int k = 0; k < 4; k++) {
        assertThat(Math.abs(ab[k] - eb[k])).as("corner %s of detection %s: %s vs %s", k, i, a, e).isLessThanOrEqualTo(boxTol);
      }
    }
  }
}
