package org.fssd.box;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PriorConfigTest {

  @Test
  void presetCounts() {
    // 38^2*6 + 19^2*6 + 10^2*6 + 5^2*6 + 3^2*4 + 1*4 = 8664 + 2166 + 600 + 150 + 36 + 4
    assertThat(PriorConfig.voc300().numPriors()).isEqualTo(11620);
    assertThat(PriorConfig.coco300().numPriors()).isEqualTo(11620);
    // 64^2*6 + 32^2*6 + 16^2*6 + 8^2*6 + 4^2*6 + 2^2*4 + 1*4
    assertThat(PriorConfig.voc512().numPriors()).isEqualTo(32756);
    assertThat(PriorConfig.coco512().numPriors()).isEqualTo(32756);
  }

  @Test
  void voc300LevelsAndOffsets() {
    PriorConfig c = PriorConfig.voc300();
    assertThat(c.numLevels()).isEqualTo(6);
    assertThat(c.imageSize()).isEqualTo(300);
    int[] perLocation = new int[6];
    int[] offsets = new int[6];
    for (int k = 0; k < 6; k++) {
      perLocation[k] = c.priorsPerLocation(k);
      offsets[k] = c.levelOffset(k);
    }
    assertThat(perLocation).containsExactly(6, 6, 6, 6, 4, 4);
    assertThat(offsets).containsExactly(0, 8664, 10830, 11430, 11580, 11616);
    assertThat(c.priorIndex(0, 0, 0, 0)).isZero();
    assertThat(c.priorIndex(0, 1, 2, 3)).isEqualTo((38 + 2) * 6 + 3);
    assertThat(c.priorIndex(5, 0, 0, 3)).isEqualTo(11619);
    assertThat(c.variances()).containsExactly(0.1, 0.2);
    assertThat(c.clip()).isTrue();
  }

  @Test
  void voc512AndCocoNumbers() {
    PriorConfig v = PriorConfig.voc512();
    assertThat(v.featureMaps()).containsExactly(64, 32, 16, 8, 4, 2, 1);
    assertThat(v.steps()).containsExactly(8, 16, 32, 64, 128, 256, 512);
    assertThat(v.minSizes()).containsExactly(35.84, 76.8, 153.6, 230.4, 307.2, 384.0, 460.8);
    assertThat(v.maxSizes()).containsExactly(76.8, 153.6, 230.4, 307.2, 384.0, 460.8, 537.6);
    assertThat(v.aspectRatios(4)).containsExactly(2, 3);
    assertThat(v.aspectRatios(5)).containsExactly(2);
    PriorConfig c3 = PriorConfig.coco300();
    assertThat(c3.minSizes()).containsExactly(21, 45, 99, 153, 207, 261);
    assertThat(c3.maxSizes()).containsExactly(45, 99, 153, 207, 261, 315);
    PriorConfig c5 = PriorConfig.coco512();
    assertThat(c5.minSizes()).containsExactly(20.48, 51.2, 133.12, 215.04, 296.96, 378.88, 460.8);
    assertThat(c5.maxSizes()).containsExactly(51.2, 133.12, 215.04, 296.96, 378.88, 460.8, 542.72);
  }

  @Test
  void gettersReturnCopies() {
    PriorConfig c = PriorConfig.voc300();
    c.featureMaps()[0] = 99;
    c.steps()[0] = 99;
    c.minSizes()[0] = 99;
    c.maxSizes()[0] = 99;
    c.aspectRatios()[0][0] = 99;
    c.aspectRatios(0)[0] = 99;
    c.variances()[0] = 99;
    assertThat(c).isEqualTo(PriorConfig.voc300());
    assertThat(c.featureMap(0)).isEqualTo(38);
  }

  @Test
  void equalsHashCodeToBuilder() {
    PriorConfig c = PriorConfig.voc300();
    assertThat(c).isEqualTo(PriorConfig.voc300()).hasSameHashCodeAs(PriorConfig.voc300());
    assertThat(c.toBuilder().build()).isEqualTo(c);
    assertThat(c).isNotEqualTo(PriorConfig.coco300()).isNotEqualTo(PriorConfig.voc512());
    assertThat(c.toBuilder().clip(false).build()).isNotEqualTo(c);
    assertThat(c.toBuilder().variances(0.1, 0.3).build()).isNotEqualTo(c);
    assertThat(c.toString()).contains("imageSize=300").contains("numPriors=11620");
  }

  @Test
  void validation() {
    PriorConfig.Builder ok = PriorConfig.voc300().toBuilder();
    assertThatThrownBy(() -> ok.steps(8, 16).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("steps has 2 entries");
    assertThatThrownBy(() -> PriorConfig.voc300().toBuilder().imageSize(0).build())
        .hasMessageContaining("imageSize");
    assertThatThrownBy(
            () -> PriorConfig.voc300().toBuilder().featureMaps(38, 19, 0, 5, 3, 1).build())
        .hasMessageContaining("featureMaps[2]");
    assertThatThrownBy(
            () -> PriorConfig.voc300().toBuilder().minSizes(30, 60, -1, 162, 213, 264).build())
        .hasMessageContaining("minSizes[2]");
    assertThatThrownBy(
            () ->
                PriorConfig.voc300().toBuilder()
                    .maxSizes(60, 111, 162, Double.NaN, 264, 315)
                    .build())
        .hasMessageContaining("maxSizes[3]");
    assertThatThrownBy(
            () ->
                PriorConfig.voc300().toBuilder()
                    .aspectRatios(new int[][] {{2, 3}, {2, 0}, {2, 3}, {2, 3}, {2}, {2}})
                    .build())
        .hasMessageContaining("aspectRatios[1][1]");
    assertThatThrownBy(() -> PriorConfig.voc300().toBuilder().variances(0, 0.2).build())
        .hasMessageContaining("variance0");
    assertThatThrownBy(() -> PriorConfig.builder().imageSize(300).build())
        .hasMessageContaining("featureMaps not set");
    assertThatThrownBy(() -> PriorConfig.voc300().priorsPerLocation(6))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void customConfigWithoutRatios() {
    PriorConfig c =
        PriorConfig.builder()
            .imageSize(100)
            .featureMaps(2)
            .steps(50)
            .minSizes(10)
            .maxSizes(20)
            .aspectRatios(new int[][] {{}})
            .build();
    assertThat(c.priorsPerLocation(0)).isEqualTo(2);
    assertThat(c.numPriors()).isEqualTo(8);
  }
}
