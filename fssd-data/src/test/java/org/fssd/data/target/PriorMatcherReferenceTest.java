package org.fssd.data.target;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.fssd.box.PriorBoxes;
import org.fssd.box.PriorConfig;
import org.junit.jupiter.api.Test;

/**
 * SPEC §5 against the PyTorch oracle {@code tools/reference/make_match_fixtures.py}: the same
 * positive priors with the same labels, loc targets within 1e-4 (the oracle encodes in float64, we
 * in float32).
 */
class PriorMatcherReferenceTest {

  @Test
  void matchingEqualsTheReference() throws Exception {
    JsonNode root;
    try (InputStream in = getClass().getResourceAsStream("match_cases.json")) {
      root = new ObjectMapper().readTree(in);
    }
    float[] priors = PriorBoxes.generate(PriorConfig.voc300());
    int cases = 0;
    for (JsonNode c : root.get("cases")) {
      JsonNode gtNode = c.get("gt");
      float[] gt = new float[gtNode.size() * 4];
      int[] labels = new int[gtNode.size()];
      for (int i = 0; i < gtNode.size(); i++) {
        for (int k = 0; k < 4; k++) {
          gt[i * 4 + k] = gtNode.get(i).get(k).floatValue();
        }
        labels[i] = c.get("labels").get(i).intValue();
      }
      PriorMatcher.Targets t =
          PriorMatcher.match(gt, labels, priors, 0.5f, new double[] {0.1, 0.2});
      Map<Integer, JsonNode> expected = new HashMap<>();
      c.get("positives").forEach(p -> expected.put(p.get("prior").intValue(), p));
      assertThat(t.positives()).as(c.get("name").asText()).isEqualTo(expected.size());
      for (int p = 0; p < priors.length / 4; p++) {
        JsonNode e = expected.get(p);
        if (e == null) {
          assertThat(t.conf()[p]).as("%s prior %s", c.get("name").asText(), p).isZero();
          continue;
        }
        assertThat(t.conf()[p])
            .as("%s prior %s label", c.get("name").asText(), p)
            .isEqualTo(e.get("label").intValue());
        for (int k = 0; k < 4; k++) {
          assertThat((double) t.loc()[p * 4 + k])
              .as("%s prior %s loc %s", c.get("name").asText(), p, k)
              .isCloseTo(
                  e.get("loc").get(k).doubleValue(), org.assertj.core.data.Offset.offset(1e-4));
        }
      }
      cases++;
    }
    assertThat(cases).isEqualTo(6);
  }
}
