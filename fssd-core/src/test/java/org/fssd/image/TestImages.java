package org.fssd.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Images built by test code (no binary fixtures needed for these). */
final class TestImages {
  private TestImages() {}

  /** A TYPE_3BYTE_BGR image filled with one colour. */
  static BufferedImage solidBgr(int w, int h, int b, int g, int r) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    int rgb = (r << 16) | (g << 8) | b;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    return img;
  }

  /** TYPE_INT_RGB with a deterministic pattern: r = 3x + y, g = x * y, b = 255 - 5y (mod 256). */
  static BufferedImage pattern(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rgbOfPattern(x, y));
      }
    }
    return img;
  }

  static int rgbOfPattern(int x, int y) {
    int r = (3 * x + y) & 0xFF;
    int g = (x * y) & 0xFF;
    int b = (255 - 5 * y) & 0xFF;
    return (r << 16) | (g << 8) | b;
  }

  /** A 16-bit-per-sample RGB image (ComponentColorModel, TYPE_USHORT, 3 bands, sRGB). */
  static BufferedImage rgb16(int w, int h, int r16, int g16, int b16) {
    ComponentColorModel cm =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_sRGB),
            new int[] {16, 16, 16},
            false,
            false,
            Transparency.OPAQUE,
            DataBuffer.TYPE_USHORT);
    WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        raster.setPixel(x, y, new int[] {r16, g16, b16});
      }
    }
    return new BufferedImage(cm, raster, false, null);
  }

  /** A TYPE_BYTE_INDEXED image with a 4-colour palette; pixel (x, y) uses entry (x + y) % 4. */
  static BufferedImage palette(int w, int h, int[] rgbEntries) {
    byte[] r = new byte[rgbEntries.length];
    byte[] g = new byte[rgbEntries.length];
    byte[] b = new byte[rgbEntries.length];
    for (int i = 0; i < rgbEntries.length; i++) {
      r[i] = (byte) (rgbEntries[i] >> 16);
      g[i] = (byte) (rgbEntries[i] >> 8);
      b[i] = (byte) rgbEntries[i];
    }
    IndexColorModel cm = new IndexColorModel(2, rgbEntries.length, r, g, b);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, cm);
    WritableRaster raster = img.getRaster();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        raster.setSample(x, y, 0, (x + y) % rgbEntries.length);
      }
    }
    return img;
  }

  static byte[] encode(BufferedImage img, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(img, format, out)) {
        throw new IllegalStateException(
            "no ImageIO writer for " + format + " / type " + img.getType());
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Binary PPM (P6) of packed RGB bytes. */
  static byte[] ppm(int w, int h, byte[] rgb) {
    byte[] head = ("P6\n# test\n" + w + " " + h + "\n255\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + rgb.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(rgb, 0, out, head.length, rgb.length);
    return out;
  }

  /**
   * A syntactically valid PNG that declares {@code w x h} 8-bit RGB pixels but holds no pixel data
   * (signature, IHDR with a correct CRC, IEND): tiny, yet a naive decoder would allocate w*h*3
   * bytes.
   */
  static byte[] pngHeaderOnly(int w, int h) {
    ByteBuffer ihdr = ByteBuffer.allocate(13);
    ihdr.putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(typeBytes);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  /** Unsigned B, G, R of pixel (x, y) in packed BGR bytes of an image of width w. */
  static int[] bgrAt(byte[] bgr, int w, int x, int y) {
    int i = 3 * (y * w + x);
    return new int[] {bgr[i] & 0xFF, bgr[i + 1] & 0xFF, bgr[i + 2] & 0xFF};
  }
}
