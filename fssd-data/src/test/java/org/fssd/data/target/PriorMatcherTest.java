package org.fssd.data.target;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.fssd.box.Box;
import org.fssd.box.BoxCoder;
import org.fssd.box.PriorBoxes;
import org.fssd.box.PriorConfig;
import org.junit.jupiter.api.Test;

class PriorMatcherTest {
  private static final double[] VAR = {0.1, 0.2};

  @Test
  void iouExactlyHalfIsPositiveJustBelowIsBackground() {
    float[] priors = {
      0.5f, 0.375f, 0.5f, 0.25f, // == the GT: IoU 1 (its forced best prior)
      0.5f, 0.5f, 0.5f, 0.5f, // IoU exactly 0.5
      0.5f, 0.5f, 0.5f, 0.5078125f, // IoU just below 0.5
      0.9f, 0.9f, 0.1f, 0.1f // disjoint
    };
    float[] gt = {0.25f, 0.25f, 0.75f, 0.5f};
    PriorMatcher.Targets t = PriorMatcher.match(gt, new int[] {7}, priors, 0.5f, VAR);
    assertThat(t.conf()).containsExactly(7, 7, 0, 0);
    assertThat(t.positives()).isEqualTo(2);
    assertThat(t.loc()[0]).isEqualTo(0f);
    assertThat(t.loc()[2]).isEqualTo(0f);
  }

  @Test
  void forcedMatchAndLaterGtWins() {
    float[] priors = {
      0.5f, 0.5f, 0.8f, 0.8f, // big prior
      0.1f, 0.1f, 0.2f, 0.2f // small prior in the corner
    };
    // A tiny GT whose best IoU (with the big prior) is far below 0.5: forced positive anyway.
    float[] tiny = {0.45f, 0.45f, 0.55f, 0.55f};
    PriorMatcher.Targets t = PriorMatcher.match(tiny, new int[] {3}, priors, 0.5f, VAR);
    assertThat(t.conf()).containsExactly(3, 0);
    // Two GTs with the same best prior: the later one wins it.
    float[] two = {0.1f, 0.1f, 0.9f, 0.9f, 0.12f, 0.12f, 0.88f, 0.88f};
    PriorMatcher.Targets u = PriorMatcher.match(two, new int[] {1, 2}, priors, 0.5f, VAR);
    assertThat(u.conf()[0]).isEqualTo(2);
    float[] swapped = {0.12f, 0.12f, 0.88f, 0.88f, 0.1f, 0.1f, 0.9f, 0.9f};
    PriorMatcher.Targets v = PriorMatcher.match(swapped, new int[] {2, 1}, priors, 0.5f, VAR);
    assertThat(v.conf()[0]).isEqualTo(1);
  }

  @Test
  void noGroundTruthGivesZeros() {
    PriorMatcher m = PriorMatcher.of(PriorConfig.voc300());
    PriorMatcher.Targets t = m.match(new float[0], new int[0]);
    assertThat(t.conf()).hasSize(11620).containsOnly(0);
    assertThat(t.loc()).hasSize(11620 * 4).containsOnly(0f);
  }

  @Test
  void agreesWithNaiveImplementationAndDecodesBack() {
    float[] priors = PriorBoxes.generate(PriorConfig.voc300());
    PriorMatcher m = new PriorMatcher(priors, 0.5f, VAR);
    BoxCoder coder = new BoxCoder();
    Random rnd = new Random(1);
    for (int trial = 0; trial < 5; trial++) {
      int n = 1 + rnd.nextInt(6);
      float[] gt = new float[4 * n];
      int[] labels = new int[n];
      for (int g = 0; g < n; g++) {
        float x = rnd.nextFloat() * 0.8f;
        float y = rnd.nextFloat() * 0.8f;
        gt[4 * g] = x;
        gt[4 * g + 1] = y;
        gt[4 * g + 2] = x + 0.02f + rnd.nextFloat() * (1 - x - 0.02f);
        gt[4 * g + 3] = y + 0.02f + rnd.nextFloat() * (1 - y - 0.02f);
        labels[g] = 1 + rnd.nextInt(20);
      }
      PriorMatcher.Targets t = m.match(gt, labels);
      int[] naive = naive(gt, labels, priors);
      assertThat(t.conf()).containsExactly(naive);
      assertThat(t.positives()).isGreaterThanOrEqualTo(1);
      for (int p = 0; p < priors.length / 4; p++) {
        if (t.conf()[p] == 0) {
          continue;
        }
        float[] prior = {priors[4 * p], priors[4 * p + 1], priors[4 * p + 2], priors[4 * p + 3]};
        float[] l = {t.loc()[4 * p], t.loc()[4 * p + 1], t.loc()[4 * p + 2], t.loc()[4 * p + 3]};
        Box d = coder.decode(l, prior);
        // Every corner of a GT box of the prior's class (float encode/decode round trip of
        // normalised coordinates: a few ulp of 1, far below 1e-4).
        boolean any = false;
        for (int g = 0; g < n; g++) {
          any |=
              labels[g] == t.conf()[p]
                  && Math.abs(d.x1() - gt[4 * g]) < 1e-4
                  && Math.abs(d.y1() - gt[4 * g + 1]) < 1e-4
                  && Math.abs(d.x2() - gt[4 * g + 2]) < 1e-4
                  && Math.abs(d.y2() - gt[4 * g + 3]) < 1e-4;
        }
        assertThat(any)
            .as("prior %s (class %s) decodes to a GT box of its class", p, t.conf()[p])
            .isTrue();
      }
    }
  }

  /** Straightforward SPEC §5 with Box.iou. */
  private static int[] naive(float[] gt, int[] labels, float[] priors) {
    int n = labels.length;
    int p = priors.length / 4;
    float[][] iou = new float[n][p];
    for (int g = 0; g < n; g++) {
      Box a = Box.of(gt[4 * g], gt[4 * g + 1], gt[4 * g + 2], gt[4 * g + 3]);
      for (int j = 0; j < p; j++) {
        float cx = priors[4 * j];
        float cy = priors[4 * j + 1];
        float w = priors[4 * j + 2];
        float h = priors[4 * j + 3];
        iou[g][j] = a.iou(Box.of(cx - w / 2f, cy - h / 2f, cx + w / 2f, cy + h / 2f));
      }
    }
    float[] best = new float[p];
    int[] truth = new int[p];
    for (int j = 0; j < p; j++) {
      best[j] = -1;
      for (int g = 0; g < n; g++) {
        if (iou[g][j] > best[j]) {
          best[j] = iou[g][j];
          truth[j] = g;
        }
      }
    }
    for (int g = 0; g < n; g++) {
      int bp = 0;
      for (int j = 1; j < p; j++) {
        if (iou[g][j] > iou[g][bp]) {
          bp = j;
        }
      }
      best[bp] = 2;
      truth[bp] = g;
    }
    int[] conf = new int[p];
    for (int j = 0; j < p; j++) {
      conf[j] = best[j] < 0.5f ? 0 : labels[truth[j]];
    }
    return conf;
  }
}
