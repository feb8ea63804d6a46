package org.fssd.data.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.fssd.box.PriorConfig;
import org.junit.jupiter.api.Test;

/** Per-box weights (Mixup) travel to the priors matched to each box; matching is unchanged. */
class PriorMatcherWeightsTest {
  @Test
  void everyPositivePriorTakesItsGroundTruthsWeight() {
    PriorMatcher m = PriorMatcher.of(PriorConfig.voc300());
    // three boxes with distinct labels, so a prior's label names the box it is matched to
    float[] gt = {0.1f, 0.1f, 0.5f, 0.6f, 0.4f, 0.3f, 0.9f, 0.8f, 0.6f, 0.05f, 0.7f, 0.2f};
    int[] labels = {1, 2, 3};
    float[] weights = {0.3f, 0.7f, 0f};
    PriorMatcher.Targets plain = m.match(gt, labels);
    PriorMatcher.Targets weighted = m.match(gt, labels, weights);
    assertThat(weighted.conf()).isEqualTo(plain.conf());
    assertThat(weighted.loc()).isEqualTo(plain.loc());
    assertThat(plain.weights()).containsOnly(1f);
    int[] seen = new int[4];
    for (int p = 0; p < m.numPriors(); p++) {
      int c = weighted.conf()[p];
      seen[c]++;
      assertThat(weighted.weights()[p])
          .as("prior %s of class %s", p, c)
          .isEqualTo(c == 0 ? 1f : weights[c - 1]);
    }
    assertThat(seen[1]).isPositive();
    assertThat(seen[2]).isPositive();
    assertThat(seen[3]).isPositive();
    // into caller arrays at an offset; no ground truth: all weights 1
    float[] w = new float[2 * m.numPriors()];
    m.match(
        gt,
        labels,
        weights,
        0,
        new float[4 * m.numPriors()],
        0,
        new int[m.numPriors()],
        0,
        w,
        m.numPriors());
    for (int p = 0; p < m.numPriors(); p++) {
      assertThat(w[p]).isZero();
      assertThat(w[m.numPriors() + p]).isEqualTo(1f);
    }
    assertThatThrownBy(() -> m.match(gt, labels, new float[2])).hasMessageContaining("gtWeights");
  }
}
