package org.fssd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fssd.image.TestImages.bgrAt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.fssd.FssdException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnnotatorTest {

  private final ImageLoader loader = ImageLoader.defaults();
  private final Annotator annotator = new Annotator();

  @TempDir Path tmp;

  @Test
  void writesAPngWithTheBoxAndNoTempFile() throws IOException {
    Path out = tmp.resolve("annotated.png");
    try (BgrImage img =
        loader.fromBufferedImage(TestImages.solidBgr(120, 80, 50, 50, 50), "grey")) {
      byte[] before = img.toBgrBytes();
      annotator.writeAnnotatedPng(
          img, List.of(new AnnotatedBox(20.4f, 30f, 90f, 70.6f, 3, "dog 0.87")), out);
      assertThat(img.toBgrBytes()).as("input unchanged").isEqualTo(before);

      try (BgrImage back = loader.load(out)) {
        assertThat(back.width()).isEqualTo(120);
        assertThat(back.height()).isEqualTo(80);
        byte[] bgr = back.toBgrBytes();
        int[] colour = Annotator.colorBgr(3);
        // left edge of the box (x = 20, rounded), half way down; bottom edge (y = 71)
        assertThat(bgrAt(bgr, 120, 20, 50)).containsExactly(colour);
        assertThat(bgrAt(bgr, 120, 55, 71)).containsExactly(colour);
        // inside and outside the box the picture is untouched
        assertThat(bgrAt(bgr, 120, 55, 50)).containsExactly(50, 50, 50);
        assertThat(bgrAt(bgr, 120, 5, 75)).containsExactly(50, 50, 50);
        // the caption background sits above the box, in the box colour
        assertThat(bgrAt(bgr, 120, 21, 28)).containsExactly(colour);
      }
    }
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files).containsExactly(out);
    }
  }

  @Test
  void boxesPastTheEdgesAreClippedAndCaptionsFitAtTheTop() {
    try (BgrImage img = loader.fromBufferedImage(TestImages.solidBgr(40, 30, 0, 0, 0), "small");
        BgrImage drawn =
            annotator.draw(
                img,
                List.of(
                    new AnnotatedBox(-10f, -5f, 100f, 200f, 0, "person"),
                    new AnnotatedBox(5f, 5f, 5f, 5f, 25, "")))) {
      byte[] bgr = drawn.toBgrBytes();
      int[] c0 = Annotator.colorBgr(0);
      assertThat(bgrAt(bgr, 40, 0, 20)).containsExactly(c0); // left border clipped to x = 0
      assertThat(bgrAt(bgr, 40, 39, 20)).containsExactly(c0); // right border clipped to x = 39
      assertThat(bgrAt(bgr, 40, 20, 29)).containsExactly(c0); // bottom clipped to y = 29
      assertThat(bgrAt(bgr, 40, 5, 5)).containsExactly(Annotator.colorBgr(25));
    }
  }

  @Test
  void aBoxOnPixelsOfItsOwnColourKeepsAContrastingOutline() {
    int[] orange = Annotator.colorBgr(3); // Okabe-Ito orange, a light colour
    try (BgrImage img =
            loader.fromBufferedImage(
                TestImages.solidBgr(100, 100, orange[0], orange[1], orange[2]), "orange");
        BgrImage drawn =
            annotator.draw(img, List.of(new AnnotatedBox(20f, 40f, 80f, 90f, 3, "")))) {
      byte[] bgr = drawn.toBgrBytes();
      assertThat(Annotator.outlineBgr(3)).containsExactly(0, 0, 0);
      assertThat(bgrAt(bgr, 100, 20, 60)).as("the line").containsExactly(orange);
      assertThat(bgrAt(bgr, 100, 19, 60)).as("outline outside the line").containsExactly(0, 0, 0);
      assertThat(bgrAt(bgr, 100, 21, 60)).as("outline inside the line").containsExactly(0, 0, 0);
      assertThat(bgrAt(bgr, 100, 50, 65)).as("the object is untouched").containsExactly(orange);
    }
    assertThat(Annotator.outlineBgr(0))
        .as("white around the dark blue")
        .containsExactly(255, 255, 255);
  }

  @Test
  void aCaptionOfABoxAtTheTopEdgeGoesBelowTheBoxNotOverTheObject() {
    try (BgrImage img =
            loader.fromBufferedImage(TestImages.solidBgr(120, 120, 50, 50, 50), "grey");
        BgrImage drawn =
            annotator.draw(img, List.of(new AnnotatedBox(10f, 0f, 100f, 60f, 2, "cat 0.9")))) {
      byte[] bgr = drawn.toBgrBytes();
      int[] colour = Annotator.colorBgr(2);
      // the top of the box's inside is not covered by a label
      for (int x = 13; x < 60; x++) {
        assertThat(bgrAt(bgr, 120, x, 5))
            .as("inside the box at x=%d", x)
            .containsExactly(50, 50, 50);
      }
      // the label's background is just below the bottom edge
      assertThat(bgrAt(bgr, 120, 11, 66)).as("label below the box").containsExactly(colour);
    }
  }

  @Test
  void labelPlacement() {
    assertThat(Annotator.labelTop(50, 90, 20, 200, 1)).as("above").isEqualTo(30);
    assertThat(Annotator.labelTop(5, 90, 20, 200, 1)).as("below").isEqualTo(92);
    assertThat(Annotator.labelTop(5, 190, 20, 200, 1))
        .as("inside, no room above or below")
        .isEqualTo(5);
    assertThat(Annotator.labelTop(0, 195, 20, 200, 1)).as("inside at the top").isEqualTo(0);
  }

  @Test
  void paletteAndThickness() {
    assertThat(Annotator.colorBgr(0)).containsExactly(0xB2, 0x72, 0x00); // Okabe-Ito blue
    assertThat(Annotator.colorBgr(1)).containsExactly(0x00, 0x5E, 0xD5); // vermillion
    for (int k = 0; k < 45; k++) {
      int rgb = Palette.rgb(k);
      assertThat(Annotator.colorBgr(k)).containsExactly(rgb & 0xFF, (rgb >> 8) & 0xFF, rgb >> 16);
    }
    assertThat(Annotator.colorBgr(Palette.size())).containsExactly(Annotator.colorBgr(0));
    assertThat(Annotator.colorBgr(1)).isNotEqualTo(Annotator.colorBgr(0));
    assertThatThrownBy(() -> Annotator.colorBgr(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(Annotator.lineThickness(300, 300)).isEqualTo(1);
    assertThat(Annotator.lineThickness(1920, 1080)).isEqualTo(5);
    assertThat(Annotator.lineThickness(1, 1)).isEqualTo(1);
  }

  @Test
  void encodePngRoundTripsExactly() {
    try (BgrImage img = loader.fromBufferedImage(TestImages.pattern(31, 19), "p")) {
      byte[] png = Annotator.encodePng(img);
      assertThat(png).startsWith(0x89, 'P', 'N', 'G');
      try (BgrImage back = loader.load(png, "back")) {
        assertThat(back.toBgrBytes()).isEqualTo(img.toBgrBytes());
      }
    }
  }

  @Test
  void replacesAnExistingFile() throws IOException {
    Path out = tmp.resolve("x.png");
    Files.writeString(out, "old");
    try (BgrImage img = loader.fromBufferedImage(TestImages.solidBgr(8, 6, 1, 2, 3), "s")) {
      annotator.writeAnnotatedPng(img, List.of(), out);
    }
    try (BgrImage back = loader.load(out)) {
      assertThat(bgrAt(back.toBgrBytes(), 8, 4, 4)).containsExactly(1, 2, 3);
    }
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files).containsExactly(out);
    }
  }

  @Test
  void missingDirectoryFailsClearlyAndLeavesNothing() {
    Path dir = tmp.resolve("no/such/dir");
    Path out = dir.resolve("a.png");
    try (BgrImage img = loader.fromBufferedImage(TestImages.solidBgr(8, 6, 1, 2, 3), "s")) {
      assertThatThrownBy(() -> annotator.writeAnnotatedPng(img, List.of(), out))
          .isInstanceOf(FssdException.class)
          .hasMessageContaining(out.toString())
          .hasMessageContaining("does not exist");
    }
    assertThat(tmp.resolve("no")).doesNotExist();
  }

  @Test
  void failedMoveLeavesNoTempFile() throws IOException {
    // The target is a non-empty directory: the final rename fails after the temp file was written.
    Path out = tmp.resolve("taken.png");
    Files.createDirectory(out);
    Files.writeString(out.resolve("keep.txt"), "x");
    try (BgrImage img = loader.fromBufferedImage(TestImages.solidBgr(8, 6, 1, 2, 3), "s")) {
      assertThatThrownBy(() -> annotator.writeAnnotatedPng(img, List.of(), out))
          .isInstanceOf(FssdException.class)
          .hasMessageContaining(out.toString());
    }
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files).containsExactly(out);
    }
    assertThat(out.resolve("keep.txt")).exists();
  }

  @Test
  void annotatedBoxValidates() {
    assertThatThrownBy(() -> new AnnotatedBox(Float.NaN, 0, 1, 1, 0, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> new AnnotatedBox(5, 0, 1, 1, 0, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("x2 >= x1");
    assertThatThrownBy(() -> new AnnotatedBox(0, 0, 1, 1, -2, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-2");
    assertThatThrownBy(() -> new AnnotatedBox(0, 0, 1, 1, 0, null))
        .isInstanceOf(NullPointerException.class);
  }
}
