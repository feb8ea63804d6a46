package org.fssd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.fssd.ImageDecodeException;
import org.fssd.detect.FssdDetector;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files cut short are refused as "truncated" in every format the loader accepts, at several cut
 * points (inside the header, in the middle, just before the end); the intact files still decode.
 * Test images are encoded here with OpenCV (ImageIO for GIF and WBMP, which OpenCV cannot write).
 */
class TruncatedImageTest {
  private static final int W = 61;
  private static final int H = 47;

  private final ImageLoader loader = ImageLoader.defaults();

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(
      strings = {"jpg", "png", "bmp", "webp", "tiff", "ppm", "pgm", "pbm", "pfm", "gif", "wbmp"})
  void everyCutIsRefusedAsTruncatedAndTheIntactFileDecodes(String format) {
    byte[] whole = encode(format);
    try (BgrImage img = loader.load(whole, "whole." + format)) {
      assertThat(img.width()).isEqualTo(W);
      assertThat(img.height()).isEqualTo(H);
    }
    for (int cut : cutPoints(format, whole.length)) {
      byte[] part = Arrays.copyOf(whole, cut);
      String name = "cut" + cut + "." + format;
      assertThatThrownBy(() -> loader.load(part, name).close())
          .as("%s cut to %d of %d bytes", format, cut, whole.length)
          .isInstanceOf(ImageDecodeException.class)
          .hasMessageStartingWith("image " + name + ":")
          .hasMessageContaining("truncated");
    }
  }

  @Test
  void gifWithoutTrailerDecodes() {
    byte[] gif = encode("gif");
    assertThat(gif[gif.length - 1]).isEqualTo((byte) 0x3B);
    try (BgrImage img = loader.load(Arrays.copyOf(gif, gif.length - 1), "no-trailer.gif")) {
      assertThat(img.width()).isEqualTo(W);
    }
  }

  @Test
  void asciiPnmCutInTheSamplesIsTruncated() {
    byte[] whole = "P2\n# grey\n3 2\n255\n0 1 2\n3 4 5\n".getBytes(StandardCharsets.US_ASCII);
    try (BgrImage img = loader.load(whole, "a.pgm")) {
      assertThat(img.width()).isEqualTo(3);
    }
    byte[] cut = Arrays.copyOf(whole, whole.length - 5);
    assertThatThrownBy(() -> loader.load(cut, "a.pgm").close())
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("truncated PNM")
        .hasMessageContaining("6 samples");
  }

  @Test
  void jpegCutMessageSaysWhereAndNamesTheFile() throws Exception {
    byte[] jpg = encode("jpg");
    Path cut = tmp.resolve("cut.jpg");
    Files.write(cut, Arrays.copyOf(jpg, jpg.length / 2));
    assertThatThrownBy(() -> loader.load(cut).close())
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageStartingWith("image " + cut + ": truncated JPEG (" + jpg.length / 2 + " bytes)")
        .hasMessageContaining("entropy-coded data of the scan")
        .hasMessageContaining("EOI");
  }

  @Test
  void jpegWithBytesAfterEoiStillDecodes() {
    byte[] jpg = encode("jpg");
    byte[] padded = Arrays.copyOf(jpg, jpg.length + 300); // zero padding, as some cameras write
    byte[] tail = "trailing metadata FF D9 \u00ff\u00d9".getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(tail, 0, padded, jpg.length + 100, tail.length);
    try (BgrImage img = loader.load(padded, "padded.jpg")) {
      assertThat(img.width()).isEqualTo(W);
      assertThat(img.height()).isEqualTo(H);
    }
  }

  @Test
  void anEoiInsideAnEmbeddedThumbnailDoesNotCountAsTheEnd() {
    // APP1 segment right after SOI holding a complete small JPEG (its own FF D9 included), as an
    // EXIF thumbnail does; the main image is then cut inside its scan.
    byte[] thumb = encodeCv(TestImages.pattern(8, 8), ".jpg");
    byte[] main = encode("jpg");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0xFF);
    out.write(0xD8);
    out.write(0xFF);
    out.write(0xE1);
    int len = 2 + 6 + thumb.length;
    out.write(len >> 8);
    out.write(len);
    out.writeBytes("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(thumb);
    out.write(main, 2, main.length - 2);
    byte[] withThumb = out.toByteArray();
    try (BgrImage img = loader.load(withThumb, "thumb.jpg")) {
      assertThat(img.width()).isEqualTo(W);
    }
    byte[] cut = Arrays.copyOf(withThumb, withThumb.length - 40);
    assertThatThrownBy(() -> loader.load(cut, "thumb-cut.jpg").close())
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("truncated JPEG");
  }

  @Test
  void pngWithABrokenCriticalChunkCrcIsCorruptNotSentToLibpng() {
    byte[] png = encode("png");
    byte[] bad = png.clone();
    bad[40] ^= 0x55; // inside IDAT (IHDR is bytes 8..32)
    assertThatThrownBy(() -> loader.load(bad, "crc.png").close())
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("crc.png")
        .hasMessageContaining("corrupt PNG")
        .hasMessageContaining("CRC");
  }

  @Test
  void detectorRefusesCutImagesFromPathAndBytes() throws Exception {
    byte[] jpg = encode("jpg");
    byte[] cut = Arrays.copyOf(jpg, jpg.length - 2);
    Path file = tmp.resolve("photo-cut.jpg");
    Files.write(file, cut);
    FssdModel model = FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1);
    try (FssdDetector detector = FssdDetector.builder().model(model).build()) {
      assertThatThrownBy(() -> detector.detect(file))
          .isInstanceOf(ImageDecodeException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("truncated");
      assertThatThrownBy(() -> detector.detect(cut))
          .isInstanceOf(ImageDecodeException.class)
          .hasMessageContaining("<bytes")
          .hasMessageContaining("truncated");
      assertThat(detector.detect(jpg)).isNotNull();
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Inside the header, the middle, and just before the end (the last byte, and the last two). */
  private static Set<Integer> cutPoints(String format, int length) {
    int header =
        switch (format) {
          case "jpg" -> 30; // inside the APP0/DQT segments
          case "png" -> 20; // inside IHDR
          case "bmp" -> 16; // inside the DIB header size
          case "webp" -> 20;
          case "tiff" -> 6; // inside the 8-byte header
          case "gif" -> 10;
          case "wbmp" -> 5; // the 4-byte header and one pixel byte (WBMP has no signature)
          default -> 5; // PNM: inside the width/height
        };
    Set<Integer> cuts = new LinkedHashSet<>();
    cuts.add(header);
    cuts.add(length / 2);
    if (format.equals("gif")) {
      // The last byte is the trailer, which may be missing (see gifWithoutTrailerDecodes); the
      // last two bytes lost take the first frame's terminating block with them.
      cuts.add(length - 3);
      cuts.add(length - 2);
    } else {
      cuts.add(length - 2);
      cuts.add(length - 1);
    }
    return cuts;
  }

  private static byte[] encode(String format) {
    BufferedImage img = TestImages.pattern(W, H);
    return switch (format) {
      case "gif", "wbmp" -> {
        BufferedImage src = img;
        if (format.equals("wbmp")) {
          src = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_BINARY);
          src.getGraphics().drawImage(img, 0, 0, null);
        }
        yield TestImages.encode(src, format);
      }
      case "pgm", "pbm" -> encodeCv(grey(img), "." + format);
      default -> encodeCv(img, "." + format);
    };
  }

  private static BufferedImage grey(BufferedImage img) {
    BufferedImage g =
        new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
    g.getGraphics().drawImage(img, 0, 0, null);
    return g;
  }

  private static byte[] encodeCv(BufferedImage img, String ext) {
    BgrImage bgr = ImageLoader.defaults().fromBufferedImage(img, "src");
    try (bgr;
        BytePointer buf = new BytePointer()) {
      org.bytedeco.opencv.opencv_core.Mat mat = bgr.mat();
      org.bytedeco.opencv.opencv_core.Mat toWrite = mat;
      if (ext.equals(".pgm") || ext.equals(".pbm")) {
        toWrite = new org.bytedeco.opencv.opencv_core.Mat();
        org.bytedeco.opencv.global.opencv_imgproc.cvtColor(
            mat, toWrite, org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY);
      } else if (ext.equals(".pfm")) {
        toWrite = new org.bytedeco.opencv.opencv_core.Mat();
        mat.convertTo(toWrite, org.bytedeco.opencv.global.opencv_core.CV_32FC3, 1 / 255.0, 0);
      }
      boolean ok = opencv_imgcodecs.imencode(ext, toWrite, buf);
      assertThat(ok).as("OpenCV encodes %s", ext).isTrue();
      byte[] out = new byte[(int) buf.limit()];
      buf.get(out);
      return out;
    }
  }
}
