package org.fssd.box;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BoxTest {
  private static final float EPS = 1e-6f;

  @Test
  void accessorsAndSizes() {
    Box b = Box.of(1f, 2f, 4f, 8f);
    assertThat(b.x1()).isEqualTo(1f);
    assertThat(b.y1()).isEqualTo(2f);
    assertThat(b.x2()).isEqualTo(4f);
    assertThat(b.y2()).isEqualTo(8f);
    assertThat(b.width()).isEqualTo(3f);
    assertThat(b.height()).isEqualTo(6f);
    assertThat(b.area()).isEqualTo(18f);
    assertThat(b.centerX()).isEqualTo(2.5f);
    assertThat(b.centerY()).isEqualTo(5f);
    assertThat(Box.ofCenter(2.5f, 5f, 3f, 6f)).isEqualTo(b);
  }

  @Test
  void rejectsNonFiniteAndSwappedCoordinates() {
    assertThatThrownBy(() -> Box.of(Float.NaN, 0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("finite")
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> Box.of(0, 0, Float.POSITIVE_INFINITY, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Infinity");
    assertThatThrownBy(() -> Box.of(0, Float.NEGATIVE_INFINITY, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Box.of(2, 0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("x1 <= x2")
        .hasMessageContaining("x1=2.0");
    assertThatThrownBy(() -> Box.of(0, 2, 1, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * IoU worked out by hand in both conventions: continuous, and pixel (inclusive corners, so a side
   * is x2 - x1 + 1). An expected fraction is held to {@link #EPS}; 0 and 1 exactly (never NaN); an
   * empty one is not checked.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // continuous: inter 5*5 = 25, union 100 + 100 - 25 = 175;
    // pixel: sides 11, inter (10 - 5 + 1)^2 = 36, union 121 + 121 - 36 = 206
    "partial overlap,  0 0 10 10,  5 5 15 15,  25/175, 36/206",
    // continuous: inter = area(inner) = 4, union = 100; pixel: inner 3x3 = 9, outer 11x11 = 121
    "contained,        0 0 10 10,  2 2 4 4,    4/100,  9/121",
    // pixel: w = max(0, 1 - 3 + 1) = 0
    "disjoint,         0 0 1 1,    3 0 4 1,    0,      0",
    // pixel convention: the shared column x = 1 counts: inter 1 x 2 = 2, areas 2 x 2 = 4 each
    "touching,         0 0 1 1,    1 0 2 1,    0,      2/6",
    "one-pixel gap,    0 0 1 1,    2 0 3 1,    ,       0",
    // in the pixel convention a point is one pixel
    "point with itself,3 3 3 3,    3 3 3 3,    0,      1",
    "line with itself, 0 5 10 5,   0 5 10 5,   0,       ",
    "point and line,   3 3 3 3,    0 5 10 5,   0,       ",
    "point in a box,   3 3 3 3,    0 0 10 10,  0,       ",
    "point in its pixel,3 3 3 3,    3 3 4 4,     ,      1/4",
  })
  void handComputedIou(
      String name, String a, String b, @Nullable String iou, @Nullable String iouPixel) {
    assertIou(box(a).iou(box(b)), iou);
    assertIou(box(a).iouPixel(box(b)), iouPixel);
  }

  /** A box from "x1 y1 x2 y2". */
  private static Box box(String corners) {
    String[] c = corners.trim().split(" +");
    return Box.of(
        Float.parseFloat(c[0]),
        Float.parseFloat(c[1]),
        Float.parseFloat(c[2]),
        Float.parseFloat(c[3]));
  }

  private static void assertIou(float actual, @Nullable String expected) {
    if (expected == null) {
      return;
    }
    int slash = expected.indexOf('/');
    if (slash < 0) {
      assertThat(actual).isEqualTo(Float.parseFloat(expected));
    } else {
      float ratio =
          Float.parseFloat(expected.substring(0, slash))
              / Float.parseFloat(expected.substring(slash + 1));
      assertThat(actual).isCloseTo(ratio, within(EPS));
    }
  }

  @Test
  void containment() {
    Box outer = Box.of(0, 0, 10, 10);
    Box inner = Box.of(2, 2, 4, 4);
    assertThat(outer.contains(inner)).isTrue();
    assertThat(inner.contains(outer)).isFalse();
  }

  @Test
  void hugeCoordinatesDoNotOverflowToNaN() {
    Box a = Box.of(-3e38f, -3e38f, 3e38f, 3e38f);
    Box b = Box.of(0, 0, 3e38f, 3e38f);
    assertThat(a.iou(b)).isCloseTo(0.25f, within(1e-5f));
    assertThat(b.iou(a)).isCloseTo(0.25f, within(1e-5f));
    assertThat(a.iou(a)).isEqualTo(1f);
    assertThat(a.iouPixel(b)).isCloseTo(0.25f, within(1e-5f));
  }

  @Test
  void randomPropertiesSymmetricSelfOneBounded() {
    Random r = new Random(1234);
    for (int t = 0; t < 20000; t++) {
      Box a = randomBox(r);
      Box b = randomBox(r);
      float iou = a.iou(b);
      float pix = a.iouPixel(b);
      assertThat(iou).isBetween(0f, 1f).isEqualTo(b.iou(a));
      assertThat(pix).isBetween(0f, 1f).isEqualTo(b.iouPixel(a));
      assertThat(a.iouPixel(a)).isEqualTo(1f);
      if (a.area() > 0) {
        assertThat(a.iou(a)).isEqualTo(1f);
      } else {
        assertThat(a.iou(a)).isZero();
      }
      boolean disjoint = a.x2() < b.x1() || b.x2() < a.x1() || a.y2() < b.y1() || b.y2() < a.y1();
      if (disjoint) {
        assertThat(iou).isZero();
      }
    }
  }

  private static Box randomBox(Random r) {
    // small integer grid: many ties, touching edges and zero-size boxes
    float x1 = r.nextInt(20);
    float y1 = r.nextInt(20);
    return Box.of(x1, y1, x1 + r.nextInt(8), y1 + r.nextInt(8));
  }

  @Test
  void scaleAndClip() {
    Box rel = Box.of(0.25f, 0.5f, 0.75f, 1f);
    assertThat(rel.scale(640, 480)).isEqualTo(Box.of(160, 240, 480, 480));
    Box out = Box.of(-5, -1, 700, 300);
    assertThat(out.clip(640, 480)).isEqualTo(Box.of(0, 0, 640, 300));
    assertThatThrownBy(() -> rel.scale(0, 1)).hasMessageContaining("sx");
    assertThatThrownBy(() -> rel.clip(1, Float.NaN)).hasMessageContaining("maxY");
  }

  @Test
  void equalsHashCodeToString() {
    Box a = Box.of(0f, 1f, 2f, 3f);
    assertThat(a).isEqualTo(Box.of(0f, 1f, 2f, 3f)).hasSameHashCodeAs(Box.of(0f, 1f, 2f, 3f));
    Box negZero = Box.of(-0.0f, 1f, 2f, 3f);
    assertThat(negZero).isEqualTo(a).hasSameHashCodeAs(a);
    assertThat(a).isNotEqualTo(Box.of(0f, 1f, 2f, 3.0001f)).isNotEqualTo(null).isNotEqualTo("x");
    assertThat(Box.of(0.5f, 1f, 2f, 3.25f).toString()).isEqualTo("Box[0.5, 1.0, 2.0, 3.25]");
  }
}
