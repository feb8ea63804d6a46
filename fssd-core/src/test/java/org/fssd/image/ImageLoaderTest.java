package org.fssd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.fssd.image.TestImages.bgrAt;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.fssd.ImageDecodeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageLoaderTest {

  private final ImageLoader loader = ImageLoader.defaults();

  @TempDir Path tmp;

  // ---- formats and pixel values -------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"png", "bmp", "gif", "tiff"})
  void losslessFormatsDecodeToExactBgr(String format) {
    // A pure colour survives PNG/BMP exactly, GIF too (few colours -> exact palette).
    byte[] bytes = TestImages.encode(TestImages.solidBgr(7, 5, 10, 200, 250), format);
    try (BgrImage img = loader.load(bytes, "solid." + format)) {
      assertThat(img.width()).isEqualTo(7);
      assertThat(img.height()).isEqualTo(5);
      assertThat(img.source()).isEqualTo("solid." + format);
      byte[] bgr = img.toBgrBytes();
      for (int i = 0; i < bgr.length; i += 3) {
        assertThat(new int[] {bgr[i] & 0xFF, bgr[i + 1] & 0xFF, bgr[i + 2] & 0xFF})
            .containsExactly(10, 200, 250);
      }
    }
  }

  /**
   * {@code load} fails with an {@link ImageDecodeException} whose message names {@code source} (a
   * path or a name); the caller asserts the rest of the message.
   */
  private static AbstractThrowableAssert<?, ? extends Throwable> assertRefusedNaming(
      Object source, ThrowingCallable load) {
    return assertThatThrownBy(load)
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining(source.toString());
  }

  @Test
  void pngPatternDecodesPixelForPixel() {
    BufferedImage src = TestImages.pattern(33, 17);
    try (BgrImage img = loader.load(TestImages.encode(src, "png"))) {
      assertThat(img.source()).isEqualTo("<bytes>");
      byte[] bgr = img.toBgrBytes();
      for (int y = 0; y < 17; y++) {
        for (int x = 0; x < 33; x++) {
          int rgb = TestImages.rgbOfPattern(x, y);
          assertThat(bgrAt(bgr, 33, x, y))
              .as("pixel (%d, %d)", x, y)
              .containsExactly(rgb & 0xFF, (rgb >> 8) & 0xFF, (rgb >> 16) & 0xFF);
        }
      }
    }
  }

  @Test
  void jpegDecodesToRightSizeAndApproximateColour() {
    byte[] bytes = TestImages.encode(TestImages.solidBgr(40, 24, 30, 140, 220), "jpg");
    try (BgrImage img = loader.load(bytes, "solid.jpg")) {
      assertThat(img.width()).isEqualTo(40);
      assertThat(img.height()).isEqualTo(24);
      int[] px = bgrAt(img.toBgrBytes(), 40, 20, 12);
      // Lossy + YCbCr round trip: a few levels of error.
      assertThat(px[0]).isBetween(30 - 6, 30 + 6);
      assertThat(px[1]).isBetween(140 - 6, 140 + 6);
      assertThat(px[2]).isBetween(220 - 6, 220 + 6);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"png", "jpg"})
  void grayscaleIsReplicatedToThreeChannels(String format) {
    BufferedImage gray = new BufferedImage(9, 6, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 9; x++) {
        gray.getRaster().setSample(x, y, 0, 77);
      }
    }
    try (BgrImage img = loader.load(TestImages.encode(gray, format), "gray." + format)) {
      assertThat(img.mat().channels()).isEqualTo(3);
      int[] px = bgrAt(img.toBgrBytes(), 9, 4, 3);
      assertThat(px[0]).isEqualTo(px[1]).isEqualTo(px[2]);
      if (format.equals("png")) {
        assertThat(px[0]).isEqualTo(77);
      } else {
        assertThat(px[0]).isBetween(75, 79);
      }
    }
  }

  @Test
  void rgbaPngDropsAlpha() {
    BufferedImage argb = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        // half transparent at the left, opaque at the right; colour (r=200, g=100, b=50)
        int alpha = x < 2 ? 0x40 : 0xFF;
        argb.setRGB(x, y, (alpha << 24) | (200 << 16) | (100 << 8) | 50);
      }
    }
    byte[] png = TestImages.encode(argb, "png");
    try (BgrImage img = loader.load(png, "rgba.png");
        BgrImage fromBuffered = loader.fromBufferedImage(argb, "rgba")) {
      byte[] bgr = img.toBgrBytes();
      assertThat(bgrAt(bgr, 4, 0, 0)).containsExactly(50, 100, 200); // not darkened: alpha dropped
      assertThat(bgrAt(bgr, 4, 3, 3)).containsExactly(50, 100, 200);
      // The BufferedImage path follows the same policy.
      assertThat(fromBuffered.toBgrBytes()).isEqualTo(bgr);
    }
  }

  @Test
  void palettePngIsExpanded() {
    int[] entries = {0xFF0000, 0x00FF00, 0x0000FF, 0x123456};
    BufferedImage indexed = TestImages.palette(6, 3, entries);
    try (BgrImage img = loader.load(TestImages.encode(indexed, "png"), "palette.png");
        BgrImage fromBuffered = loader.fromBufferedImage(indexed)) {
      byte[] bgr = img.toBgrBytes();
      for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 6; x++) {
          int rgb = entries[(x + y) % 4];
          assertThat(bgrAt(bgr, 6, x, y))
              .containsExactly(rgb & 0xFF, (rgb >> 8) & 0xFF, (rgb >> 16) & 0xFF);
        }
      }
      assertThat(fromBuffered.toBgrBytes()).isEqualTo(bgr);
      assertThat(fromBuffered.source()).isEqualTo("<BufferedImage>");
    }
  }

  @Test
  void sixteenBitPngsKeepTheHighByte() {
    BufferedImage gray16 = new BufferedImage(5, 4, BufferedImage.TYPE_USHORT_GRAY);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 5; x++) {
        gray16.getRaster().setSample(x, y, 0, 0xAB80);
      }
    }
    BufferedImage rgb16 = TestImages.rgb16(5, 4, 0x1280, 0x7F80, 0xF0F0);
    try (BgrImage g = loader.load(TestImages.encode(gray16, "png"), "gray16.png");
        BgrImage c = loader.load(TestImages.encode(rgb16, "png"), "rgb16.png");
        BgrImage gBuffered = loader.fromBufferedImage(gray16, "gray16")) {
      // OpenCV strips 16 -> 8 bits (high byte); allow 1 level in case of a rounding libpng.
      int[] gp = bgrAt(g.toBgrBytes(), 5, 2, 2);
      assertThat(gp[0]).isBetween(0xAB, 0xAC);
      assertThat(gp[1]).isEqualTo(gp[0]);
      assertThat(gp[2]).isEqualTo(gp[0]);
      int[] cp = bgrAt(c.toBgrBytes(), 5, 2, 2);
      assertThat(cp[0]).isBetween(0xF0, 0xF1); // B
      assertThat(cp[1]).isBetween(0x7F, 0x80); // G
      assertThat(cp[2]).isBetween(0x12, 0x13); // R
      assertThat(bgrAt(gBuffered.toBgrBytes(), 5, 2, 2)).containsExactly(0xAB, 0xAB, 0xAB);
    }
  }

  @Test
  void cmykJpegIsConvertedToBgr() throws IOException {
    // Fixture from gen_fixtures.py: left 8x8 pure red, right 8x8 pure blue, CMYK with Adobe marker.
    byte[] bytes = resource("cmyk.jpg");
    try (BgrImage img = loader.load(bytes, "cmyk.jpg")) {
      assertThat(img.width()).isEqualTo(16);
      assertThat(img.height()).isEqualTo(8);
      byte[] bgr = img.toBgrBytes();
      int[] red = bgrAt(bgr, 16, 3, 4);
      int[] blue = bgrAt(bgr, 16, 12, 4);
      assertThat(red[0]).isLessThan(30);
      assertThat(red[1]).isLessThan(30);
      assertThat(red[2]).isGreaterThan(225);
      assertThat(blue[0]).isGreaterThan(225);
      assertThat(blue[1]).isLessThan(30);
      assertThat(blue[2]).isLessThan(30);
    }
  }

  @Test
  void exifOrientationIsAppliedLikeCv2Imread() throws IOException {
    // Stored 16x8, left red / right blue, EXIF orientation 6 (rotate 90 CW to display):
    // displayed 8 wide x 16 high, red on top.
    try (BgrImage img = loader.load(resource("exif_rotate90cw.jpg"), "exif.jpg")) {
      assertThat(img.width()).isEqualTo(8);
      assertThat(img.height()).isEqualTo(16);
      byte[] bgr = img.toBgrBytes();
      int[] top = bgrAt(bgr, 8, 4, 3);
      int[] bottom = bgrAt(bgr, 8, 4, 12);
      assertThat(top[2]).as("top is red").isGreaterThan(200);
      assertThat(top[0]).isLessThan(60);
      assertThat(bottom[0]).as("bottom is blue").isGreaterThan(200);
      assertThat(bottom[2]).isLessThan(60);
    }
  }

  @Test
  void ppmGoesThroughOpenCvWithExactPixels() {
    byte[] rgb = new byte[3 * 4 * 3];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) (i * 7);
    }
    try (BgrImage img = loader.load(TestImages.ppm(4, 3, rgb), "t.ppm")) {
      assertThat(img.width()).isEqualTo(4);
      assertThat(img.height()).isEqualTo(3);
      byte[] bgr = img.toBgrBytes();
      for (int p = 0; p < 12; p++) {
        assertThat(bgr[3 * p]).isEqualTo(rgb[3 * p + 2]);
        assertThat(bgr[3 * p + 1]).isEqualTo(rgb[3 * p + 1]);
        assertThat(bgr[3 * p + 2]).isEqualTo(rgb[3 * p]);
      }
    }
  }

  @Test
  void loadsFromFileWithPathAsSource() throws IOException {
    Path file = tmp.resolve("a b.png");
    Files.write(file, TestImages.encode(TestImages.solidBgr(3, 2, 1, 2, 3), "png"));
    try (BgrImage img = loader.load(file)) {
      assertThat(img.source()).isEqualTo(file.toString());
      assertThat(img.width()).isEqualTo(3);
      assertThat(bgrAt(img.toBgrBytes(), 3, 2, 1)).containsExactly(1, 2, 3);
    }
  }

  // ---- BufferedImage and raw BGR -------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      ints = {
        BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB,
        BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_BGR, BufferedImage.TYPE_INT_ARGB_PRE,
        BufferedImage.TYPE_4BYTE_ABGR_PRE, BufferedImage.TYPE_USHORT_565_RGB
      })
  void bufferedImageColourTypesGiveTheSameBgr(int type) {
    BufferedImage src = new BufferedImage(11, 7, type);
    for (int y = 0; y < 7; y++) {
      for (int x = 0; x < 11; x++) {
        // 565-exact values (multiples of 8 / 4 that survive expansion) so every type can hold them.
        src.setRGB(x, y, 0xFF000000 | (0xF8 << 16) | (0x84 << 8) | (y * 8 + x * 8 & 0xF8));
      }
    }
    try (BgrImage img = loader.fromBufferedImage(src, "typed")) {
      byte[] bgr = img.toBgrBytes();
      for (int y = 0; y < 7; y++) {
        for (int x = 0; x < 11; x++) {
          int argb = src.getRGB(x, y);
          assertThat(bgrAt(bgr, 11, x, y))
              .as("type %d pixel (%d, %d)", type, x, y)
              .containsExactly(argb & 0xFF, (argb >> 8) & 0xFF, (argb >> 16) & 0xFF);
        }
      }
    }
  }

  @Test
  void byteGrayBufferedImageIsReplicatedWithoutColourManagement() {
    BufferedImage gray = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(1, 1, 0, 128);
    try (BgrImage img = loader.fromBufferedImage(gray)) {
      assertThat(bgrAt(img.toBgrBytes(), 3, 1, 1)).containsExactly(128, 128, 128);
      assertThat(bgrAt(img.toBgrBytes(), 3, 0, 0)).containsExactly(0, 0, 0);
    }
  }

  @Test
  void bufferedImageRoundTrip() {
    BufferedImage src = TestImages.pattern(13, 9);
    try (BgrImage img = loader.fromBufferedImage(src)) {
      BufferedImage back = img.toBufferedImage();
      for (int y = 0; y < 9; y++) {
        for (int x = 0; x < 13; x++) {
          assertThat(back.getRGB(x, y) & 0xFFFFFF).isEqualTo(src.getRGB(x, y) & 0xFFFFFF);
        }
      }
    }
  }

  @Test
  void fromBgrBytesCopiesAndValidates() {
    byte[] bgr = {1, 2, 3, 4, 5, 6};
    try (BgrImage img = loader.fromBgrBytes(bgr, 2, 1, "raw")) {
      bgr[0] = 99; // the image holds a copy
      assertThat(img.toBgrBytes()).containsExactly(1, 2, 3, 4, 5, 6);
    }
    assertRefusedNaming("raw", () -> loader.fromBgrBytes(bgr, 3, 1, "raw"))
        .hasMessageContaining("9 bytes");
    assertRefusedNaming("raw0", () -> loader.fromBgrBytes(new byte[0], 0, 5, "raw0"))
        .hasMessageContaining("zero-size");
  }

  // ---- failures --------------------------------------------------------------------------------

  @Test
  void missingFile() {
    Path missing = tmp.resolve("nope.jpg");
    assertRefusedNaming(missing, () -> loader.load(missing)).hasMessageContaining("not found");
  }

  @Test
  void directoryIsNotAnImage() {
    assertRefusedNaming(tmp, () -> loader.load(tmp)).hasMessageContaining("directory");
  }

  @Test
  void zeroLengthFileAndEmptyArray() throws IOException {
    Path empty = Files.createFile(tmp.resolve("empty.png"));
    assertRefusedNaming(empty, () -> loader.load(empty)).hasMessageContaining("empty");
    assertRefusedNaming("nothing", () -> loader.load(new byte[0], "nothing"))
        .hasMessageContaining("empty");
  }

  @Test
  void nonImageBytes() {
    byte[] text = "this is certainly not an image, just some text".getBytes(StandardCharsets.UTF_8);
    assertRefusedNaming("notes.txt", () -> loader.load(text, "notes.txt"))
        .hasMessageContaining("cannot decode");
    // Zeros: ImageIO's lenient WBMP probe may claim them; either way a named ImageDecodeException.
    assertThatThrownBy(() -> loader.load(new byte[100], "zeros.bin"))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageStartingWith("image zeros.bin:");
  }

  @Test
  void fileLargerThanByteLimit() throws IOException {
    Path file = tmp.resolve("big.png");
    Files.write(file, TestImages.encode(TestImages.pattern(64, 64), "png"));
    ImageLoader small = ImageLoader.builder().maxFileBytes(100).build();
    assertRefusedNaming(file, () -> small.load(file)).hasMessageContaining("limit of 100 bytes");
  }

  /**
   * Loading {@code bomb} fails with a message naming it, within seconds: a declared size beyond the
   * limit must be refused from the header, before any pixel is decoded.
   */
  private AbstractThrowableAssert<?, ? extends Throwable> assertRefusedFromItsHeader(
      byte[] bomb, String name) {
    Throwable t =
        assertTimeoutPreemptively(
            Duration.ofSeconds(5), () -> catchThrowable(() -> loader.load(bomb, name)));
    return assertThat(t).isInstanceOf(ImageDecodeException.class).hasMessageContaining(name);
  }

  @Test
  void hugeDeclaredPngIsRefusedFromItsHeaderQuickly() {
    byte[] bomb = TestImages.pngHeaderOnly(50_000, 50_000);
    assertThat(bomb.length).isLessThan(100);
    assertRefusedFromItsHeader(bomb, "bomb.png")
        .hasMessageContaining("50000x50000")
        .hasMessageContaining("PNG header")
        .hasMessageContaining("limit of 100000000 pixels");
  }

  @Test
  void hugeDeclaredJpegIsRefusedFromItsHeader() {
    // A real 16x16 JPEG whose SOF0 marker is patched to declare 60000 x 60000 pixels.
    byte[] jpg = TestImages.encode(TestImages.pattern(16, 16), "jpg");
    int sof = -1;
    for (int i = 2; i + 1 < jpg.length; i++) {
      if ((jpg[i] & 0xFF) == 0xFF && (jpg[i + 1] & 0xFF) == 0xC0) {
        sof = i;
        break;
      }
    }
    assertThat(sof).isPositive();
    // FF C0, length (2), precision (1), height (2), width (2)
    jpg[sof + 5] = (byte) (60000 >> 8);
    jpg[sof + 6] = (byte) 60000;
    jpg[sof + 7] = (byte) (60000 >> 8);
    jpg[sof + 8] = (byte) 60000;
    byte[] bomb = jpg;
    assertRefusedFromItsHeader(bomb, "bomb.jpg")
        .hasMessageContaining("60000x60000")
        .hasMessageContaining("JPEG header");
  }

  @Test
  void wbmpIsDecodedThroughImageIo() {
    BufferedImage binary = new BufferedImage(10, 4, BufferedImage.TYPE_BYTE_BINARY);
    binary.setRGB(3, 2, 0xFFFFFF);
    try (BgrImage img = loader.load(TestImages.encode(binary, "wbmp"), "b.wbmp")) {
      assertThat(img.width()).isEqualTo(10);
      assertThat(img.height()).isEqualTo(4);
      byte[] bgr = img.toBgrBytes();
      assertThat(bgrAt(bgr, 10, 3, 2)).containsExactly(255, 255, 255);
      assertThat(bgrAt(bgr, 10, 4, 2)).containsExactly(0, 0, 0);
    }
  }

  @Test
  void hugeDeclaredPpmIsRefusedFromItsHeader() {
    byte[] bomb = "P6\n30000 30000\n255\n\0\0\0".getBytes(StandardCharsets.ISO_8859_1);
    assertRefusedNaming("bomb.ppm", () -> loader.load(bomb, "bomb.ppm"))
        .hasMessageContaining("30000x30000")
        .hasMessageContaining("PNM header");
  }

  @Test
  void smallMaxPixelsRejectsANormalImage() throws IOException {
    ImageLoader tiny = ImageLoader.builder().maxPixels(100).build();
    assertThat(tiny.maxPixels()).isEqualTo(100);
    byte[] png = TestImages.encode(TestImages.pattern(20, 10), "png");
    assertRefusedNaming("normal.png", () -> tiny.load(png, "normal.png"))
        .hasMessageContaining("20x10 = 200 pixels");
    assertRefusedNaming(
        "buffered", () -> tiny.fromBufferedImage(TestImages.pattern(20, 10), "buffered"));
    // exactly at the limit is fine
    try (BgrImage ok = tiny.load(TestImages.encode(TestImages.pattern(10, 10), "png"), "ok")) {
      assertThat(ok.pixels()).isEqualTo(100);
    }
  }

  @Test
  void zeroWidthPngIsRefused() {
    assertRefusedNaming("zero.png", () -> loader.load(TestImages.pngHeaderOnly(0, 10), "zero.png"));
  }

  @Test
  void builderValidates() {
    assertThatThrownBy(() -> ImageLoader.builder().maxPixels(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxPixels")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> ImageLoader.builder().maxFileBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxFileBytes");
    assertThat(ImageLoader.defaults().maxPixels()).isEqualTo(ImageLoader.DEFAULT_MAX_PIXELS);
    assertThat(ImageLoader.defaults().toString()).contains("100000000");
  }

  /** Half of a file is refused naming it, not decoded with the missing part filled with grey. */
  @ParameterizedTest
  @CsvSource({"jpg, JPEG", "png, PNG"})
  void truncatedImageIsRefusedNotFilledWithGrey(String extension, String format) {
    byte[] whole = TestImages.encode(TestImages.pattern(64, 48), extension);
    byte[] half = Arrays.copyOf(whole, whole.length / 2);
    String name = "half." + extension;
    assertRefusedNaming(name, () -> loader.load(half, name))
        .hasMessageContaining("truncated " + format);
  }

  @ParameterizedTest
  @ValueSource(strings = {"png", "jpg", "bmp", "gif"})
  void mutatedBytesNeverEscapeAsAnythingElse(String format) {
    byte[] good = TestImages.encode(TestImages.pattern(24, 16), format);
    Random random = new Random(42);
    for (int round = 0; round < 60; round++) {
      byte[] bad = good.clone();
      int flips = 1 + random.nextInt(8);
      for (int k = 0; k < flips; k++) {
        // bias towards the header where the interesting fields live
        int pos =
            random.nextBoolean()
                ? random.nextInt(Math.min(64, bad.length))
                : random.nextInt(bad.length);
        bad[pos] = (byte) random.nextInt(256);
      }
      if (random.nextInt(4) == 0) {
        bad = Arrays.copyOf(bad, 1 + random.nextInt(bad.length));
      }
      byte[] input = bad;
      Throwable t =
          catchThrowable(
              () -> {
                try (BgrImage img = loader.load(input, "fuzz")) {
                  assertThat(img.width()).isPositive();
                  assertThat(img.height()).isPositive();
                }
              });
      if (t != null) {
        assertThat(t).as("round %d", round).isInstanceOf(ImageDecodeException.class);
        assertThat(t.getMessage()).startsWith("image fuzz:");
      }
    }
  }

  // ---- header probes -----------------------------------------------------------------------

  @Test
  void pnmProbeReadsCommentsAndPam() {
    assertThat(ImageHeaders.probePnm("P5 # c\n 12\t34 255\n".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(new ImageHeaders.Header("pnm", 12, 34));
    assertThat(
            ImageHeaders.probePnm(
                "P7\nWIDTH 5\nHEIGHT 6\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n"
                    .getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(new ImageHeaders.Header("pam", 5, 6));
    assertThat(ImageHeaders.probePnm("PK\3\4".getBytes(StandardCharsets.ISO_8859_1))).isNull();
  }

  @ParameterizedTest
  @ValueSource(ints = {90, 101})
  void webpProbeMatchesOpenCvEncodedFiles(int quality) {
    // quality 101 makes OpenCV write lossless (VP8L), otherwise lossy (VP8).
    try (BgrImage src = loader.fromBufferedImage(TestImages.pattern(37, 21), "p");
        org.bytedeco.javacpp.BytePointer buf = new org.bytedeco.javacpp.BytePointer();
        org.bytedeco.javacpp.IntPointer params =
            new org.bytedeco.javacpp.IntPointer(
                org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_WEBP_QUALITY, quality)) {
      boolean ok =
          org.bytedeco.opencv.global.opencv_imgcodecs.imencode(".webp", src.mat(), buf, params);
      org.junit.jupiter.api.Assumptions.assumeTrue(ok, "OpenCV build without WebP");
      byte[] webp = new byte[(int) buf.limit()];
      buf.get(webp);
      assertThat(ImageHeaders.probeWebp(webp)).isEqualTo(new ImageHeaders.Header("webp", 37, 21));
      try (BgrImage back = loader.load(webp, "p.webp")) {
        assertThat(back.width()).isEqualTo(37);
        assertThat(back.height()).isEqualTo(21);
      }
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = ImageLoaderTest.class.getResourceAsStream(name)) {
      assertThat(in).as("fixture %s", name).isNotNull();
      return in.readAllBytes();
    }
  }
}
