package org.fssd.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.fssd.box.Box;
import org.junit.jupiter.api.Test;

class DetectionTest {
  private static final Box BOX = Box.of(10f, 20f, 110.5f, 220.25f);

  @Test
  void accessors() {
    Detection d = Detection.of(15, "person", 0.75f, BOX);
    assertThat(d.classIndex()).isEqualTo(15);
    assertThat(d.label()).isEqualTo("person");
    assertThat(d.score()).isEqualTo(0.75f);
    assertThat(d.box()).isSameAs(BOX);
    assertThat(d.toString()).isEqualTo("Detection{15 person 0.75 Box[10.0, 20.0, 110.5, 220.25]}");
  }

  @Test
  void validation() {
    assertThatThrownBy(() -> Detection.of(0, "background", 0.5f, BOX))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("classIndex must be >= 1");
    assertThatThrownBy(() -> Detection.of(1, "cat", 1.0001f, BOX))
        .hasMessageContaining("score must be in [0, 1]");
    assertThatThrownBy(() -> Detection.of(1, "cat", -0.1f, BOX)).hasMessageContaining("score");
    assertThatThrownBy(() -> Detection.of(1, "cat", Float.NaN, BOX)).hasMessageContaining("NaN");
    assertThatThrownBy(() -> Detection.of(1, null, 0.5f, BOX))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Detection.of(1, "cat", 0.5f, null))
        .isInstanceOf(NullPointerException.class);
    assertThat(Detection.of(1, "cat", 0f, BOX).score()).isZero();
    assertThat(Detection.of(1, "cat", 1f, BOX).score()).isEqualTo(1f);
  }

  @Test
  void equalsAndHashCode() {
    Detection a = Detection.of(3, "bird", 0.5f, BOX);
    assertThat(a)
        .isEqualTo(Detection.of(3, "bird", 0.5f, Box.of(10f, 20f, 110.5f, 220.25f)))
        .hasSameHashCodeAs(Detection.of(3, "bird", 0.5f, Box.of(10f, 20f, 110.5f, 220.25f)));
    assertThat(a).isNotEqualTo(Detection.of(4, "bird", 0.5f, BOX));
    assertThat(a).isNotEqualTo(Detection.of(3, "boat", 0.5f, BOX));
    assertThat(a).isNotEqualTo(Detection.of(3, "bird", 0.51f, BOX));
    assertThat(a).isNotEqualTo(Detection.of(3, "bird", 0.5f, Box.of(10f, 20f, 110.5f, 221f)));
    assertThat(Detection.of(3, "bird", -0.0f, BOX))
        .isEqualTo(Detection.of(3, "bird", 0f, BOX))
        .hasSameHashCodeAs(Detection.of(3, "bird", 0f, BOX));
  }
}
