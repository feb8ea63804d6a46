package org.fssd.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.fssd.image.BgrImage;
import org.junit.jupiter.api.Test;

class ShapesDatasetTest {

  @Test
  void sameSeedSamePixelsAndBoxes() {
    ShapesDataset a = ShapesDataset.builder().count(5).imageSize(96, 64).seed(42).build();
    ShapesDataset b = ShapesDataset.builder().count(5).imageSize(96, 64).seed(42).build();
    ShapesDataset c = ShapesDataset.builder().count(5).imageSize(96, 64).seed(43).build();
    for (int i = 4; i >= 0; i--) {
      try (Sample sa = a.sample(i);
          Sample sb = b.sample(i);
          Sample sc = c.sample(i)) {
        assertThat(sa.image().toBgrBytes()).isEqualTo(sb.image().toBgrBytes());
        assertThat(sa.annotation()).isEqualTo(sb.annotation());
        assertThat(sa.image().toBgrBytes()).isNotEqualTo(sc.image().toBgrBytes());
        assertThat(sa.image().width()).isEqualTo(96);
        assertThat(sa.image().height()).isEqualTo(64);
      }
    }
    assertThat(a.labels().objectClasses()).containsExactlyElementsOf(ShapesDataset.SHAPES);
  }

  @Test
  void boxesAreTightAroundTheDrawnShapes() {
    // Plain background, no noise: every non-background pixel belongs to a shape.
    ShapesDataset ds =
        ShapesDataset.builder()
            .count(40)
            .imageSize(120, 90)
            .seed(7)
            .noise(0)
            .texture(false)
            .shapesPerImage(1, 5)
            .shapes(ShapesDataset.ALL_SHAPES)
            .build();
    int boxes = 0;
    for (int i = 0; i < ds.size(); i++) {
      try (Sample s = ds.sample(i)) {
        BgrImage img = s.image();
        byte[] px = img.toBgrBytes();
        int w = img.width();
        int h = img.height();
        boolean[] fg = new boolean[w * h];
        // background colour = the most common pixel value
        java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
        for (int p = 0; p < w * h; p++) {
          counts.merge(rgb(px, p), 1, Integer::sum);
        }
        int bg =
            counts.entrySet().stream()
                .max(java.util.Map.Entry.comparingByValue())
                .orElseThrow()
                .getKey();
        for (int p = 0; p < w * h; p++) {
          fg[p] = rgb(px, p) != bg;
        }
        boolean[] covered = new boolean[w * h];
        for (GtBox g : s.annotation().boxes()) {
          boxes++;
          int x1 = (int) g.box().x1();
          int y1 = (int) g.box().y1();
          int x2 = (int) g.box().x2();
          int y2 = (int) g.box().y2();
          assertThat(x1).isGreaterThanOrEqualTo(0);
          assertThat(y1).isGreaterThanOrEqualTo(0);
          assertThat(x2).isLessThan(w);
          assertThat(y2).isLessThan(h);
          for (int y = y1; y <= y2; y++) {
            for (int x = x1; x <= x2; x++) {
              covered[y * w + x] = true;
            }
          }
          // each edge of the box touches a foreground pixel
          assertThat(anyFg(fg, w, x1, y1, x1, y2)).as("left edge %s", g).isTrue();
          assertThat(anyFg(fg, w, x2, y1, x2, y2)).as("right edge %s", g).isTrue();
          assertThat(anyFg(fg, w, x1, y1, x2, y1)).as("top edge %s", g).isTrue();
          assertThat(anyFg(fg, w, x1, y2, x2, y2)).as("bottom edge %s", g).isTrue();
        }
        for (int p = 0; p < w * h; p++) {
          if (fg[p]) {
            assertThat(covered[p]).as("pixel %s of image %s outside every box", p, i).isTrue();
          }
        }
      }
    }
    assertThat(boxes).isGreaterThan(60);
  }

  @Test
  void hardPresetDrawsAllTenClasses() {
    ShapesDataset ds =
        ShapesDataset.builder().preset(ShapesDataset.Preset.HARD).count(40).seed(3).build();
    assertThat(ds.labels().objectClasses()).containsExactlyElementsOf(ShapesDataset.ALL_SHAPES);
    assertThat(ds.labels().objectClasses()).hasSize(10);
    java.util.Set<Integer> seen = new java.util.TreeSet<>();
    int small = 0;
    for (int i = 0; i < ds.size(); i++) {
      for (GtBox g : ds.annotation(i).boxes()) {
        seen.add(g.label());
        if (Math.max(g.box().x2() - g.box().x1(), g.box().y2() - g.box().y1()) + 1 < 30) {
          small++;
        }
      }
    }
    assertThat(seen).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    // below FSSD300's smallest prior (30 px)
    assertThat(small).isGreaterThan(10);
  }

  @Test
  void clutterChangesPixelsButNeverTheAnnotation() {
    ShapesDataset with =
        ShapesDataset.builder().preset(ShapesDataset.Preset.HARD).count(6).seed(5).build();
    ShapesDataset without =
        ShapesDataset.builder()
            .preset(ShapesDataset.Preset.HARD)
            .clutter(0)
            .count(6)
            .seed(5)
            .build();
    for (int i = 0; i < 6; i++) {
      try (Sample a = with.sample(i);
          Sample b = without.sample(i)) {
        assertThat(a.annotation()).isEqualTo(b.annotation());
        assertThat(a.image().toBgrBytes()).isNotEqualTo(b.image().toBgrBytes());
      }
    }
  }

  @Test
  void shapesMustBeKnownAndDistinct() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ShapesDataset.builder().shapes(java.util.List.of("circle", "blob")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blob");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ShapesDataset.builder().shapes(java.util.List.of("ring", "ring")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("repeat");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ShapesDataset.builder().clutter(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("clutter");
  }

  private static int rgb(byte[] px, int p) {
    return ((px[3 * p] & 0xFF) << 16) | ((px[3 * p + 1] & 0xFF) << 8) | (px[3 * p + 2] & 0xFF);
  }

  private static boolean anyFg(boolean[] fg, int w, int xa, int ya, int xb, int yb) {
    for (int y = ya; y <= yb; y++) {
      for (int x = xa; x <= xb; x++) {
        if (fg[y * w + x]) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void separatedPresetNeverLetsBoxesTouch() {
    ShapesDataset ds =
        ShapesDataset.builder().preset(ShapesDataset.Preset.SEPARATED).count(60).seed(11).build();
    int boxes = 0;
    for (int i = 0; i < ds.size(); i++) {
      java.util.List<GtBox> b = ds.annotation(i).boxes();
      boxes += b.size();
      for (int p = 0; p < b.size(); p++) {
        for (int q = p + 1; q < b.size(); q++) {
          org.fssd.box.Box u = b.get(p).box();
          org.fssd.box.Box v = b.get(q).box();
          boolean disjoint =
              u.x2() < v.x1() || v.x2() < u.x1() || u.y2() < v.y1() || v.y2() < u.y1();
          assertThat(disjoint).as("image %s boxes %s and %s", i, u, v).isTrue();
        }
        // 10..45 % of 300 px, rotation can only shrink the box below the side
        double side =
            Math.max(
                    b.get(p).box().x2() - b.get(p).box().x1(),
                    b.get(p).box().y2() - b.get(p).box().y1())
                + 1;
        assertThat(side).isLessThanOrEqualTo(0.45 * 300 * 1.5);
      }
    }
    assertThat(boxes).isGreaterThan(60);
  }

  @Test
  void standardPresetIsTheDefaultGenerator() {
    ShapesDataset a = ShapesDataset.builder().count(5).seed(4).build();
    ShapesDataset b =
        ShapesDataset.builder()
            .preset(ShapesDataset.Preset.HARD)
            .preset(ShapesDataset.Preset.STANDARD)
            .count(5)
            .seed(4)
            .build();
    for (int i = 0; i < 5; i++) {
      assertThat(b.annotation(i)).isEqualTo(a.annotation(i));
    }
  }
}
