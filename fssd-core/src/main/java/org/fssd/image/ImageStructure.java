package org.fssd.image;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.fssd.ImageDecodeException;
import org.jspecify.annotations.Nullable;

/**
 * Structural completeness checks of encoded images, run on the bytes before any decoder sees them.
 *
 * <p>Why: decoders differ in what they do with a file that ends early. libjpeg decodes what is
 * there and fills the rest with grey (a warning on stderr is all), so a cut JPEG would otherwise
 * "work" and give detections on invented pixels; libpng prints {@code libpng error: ...} on stderr
 * before failing. Walking the container structure is cheap (one pass over the bytes, no pixel
 * decoding) and gives a precise message naming what is missing.
 *
 * <p>What is checked, per format (the formats {@link ImageLoader} accepts):
 *
 * <ul>
 *   <li><b>JPEG</b>: the marker segments are walked by their lengths from SOI; every scan (SOS) is
 *       followed through its entropy-coded data (skipping stuffed {@code FF 00} bytes and restart
 *       markers) to the next marker; the file must reach an EOI marker ({@code FF D9}) after a
 *       scan. Bytes after EOI (padding, appended data) are allowed, and so are stray bytes between
 *       segments (libjpeg skips them too). An EXIF thumbnail's own EOI is inside its APP1 segment
 *       and therefore never mistaken for the end.
 *   <li><b>PNG</b>: the chunks are walked by their lengths up to IEND; every chunk must lie inside
 *       the file. The CRC of each critical chunk (IHDR, PLTE, IDAT, IEND) is verified, as libpng
 *       does (a mismatch is "corrupt"; ancillary chunks are not checked, libpng ignores their CRC
 *       errors too).
 *   <li><b>BMP</b>: the file and DIB headers must be present, and the file must hold at least the
 *       pixel data offset plus the row-padded pixel array the header implies ({@code stride *
 *       |height|}); for compressed BMPs (RLE, embedded JPEG/PNG) the header's image size.
 *   <li><b>WebP</b>: the RIFF size must fit in the file, and the chunks must fit in the RIFF size.
 *   <li><b>TIFF</b> (classic, not BigTIFF): the first IFD (the image that is decoded) must lie in
 *       the file, and every strip (tags 273/279) or tile (324/325) offset plus byte count must fit
 *       in the file. Later IFDs (further pages) are not checked.
 *   <li><b>GIF</b>: the blocks are walked up to the end of the first image's data (the frame that
 *       is decoded); a missing trailer after it is tolerated, as browsers do.
 *   <li><b>PNM</b> (P1..P7, PF, Pf): the header must be complete and the file must hold width x
 *       height x channels samples (binary: bytes; ASCII: number tokens).
 *   <li><b>WBMP</b>: the header plus {@code ceil(width / 8) * height} bytes.
 * </ul>
 *
 * <p>Other formats OpenCV decodes (OpenEXR, Radiance HDR, JPEG 2000, Sun raster) are not checked
 * here; their decoders' own error handling applies.
 */
final class ImageStructure {

  private ImageStructure() {}

  /**
   * Throws when {@code b} is a recognised format whose structure ends early ("truncated") or is
   * broken in a way a decoder would only report on stderr ("corrupt").
   *
   * @param probedFormat the format the header probe recognised, or {@code null}; needed only for
   *     WBMP, which has no signature
   * @throws ImageDecodeException "image SOURCE: truncated FORMAT ..." or "image SOURCE: corrupt
   *     FORMAT ..."
   */
  static void checkComplete(byte[] b, @Nullable String probedFormat, String source) {
    String problem = findProblem(b, probedFormat);
    if (problem != null) {
      throw new ImageDecodeException("image " + source + ": " + problem);
    }
  }

  /** The problem found ("truncated FORMAT (N bytes): ..."), or null when complete or unknown. */
  static @Nullable String findProblem(byte[] b, @Nullable String probedFormat) {
    int n = b.length;
    if (n >= 2 && u8(b, 0) == 0xFF && u8(b, 1) == 0xD8) {
      return jpeg(b);
    }
    if (n >= 8 && u8(b, 0) == 0x89 && ascii(b, 1, "PNG\r\n\u001a\n")) {
      return png(b);
    }
    if (n >= 6 && (ascii(b, 0, "GIF87a") || ascii(b, 0, "GIF89a"))) {
      return gif(b);
    }
    if (n >= 2 && ascii(b, 0, "BM")) {
      return bmp(b);
    }
    if (n >= 4 && (ascii(b, 0, "II*\0") || ascii(b, 0, "MM\0*"))) {
      return tiff(b);
    }
    if (n >= 12 && ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) {
      return webp(b);
    }
    if (n >= 3 && b[0] == 'P' && ImageHeaders.isPnmSpace(b[2]) && "1234567Ff".indexOf(b[1]) >= 0) {
      return pnm(b);
    }
    if ("wbmp".equals(probedFormat)) {
      return wbmp(b);
    }
    return null;
  }

  // ---- JPEG ----------------------------------------------------------------------------------

  private static @Nullable String jpeg(byte[] b) {
    int n = b.length;
    int pos = 2;
    int lastScan = -1;
    while (true) {
      // Next marker: libjpeg skips stray bytes before a marker, and any number of FF fill bytes.
      while (pos < n && u8(b, pos) != 0xFF) {
        pos++;
      }
      while (pos < n && u8(b, pos) == 0xFF) {
        pos++;
      }
      if (pos >= n) {
        return truncated(
            "JPEG",
            n,
            lastScan < 0
                ? "it ends before the first scan (SOS), no EOI marker (FF D9)"
                : "no EOI marker (FF D9) after the scan at byte " + lastScan);
      }
      int marker = u8(b, pos);
      int at = pos - 1;
      pos++;
      if (marker == 0xD9) {
        // EOI. Without any scan the stream holds no image: corrupt, left to the decoder's message.
        return null;
      }
      if (marker == 0x00
          || marker == 0x01
          || marker == 0xD8
          || (marker >= 0xD0 && marker <= 0xD7)) {
        continue; // no length field
      }
      if (pos + 2 > n) {
        return truncated(
            "JPEG",
            n,
            "it ends inside the length of the " + markerName(marker) + " segment at byte " + at);
      }
      int length = u16be(b, pos);
      if (length < 2) {
        return null; // corrupt length; libjpeg reports it
      }
      if ((long) pos + length > n) {
        return truncated(
            "JPEG",
            n,
            "the "
                + markerName(marker)
                + " segment at byte "
                + at
                + " declares "
                + length
                + " bytes, the file ends "
                + (n - pos)
                + " bytes into it");
      }
      pos += length;
      if (marker == 0xDA) {
        lastScan = at;
        // Entropy-coded data: runs to the next marker other than a stuffed zero or a restart.
        while (true) {
          while (pos < n && u8(b, pos) != 0xFF) {
            pos++;
          }
          int q = pos + 1;
          while (q < n && u8(b, q) == 0xFF) {
            q++;
          }
          if (q >= n) {
            return truncated(
                "JPEG",
                n,
                "it ends inside the entropy-coded data of the scan at byte "
                    + at
                    + ", before the EOI marker (FF D9)");
          }
          int m = u8(b, q);
          if (m == 0x00 || (m >= 0xD0 && m <= 0xD7)) {
            pos = q + 1;
            continue;
          }
          break; // pos is at the FF of the marker that ends the scan
        }
      }
    }
  }

  private static String markerName(int marker) {
    return switch (marker) {
      case 0xDA -> "SOS";
      case 0xC4 -> "DHT";
      case 0xDB -> "DQT";
      case 0xDD -> "DRI";
      case 0xFE -> "COM";
      default -> {
        if (marker >= 0xE0 && marker <= 0xEF) {
          yield "APP" + (marker - 0xE0);
        }
        if (marker >= 0xC0 && marker <= 0xCF) {
          yield "SOF" + (marker - 0xC0);
        }
        yield String.format("FF %02X", marker);
      }
    };
  }

  // ---- PNG -----------------------------------------------------------------------------------

  private static @Nullable String png(byte[] b) {
    int n = b.length;
    long pos = 8;
    boolean first = true;
    while (true) {
      if (pos + 8 > n) {
        return truncated(
            "PNG",
            n,
            "it ends "
                + (pos == n ? "after" : "inside the header of")
                + " the chunk at byte "
                + pos
                + ", before the IEND chunk");
      }
      int p = (int) pos;
      long length = u32be(b, p);
      String type = new String(b, p + 4, 4, StandardCharsets.ISO_8859_1);
      if (length > Integer.MAX_VALUE) {
        return "corrupt PNG: chunk "
            + printable(type)
            + " at byte "
            + p
            + " declares "
            + length
            + " bytes (more than 2^31 - 1)";
      }
      if (first && !type.equals("IHDR")) {
        return "corrupt PNG: the first chunk is " + printable(type) + ", not IHDR";
      }
      first = false;
      if (pos + 12 + length > n) {
        return truncated(
            "PNG",
            n,
            "chunk "
                + printable(type)
                + " at byte "
                + p
                + " declares "
                + length
                + " data bytes, the file ends "
                + (n - p - 8)
                + " bytes into them"
                + (type.equals("IEND") ? "" : ", before the IEND chunk"));
      }
      if (Character.isUpperCase(type.charAt(0))) {
        CRC32 crc = new CRC32();
        crc.update(b, p + 4, 4 + (int) length);
        if (crc.getValue() != u32be(b, p + 8 + (int) length)) {
          return "corrupt PNG: CRC mismatch in chunk " + printable(type) + " at byte " + p;
        }
      }
      if (type.equals("IEND")) {
        return null;
      }
      pos += 12 + length;
    }
  }

  private static String printable(String type) {
    return type.chars().allMatch(c -> c >= 0x21 && c <= 0x7E) ? type : "(non-ASCII type)";
  }

  // ---- GIF -----------------------------------------------------------------------------------

  private static @Nullable String gif(byte[] b) {
    int n = b.length;
    if (n < 13) {
      return truncated("GIF", n, "it ends inside the 13-byte header");
    }
    long pos = 13 + colourTableBytes(u8(b, 10));
    while (true) {
      if (pos >= n) {
        return truncated("GIF", n, "it ends before the first image");
      }
      int type = u8(b, (int) pos);
      if (type == 0x21) { // extension: label, then data sub-blocks
        pos = skipSubBlocks(b, pos + 2);
        if (pos < 0) {
          return truncated("GIF", n, "it ends inside an extension block, before the first image");
        }
      } else if (type == 0x2C) { // image descriptor (10 bytes), local colour table, LZW data
        if (pos + 10 > n) {
          return truncated("GIF", n, "it ends inside the image descriptor at byte " + pos);
        }
        long image = pos;
        pos += 10 + colourTableBytes(u8(b, (int) pos + 9)) + 1; // + LZW minimum code size
        pos = pos > n ? -1 : skipSubBlocks(b, pos);
        if (pos < 0) {
          return truncated("GIF", n, "it ends inside the data of the image at byte " + image);
        }
        return null; // the first frame, the one that is decoded, is complete
      } else {
        return null; // trailer before any image, or garbage: the decoder's error applies
      }
    }
  }

  private static long colourTableBytes(int flags) {
    return (flags & 0x80) != 0 ? 3L << ((flags & 7) + 1) : 0;
  }

  /** Position after the terminating zero-size sub-block, or -1 when the data ends first. */
  private static long skipSubBlocks(byte[] b, long pos) {
    while (true) {
      if (pos >= b.length) {
        return -1;
      }
      int size = u8(b, (int) pos);
      pos += 1 + size;
      if (size == 0) {
        return pos;
      }
    }
  }

  // ---- BMP -----------------------------------------------------------------------------------

  private static @Nullable String bmp(byte[] b) {
    int n = b.length;
    if (n < 18) {
      return n >= 6 && looksLikeBmpStart(b)
          ? truncated("BMP", n, "it ends inside the file header")
          : null;
    }
    long dib = u32le(b, 14);
    if (dib != 12
        && dib != 16
        && dib != 40
        && dib != 52
        && dib != 56
        && dib != 64
        && dib != 108
        && dib != 124) {
      return null; // not a header any BMP reader knows; the decoder rejects it
    }
    if (14 + dib > n) {
      return truncated("BMP", n, "it ends inside the " + dib + "-byte DIB header");
    }
    long width;
    long height;
    int bpp;
    long compression = 0;
    long imageSize = 0;
    if (dib == 12) {
      width = u16le(b, 18);
      height = u16le(b, 20);
      bpp = u16le(b, 24);
    } else {
      width = s32le(b, 18);
      height = Math.abs((long) s32le(b, 22));
      bpp = u16le(b, 28);
      if (dib >= 40) {
        compression = u32le(b, 30);
        imageSize = u32le(b, 34);
      }
    }
    long offset = u32le(b, 10);
    long need;
    String what;
    if (compression == 0 || compression == 3 || compression == 6) {
      long stride = (saturatingMul(Math.max(width, 0), bpp) + 31) / 32 * 4;
      need = saturatingAdd(offset, saturatingMul(stride, height));
      what =
          "the pixel data ("
              + width
              + "x"
              + height
              + " at "
              + bpp
              + " bits, rows padded to "
              + stride
              + " bytes) starting at byte "
              + offset;
    } else {
      need = offset + imageSize;
      what = "the compressed pixel data (" + imageSize + " bytes) starting at byte " + offset;
    }
    if (need > n) {
      return truncated("BMP", n, "the header needs " + need + " bytes for " + what);
    }
    return null;
  }

  private static boolean looksLikeBmpStart(byte[] b) {
    // "BM" then the file size: a text file starting with "BM" has letters there.
    return u32le(b, 2) > b.length;
  }

  // ---- TIFF ----------------------------------------------------------------------------------

  private static @Nullable String tiff(byte[] b) {
    int n = b.length;
    boolean le = b[0] == 'I';
    if (n < 8) {
      return truncated("TIFF", n, "it ends inside the 8-byte header");
    }
    long ifd = u32(b, 4, le);
    if (ifd + 2 > n) {
      return truncated("TIFF", n, "the first IFD is at byte " + ifd + ", beyond the end");
    }
    int count = u16(b, (int) ifd, le);
    if (ifd + 2 + 12L * count + 4 > n) {
      return truncated(
          "TIFF",
          n,
          "the first IFD at byte "
              + ifd
              + " has "
              + count
              + " entries and a next-IFD offset, the file ends inside them");
    }
    long @Nullable [] stripOffsets = null;
    long @Nullable [] stripCounts = null;
    long @Nullable [] tileOffsets = null;
    long @Nullable [] tileCounts = null;
    for (int i = 0; i < count; i++) {
      int e = (int) ifd + 2 + 12 * i;
      int tag = u16(b, e, le);
      if (tag != 273 && tag != 279 && tag != 324 && tag != 325) {
        continue;
      }
      int type = u16(b, e + 2, le);
      long values = u32(b, e + 4, le);
      int size = type == 3 ? 2 : type == 4 ? 4 : 0;
      if (size == 0 || values > (n / size) + 1) {
        return null; // unusual type or an absurd count: corrupt, the decoder says so
      }
      long at = values * size <= 4 ? e + 8 : u32(b, e + 8, le);
      if (at + values * size > n) {
        return truncated(
            "TIFF",
            n,
            "the " + values + " values of tag " + tag + " at byte " + at + " run past the end");
      }
      long[] v = new long[(int) values];
      for (int k = 0; k < values; k++) {
        int p = (int) at + k * size;
        v[k] = size == 2 ? u16(b, p, le) : u32(b, p, le);
      }
      switch (tag) {
        case 273 -> stripOffsets = v;
        case 279 -> stripCounts = v;
        case 324 -> tileOffsets = v;
        default -> tileCounts = v;
      }
    }
    String strips = blocksFit(b, stripOffsets, stripCounts, "strip");
    return strips != null ? strips : blocksFit(b, tileOffsets, tileCounts, "tile");
  }

  private static @Nullable String blocksFit(
      byte[] b, long @Nullable [] offsets, long @Nullable [] counts, String kind) {
    if (offsets == null || counts == null) {
      return null;
    }
    for (int i = 0; i < Math.min(offsets.length, counts.length); i++) {
      if (offsets[i] + counts[i] > b.length) {
        return truncated(
            "TIFF",
            b.length,
            kind
                + " "
                + i
                + " of "
                + offsets.length
                + " ("
                + counts[i]
                + " bytes at byte "
                + offsets[i]
                + ") runs past the end");
      }
    }
    return null;
  }

  // ---- WebP ----------------------------------------------------------------------------------

  private static @Nullable String webp(byte[] b) {
    int n = b.length;
    long end = 8 + u32le(b, 4);
    if (end > n) {
      return truncated("WebP", n, "the RIFF header declares " + end + " bytes");
    }
    long pos = 12;
    if (pos + 8 > end) {
      return "corrupt WebP: the RIFF container holds no chunk";
    }
    while (pos + 8 <= end) {
      long size = u32le(b, (int) pos + 4);
      if (pos + 8 + size > end) {
        return "corrupt WebP: chunk "
            + printable(new String(b, (int) pos, 4, StandardCharsets.ISO_8859_1))
            + " at byte "
            + pos
            + " declares "
            + size
            + " bytes, more than the RIFF size allows";
      }
      pos += 8 + size + (size & 1);
    }
    return null;
  }

  // ---- PNM -----------------------------------------------------------------------------------

  private static @Nullable String pnm(byte[] b) {
    char kind = (char) b[1];
    if (kind == '7') {
      return pam(b);
    }
    int numbers = kind == '1' || kind == '4' ? 2 : 3;
    long[] header = new long[numbers];
    int pos = 2;
    for (int k = 0; k < numbers; k++) {
      pos = skipSpaceAndComments(b, pos);
      if (pos >= b.length) {
        return truncated("PNM", b.length, "it ends inside the header");
      }
      if (kind == 'F' || kind == 'f') {
        if (k == 2) { // the scale factor is a real number; skip its token
          while (pos < b.length && !ImageHeaders.isPnmSpace(b[pos])) {
            pos++;
          }
          continue;
        }
      }
      if (b[pos] < '0' || b[pos] > '9') {
        return null; // not a header; the decoder rejects it
      }
      long v = 0;
      while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') {
        v = Math.min(v * 10 + (b[pos] - '0'), 1L << 40);
        pos++;
      }
      header[k] = v;
    }
    long pixels = saturatingMul(header[0], header[1]);
    int channels = kind == '3' || kind == '6' || kind == 'F' ? 3 : 1;
    long samples = saturatingMul(pixels, channels);
    if (kind >= '1' && kind <= '3') {
      long found = kind == '1' ? countBits(b, pos) : countNumbers(b, pos);
      return found < samples
          ? truncated(
              "PNM",
              b.length,
              "the header declares " + samples + " samples, the file holds " + found)
          : null;
    }
    if (pos >= b.length) {
      return truncated("PNM", b.length, "it ends right after the header");
    }
    long dataStart = pos + 1L; // exactly one whitespace character ends the header
    long need;
    if (kind == '4') {
      need = saturatingMul((header[0] + 7) / 8, header[1]);
    } else if (kind == 'F' || kind == 'f') {
      need = saturatingMul(samples, 4);
    } else {
      need = saturatingMul(samples, header[2] < 256 ? 1 : 2);
    }
    return shortPixelData("PNM", b.length, dataStart, need);
  }

  private static @Nullable String pam(byte[] b) {
    String text = new String(b, 0, Math.min(b.length, 4096), StandardCharsets.ISO_8859_1);
    int end = text.indexOf("ENDHDR");
    if (end < 0) {
      return b.length < 4096 ? truncated("PAM", b.length, "it ends before ENDHDR") : null;
    }
    long width = -1;
    long height = -1;
    long depth = -1;
    long maxval = -1;
    for (String line : text.substring(0, end).split("[\r\n]+")) {
      String[] t = line.trim().split("\\s+");
      if (t.length >= 2) {
        long v = ImageHeaders.parseOrMinus(t[1]);
        switch (t[0]) {
          case "WIDTH" -> width = v;
          case "HEIGHT" -> height = v;
          case "DEPTH" -> depth = v;
          case "MAXVAL" -> maxval = v;
          default -> {}
        }
      }
    }
    if (width < 0 || height < 0 || depth < 0 || maxval < 0) {
      return null;
    }
    int nl = text.indexOf('\n', end);
    if (nl < 0) {
      return truncated("PAM", b.length, "it ends inside the ENDHDR line");
    }
    long need =
        saturatingMul(saturatingMul(saturatingMul(width, height), depth), maxval < 256 ? 1 : 2);
    return shortPixelData("PAM", b.length, nl + 1L, need);
  }

  private static int skipSpaceAndComments(byte[] b, int pos) {
    while (pos < b.length) {
      if (b[pos] == '#') {
        while (pos < b.length && b[pos] != '\n' && b[pos] != '\r') {
          pos++;
        }
      } else if (ImageHeaders.isPnmSpace(b[pos])) {
        pos++;
      } else {
        break;
      }
    }
    return pos;
  }

  /** P1 samples: '0' and '1' digits, with or without separators. */
  private static long countBits(byte[] b, int pos) {
    long found = 0;
    for (int i = skipSpaceAndComments(b, pos); i < b.length; i = skipSpaceAndComments(b, i + 1)) {
      if (b[i] == '0' || b[i] == '1') {
        found++;
      }
    }
    return found;
  }

  /** P2/P3 samples: whitespace-separated decimal numbers. */
  private static long countNumbers(byte[] b, int pos) {
    long found = 0;
    int i = skipSpaceAndComments(b, pos);
    while (i < b.length) {
      if (b[i] >= '0' && b[i] <= '9') {
        found++;
      }
      while (i < b.length && !ImageHeaders.isPnmSpace(b[i]) && b[i] != '#') {
        i++;
      }
      i = skipSpaceAndComments(b, i);
    }
    return found;
  }

  // ---- WBMP ----------------------------------------------------------------------------------

  private static @Nullable String wbmp(byte[] b) {
    int pos = 2; // type 0, fixed header 0 (ImageIO's probe accepted these)
    long[] size = new long[2];
    for (int k = 0; k < 2; k++) {
      long v = 0;
      while (true) {
        if (pos >= b.length) {
          return truncated("WBMP", b.length, "it ends inside the header");
        }
        int c = u8(b, pos++);
        v = Math.min((v << 7) | (c & 0x7F), 1L << 40);
        if ((c & 0x80) == 0) {
          break;
        }
      }
      size[k] = v;
    }
    long need = saturatingMul((size[0] + 7) / 8, size[1]);
    return shortPixelData("WBMP", b.length, pos, need);
  }

  // ---- helpers -------------------------------------------------------------------------------

  /**
   * Whether a file of {@code length} bytes whose pixel data start at {@code dataStart} holds the
   * {@code need} bytes its header declares (the raw formats: PNM, PAM, WBMP); null if it does.
   */
  private static @Nullable String shortPixelData(
      String format, int length, long dataStart, long need) {
    long have = length - dataStart;
    return have < need
        ? truncated(
            format,
            length,
            "the header declares " + need + " bytes of pixel data, the file holds " + have)
        : null;
  }

  private static String truncated(String format, int length, String detail) {
    return "truncated " + format + " (" + length + " bytes): " + detail;
  }

  private static long saturatingMul(long a, long c) {
    long hi = Math.multiplyHigh(a, c);
    long lo = a * c;
    return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
  }

  private static long saturatingAdd(long a, long c) {
    long r = a + c;
    return r < 0 ? Long.MAX_VALUE : r;
  }

  private static boolean ascii(byte[] b, int offset, String s) {
    if (b.length < offset + s.length()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (b[offset + i] != (byte) s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static int u8(byte[] b, int i) {
    return b[i] & 0xFF;
  }

  private static int u16be(byte[] b, int i) {
    return u8(b, i) << 8 | u8(b, i + 1);
  }

  private static int u16le(byte[] b, int i) {
    return u8(b, i) | u8(b, i + 1) << 8;
  }

  private static int u16(byte[] b, int i, boolean le) {
    return le ? u16le(b, i) : u16be(b, i);
  }

  private static long u32be(byte[] b, int i) {
    return (long) u8(b, i) << 24 | u8(b, i + 1) << 16 | u8(b, i + 2) << 8 | u8(b, i + 3);
  }

  private static long u32le(byte[] b, int i) {
    return u8(b, i) | u8(b, i + 1) << 8 | u8(b, i + 2) << 16 | (long) u8(b, i + 3) << 24;
  }

  private static long u32(byte[] b, int i, boolean le) {
    return le ? u32le(b, i) : u32be(b, i);
  }

  private static int s32le(byte[] b, int i) {
    return (int) u32le(b, i);
  }
}
