package org.fssd.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.fssd.ImageDecodeException;
import org.jspecify.annotations.Nullable;

/**
 * Reads an encoded image's declared width and height from its header, without decoding pixels, so
 * that the pixel limit is enforced before anything large is allocated.
 *
 * <p>Formats: whatever {@code javax.imageio} has a reader for (JDK 17: JPEG, PNG, BMP, GIF, WBMP,
 * TIFF; more if plug-ins are on the class path), plus small hand-written probes for the formats
 * OpenCV decodes but ImageIO does not know: PNM/PAM/PFM (P1..P7, PF, Pf) and WebP (VP8, VP8L,
 * VP8X). Anything else returns {@code null} and is left to OpenCV's own limits.
 */
final class ImageHeaders {

  /** A probed header: lower-case format name and declared size in pixels. */
  record Header(String format, long width, long height) {}

  private ImageHeaders() {}

  /**
   * The declared size of {@code bytes}, or {@code null} when no probe recognises the format.
   *
   * @throws ImageDecodeException when a format is recognised but its header cannot be read
   */
  static @Nullable Header probe(byte[] bytes, String source) {
    Header header = probeImageIo(bytes, source);
    if (header == null) {
      header = probePnm(bytes);
    }
    if (header == null) {
      header = probeWebp(bytes);
    }
    return header;
  }

  private static @Nullable Header probeImageIo(byte[] bytes, String source) {
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return null;
      }
      ImageReader reader = readers.next();
      String format = reader.getFormatName().toLowerCase(Locale.ROOT);
      try {
        in.seek(0);
        reader.setInput(in, true, true);
        // getWidth/getHeight parse the header only (e.g. PNG IHDR, JPEG SOFn); no pixel is read.
        return new Header(format, reader.getWidth(0), reader.getHeight(0));
      } catch (IOException | RuntimeException e) {
        throw failed(
            source,
            "looks like "
                + format.toUpperCase(Locale.ROOT)
                + " but its header cannot be read (corrupt or truncated)",
            e);
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      // Only close() of an in-memory stream can get here; treat as "not recognised".
      return null;
    }
  }

  /**
   * A reader's failure on {@code source}, for the header probe and the decoder alike: "image
   * SOURCE: PROBLEM: the cause's message".
   */
  static ImageDecodeException failed(String source, String problem, Exception cause) {
    return new ImageDecodeException(
        "image " + source + ": " + problem + ": " + cause.getMessage(), cause);
  }

  /** PNM family as OpenCV reads it: "P1".."P6" and "PF"/"Pf" then width height; P7 (PAM) keys. */
  static @Nullable Header probePnm(byte[] b) {
    if (b.length < 3 || b[0] != 'P') {
      return null;
    }
    char kind = (char) b[1];
    boolean classic = (kind >= '1' && kind <= '6') || kind == 'F' || kind == 'f';
    if (!classic && kind != '7') {
      return null;
    }
    if (!isPnmSpace(b[2])) {
      return null;
    }
    String format = kind == '7' ? "pam" : (kind == 'F' || kind == 'f') ? "pfm" : "pnm";
    int limit = Math.min(b.length, 4096);
    String head = new String(b, 0, limit, StandardCharsets.ISO_8859_1);
    if (classic) {
      long[] numbers = new long[2];
      int found = 0;
      int i = 2;
      while (found < 2 && i < head.length()) {
        char c = head.charAt(i);
        if (c == '#') {
          while (i < head.length() && head.charAt(i) != '\n' && head.charAt(i) != '\r') {
            i++;
          }
        } else if (isPnmSpace((byte) c)) {
          i++;
        } else if (c >= '0' && c <= '9') {
          long v = 0;
          while (i < head.length() && head.charAt(i) >= '0' && head.charAt(i) <= '9') {
            v = Math.min(v * 10 + (head.charAt(i) - '0'), Long.MAX_VALUE / 20);
            i++;
          }
          numbers[found++] = v;
        } else {
          return null; // not a header OpenCV would accept either; let it reject the bytes
        }
      }
      return found == 2 ? new Header(format, numbers[0], numbers[1]) : null;
    }
    long width = -1;
    long height = -1;
    for (String line : head.split("[\r\n]+")) {
      String[] tokens = line.trim().split("\\s+");
      if (tokens.length >= 2 && tokens[0].equals("WIDTH")) {
        width = parseOrMinus(tokens[1]);
      } else if (tokens.length >= 2 && tokens[0].equals("HEIGHT")) {
        height = parseOrMinus(tokens[1]);
      } else if (tokens[0].equals("ENDHDR")) {
        break;
      }
    }
    return width >= 0 && height >= 0 ? new Header(format, width, height) : null;
  }

  /** WebP: RIFF container, "WEBP", then a VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk. */
  static @Nullable Header probeWebp(byte[] b) {
    if (b.length < 30 || !ascii(b, 0, "RIFF") || !ascii(b, 8, "WEBP")) {
      return null;
    }
    if (ascii(b, 12, "VP8 ")) {
      // 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height (2 scale bits each).
      long width = u16le(b, 26) & 0x3FFF;
      long height = u16le(b, 28) & 0x3FFF;
      return new Header("webp", width, height);
    }
    if (ascii(b, 12, "VP8L")) {
      // signature 0x2f at 20, then 14 bits (width - 1), 14 bits (height - 1), little-endian bits.
      long bits =
          (b[21] & 0xFFL) | (b[22] & 0xFFL) << 8 | (b[23] & 0xFFL) << 16 | (b[24] & 0xFFL) << 24;
      return new Header("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
    }
    if (ascii(b, 12, "VP8X")) {
      // flags (4 bytes) at 20, then 24-bit (canvas width - 1) and 24-bit (canvas height - 1).
      long width = u24le(b, 24) + 1;
      long height = u24le(b, 27) + 1;
      return new Header("webp", width, height);
    }
    return null;
  }

  /** Whitespace as the PNM formats define it (also used by {@link ImageStructure}). */
  static boolean isPnmSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B;
  }

  /** A decimal number, or -1 when {@code s} is not one. */
  static long parseOrMinus(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static boolean ascii(byte[] b, int offset, String s) {
    if (b.length < offset + s.length()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (b[offset + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static long u16le(byte[] b, int offset) {
    return (b[offset] & 0xFFL) | (b[offset + 1] & 0xFFL) << 8;
  }

  private static long u24le(byte[] b, int offset) {
    return (b[offset] & 0xFFL) | (b[offset + 1] & 0xFFL) << 8 | (b[offset + 2] & 0xFFL) << 16;
  }
}
