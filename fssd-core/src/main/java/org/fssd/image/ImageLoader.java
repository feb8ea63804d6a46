package org.fssd.image;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

import com.google.common.collect.ImmutableSet;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.fssd.ImageDecodeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns files, encoded bytes, {@link BufferedImage}s and raw BGR bytes into {@link BgrImage}s —
 * step 1 of SPEC §1 ("decode the image to 8-bit BGR").
 *
 * <pre>{@code
 * ImageLoader loader = ImageLoader.builder().maxPixels(50_000_000).build();
 * try (BgrImage image = loader.load(Path.of("dog.jpg"))) {
 *   ...
 * }
 * }</pre>
 *
 * <p><b>Decoding</b> is OpenCV's {@code imdecode(bytes, IMREAD_COLOR)}, the call behind the
 * reference's {@code cv2.imread(path)} / {@code cv2.imread(path, cv2.IMREAD_COLOR)}, so the pixels
 * are those the reference sees: every input becomes 8-bit BGR. Grayscale is replicated to the three
 * channels, alpha is dropped (not composited), palette images are expanded, 16-bit samples keep
 * their high byte, CMYK JPEGs are converted to BGR. Each of these is verified by a test: grayscale,
 * RGBA, palette and 16-bit (grey and RGB) PNGs, grey and colour JPEGs, a CMYK (Adobe APP14, as
 * Pillow writes it) JPEG, BMP, TIFF, GIF, WBMP, PPM and WebP (lossy and lossless). GIF and WBMP,
 * which OpenCV 4.5.5 cannot decode, are decoded with {@code javax.imageio} and converted like a
 * {@link BufferedImage} (below).
 *
 * <p><b>EXIF orientation</b> is applied, as {@code cv2.imread} does by default in OpenCV 4: a JPEG
 * whose EXIF says "rotate 90 degrees" comes out rotated, with width and height swapped relative to
 * the stored pixels (verified by a test). Detections therefore refer to the image as displayed.
 *
 * <p><b>Truncated or corrupt data</b>: before any decoder runs, the file's structure is walked
 * ({@code ImageStructure}: JPEG markers up to EOI after the last scan, PNG chunks up to IEND with
 * critical-chunk CRCs, BMP/PNM/WBMP pixel-array sizes, TIFF strip/tile extents, WebP RIFF size, GIF
 * blocks of the first frame). A file that ends early is refused with an {@link
 * ImageDecodeException} whose message names it and says "truncated" — libjpeg alone would decode a
 * cut JPEG, fill the missing part with grey and only warn on stderr, and libpng would print {@code
 * libpng error} lines; neither decoder ever sees such a file. Corrupt data that is structurally
 * complete is left to the decoders: the result is a {@link BgrImage} of the declared size or an
 * {@link ImageDecodeException}, never another error.
 *
 * <p><b>Limits.</b> Before any pixel is decoded, the width and height declared in the header are
 * read — with {@code javax.imageio} readers (JPEG, PNG, BMP, GIF, WBMP, TIFF; header only, so a
 * CMYK JPEG that ImageIO could not decode still has its size read) or with small built-in probes
 * for PNM (PBM/PGM/PPM/PAM/PFM) and WebP — and an image larger than {@link Builder#maxPixels(long)}
 * is refused, so that a tiny file declaring 60000 x 60000 pixels never allocates gigabytes. A file
 * in a format none of these knows (OpenEXR, Radiance HDR, JPEG 2000, Sun raster) is handed to
 * OpenCV, whose own limits then apply before its allocation (by default at most 2^20 pixels per
 * side and 2^30 pixels in all, configurable only through the environment variables {@code
 * OPENCV_IO_MAX_IMAGE_WIDTH}, {@code OPENCV_IO_MAX_IMAGE_HEIGHT}, {@code
 * OPENCV_IO_MAX_IMAGE_PIXELS} of the process); {@code maxPixels} is then checked on the decoded
 * image. Files are also limited in bytes ({@link Builder#maxFileBytes(long)}).
 *
 * <p><b>Errors</b>: every problem with the image itself — missing, unreadable or empty file, bytes
 * that are no image, corrupt data, zero width or height, too many pixels — is an {@link
 * ImageDecodeException} whose message starts with "image &lt;source&gt;:" and says what is wrong.
 * {@code null} arguments are a {@link NullPointerException}.
 *
 * <p><b>Thread safety</b>: immutable; every method may be called from many threads at once.
 */
public final class ImageLoader {

  private static final Logger LOG = LoggerFactory.getLogger(ImageLoader.class);

  /** Default {@link Builder#maxPixels(long)}: 100 million pixels (e.g. 10000 x 10000). */
  public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

  /** Default {@link Builder#maxFileBytes(long)}: 1 GiB. */
  public static final long DEFAULT_MAX_FILE_BYTES = 1L << 30;

  /** Largest byte array the JVM reliably allocates. */
  private static final long MAX_ARRAY = Integer.MAX_VALUE - 16L;

  /** Formats ImageIO reads but OpenCV 4.5.5's imgcodecs does not. */
  private static final ImmutableSet<String> IMAGEIO_ONLY = ImmutableSet.of("gif", "wbmp");

  private static final String BYTES_SOURCE = "<bytes>";
  private static final String BUFFERED_SOURCE = "<BufferedImage>";

  private static final ImageLoader DEFAULTS = builder().build();

  private final long maxPixels;
  private final long maxFileBytes;

  private ImageLoader(Builder b) {
    this.maxPixels = b.maxPixels;
    this.maxFileBytes = b.maxFileBytes;
  }

  /** A loader with the default limits. */
  public static ImageLoader defaults() {
    return DEFAULTS;
  }

  /** A builder with the default limits. */
  public static Builder builder() {
    return new Builder();
  }

  /** The largest accepted {@code width * height}. */
  public long maxPixels() {
    return maxPixels;
  }

  /** The largest accepted file size in bytes for {@link #load(Path)}. */
  public long maxFileBytes() {
    return maxFileBytes;
  }

  /**
   * Reads and decodes an image file. The {@link BgrImage#source()} is the path as given.
   *
   * @throws ImageDecodeException when the file is missing, not a regular readable file, empty,
   *     larger than {@link #maxFileBytes()}, not a decodable image, or has too many pixels
   */
  public BgrImage load(Path path) {
    checkNotNull(path, "path");
    String source = path.toString();
    if (!Files.exists(path)) {
      throw new ImageDecodeException("image " + source + ": file not found");
    }
    if (Files.isDirectory(path)) {
      throw new ImageDecodeException("image " + source + ": is a directory, not an image file");
    }
    byte[] bytes;
    try {
      long size = Files.size(path);
      if (size == 0) {
        throw new ImageDecodeException("image " + source + ": file is empty (0 bytes)");
      }
      if (size > Math.min(maxFileBytes, MAX_ARRAY)) {
        throw new org.fssd.ImageTooLargeException(
            "image "
                + source
                + ": file is "
                + size
                + " bytes, more than the limit of "
                + Math.min(maxFileBytes, MAX_ARRAY)
                + " bytes");
      }
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new ImageDecodeException("image " + source + ": file not found", e);
    } catch (AccessDeniedException e) {
      throw new ImageDecodeException(
          "image " + source + ": file is not readable (access denied)", e);
    } catch (IOException e) {
      throw new ImageDecodeException("image " + source + ": cannot read the file: " + e, e);
    }
    return decode(bytes, source);
  }

  /**
   * Decodes an encoded image (JPEG, PNG, BMP, GIF, TIFF, WebP, PNM, ...) held in memory.
   *
   * @param bytes the encoded file content; not modified
   * @param sourceName a name for messages and {@link BgrImage#source()} ({@link #load(byte[])}
   *     names the image "&lt;bytes&gt;")
   * @throws ImageDecodeException when the bytes are empty, not a decodable image, corrupt, or have
   *     too many pixels
   */
  public BgrImage load(byte[] bytes, String sourceName) {
    checkNotNull(bytes, "bytes");
    return decode(bytes, checkNotNull(sourceName, "sourceName"));
  }

  /** {@link #load(byte[], String)} of an image named "&lt;bytes&gt;". */
  public BgrImage load(byte[] bytes) {
    return load(bytes, BYTES_SOURCE);
  }

  /**
   * Converts a {@link BufferedImage} of any type to 8-bit BGR (a copy; the input is not kept).
   *
   * <p>Conversion, chosen to match what decoding the same pixels from a PNG file gives: 8-bit grey
   * ({@code TYPE_BYTE_GRAY}) is replicated to B, G and R without colour management; 16-bit grey
   * ({@code TYPE_USHORT_GRAY}) keeps the high byte; the sRGB types ({@code TYPE_3BYTE_BGR}, {@code
   * TYPE_4BYTE_ABGR}, {@code TYPE_INT_RGB}, {@code TYPE_INT_ARGB}, {@code TYPE_INT_BGR}) are copied
   * as they are; every other type goes through {@link BufferedImage#getRGB} (sRGB, premultiplied
   * alpha undone). Alpha is <b>dropped</b> (not composited over any background), as OpenCV does for
   * an RGBA PNG read with {@code IMREAD_COLOR}.
   *
   * @param sourceName a name for messages ({@link #fromBufferedImage(BufferedImage)} names the
   *     image "&lt;BufferedImage&gt;")
   * @throws ImageDecodeException when the image has more than {@link #maxPixels()} pixels
   */
  public BgrImage fromBufferedImage(BufferedImage image, String sourceName) {
    checkNotNull(image, "image");
    String source = checkNotNull(sourceName, "sourceName");
    checkSize(image.getWidth(), image.getHeight(), source, "");
    return fromBgrBytesUnchecked(toBgr(image), image.getWidth(), image.getHeight(), source);
  }

  /**
   * {@link #fromBufferedImage(BufferedImage, String)} of an image named "&lt;BufferedImage&gt;".
   */
  public BgrImage fromBufferedImage(BufferedImage image) {
    return fromBufferedImage(image, BUFFERED_SOURCE);
  }

  /**
   * Copies packed 8-bit BGR pixels (row-major, 3 bytes per pixel: B, G, R) into a new image.
   *
   * @param sourceName a name for messages
   * @throws ImageDecodeException when width or height is not positive, the pixel count exceeds
   *     {@link #maxPixels()}, or {@code bgr.length != 3 * width * height}
   */
  public BgrImage fromBgrBytes(byte[] bgr, int width, int height, String sourceName) {
    checkNotNull(bgr, "bgr");
    String source = checkNotNull(sourceName, "sourceName");
    checkSize(width, height, source, "");
    long expected = 3L * width * height;
    if (bgr.length != expected) {
      throw new ImageDecodeException(
          imageOfSize(source, width, height)
              + " BGR needs "
              + expected
              + " bytes, got "
              + bgr.length);
    }
    return fromBgrBytesUnchecked(bgr, width, height, source);
  }

  @Override
  public String toString() {
    return "ImageLoader{maxPixels=" + maxPixels + ", maxFileBytes=" + maxFileBytes + "}";
  }

  // ---------------------------------------------------------------------------------------------

  private BgrImage decode(byte[] bytes, String source) {
    if (bytes.length == 0) {
      throw new ImageDecodeException("image " + source + ": empty (0 bytes), not an image");
    }
    ImageHeaders.Header header;
    try {
      header = ImageHeaders.probe(bytes, source);
    } catch (ImageDecodeException e) {
      // A header that cannot be read is most often a cut file: say so precisely when it is.
      ImageStructure.checkComplete(bytes, null, source);
      throw e;
    }
    if (header != null) {
      checkSize(
          header.width(),
          header.height(),
          source,
          " (declared in its " + header.format().toUpperCase(Locale.ROOT) + " header)");
    }
    // Before any decoder: libjpeg would fill a cut JPEG with grey, libpng prints to stderr.
    ImageStructure.checkComplete(bytes, header == null ? null : header.format(), source);
    if (header != null) {
      if (IMAGEIO_ONLY.contains(header.format())) {
        return decodeWithImageIo(bytes, source, header.format());
      }
    }
    Mat decoded;
    try (BytePointer data = new BytePointer(bytes);
        Mat encoded = new Mat(1, bytes.length, CV_8UC1, data)) {
      decoded = imdecode(encoded, IMREAD_COLOR);
    } catch (RuntimeException e) { // cv::Exception, e.g. OpenCV's own size limits
      throw new ImageDecodeException(
          "image " + source + ": OpenCV refused to decode it: " + e.getMessage(), e);
    }
    if (decoded == null || decoded.isNull() || decoded.empty()) {
      if (decoded != null) {
        decoded.close();
      }
      String what =
          header == null
              ? "not an image in a known format, or corrupt"
              : "corrupt or truncated " + header.format().toUpperCase(Locale.ROOT) + " data";
      throw new ImageDecodeException("image " + source + ": cannot decode: " + what);
    }
    try {
      checkSize(decoded.cols(), decoded.rows(), source, "");
      if (decoded.type() != CV_8UC3 || decoded.dims() != 2) {
        throw new ImageDecodeException(
            "image " + source + ": OpenCV decoded an unexpected Mat type " + decoded.type());
      }
    } catch (RuntimeException e) {
      decoded.close();
      throw e;
    }
    LOG.debug(
        "decoded {}: {}x{} ({})",
        source,
        decoded.cols(),
        decoded.rows(),
        header == null ? "format probed by OpenCV" : header.format());
    return BgrImage.wrap(decoded, source);
  }

  private BgrImage decodeWithImageIo(byte[] bytes, String source, String format) {
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      throw ImageHeaders.failed(
          source, "cannot decode corrupt " + format.toUpperCase(Locale.ROOT) + " data", e);
    }
    if (image == null) {
      throw new ImageDecodeException(
          "image " + source + ": cannot decode: no reader for its " + format + " data");
    }
    return fromBufferedImage(image, source);
  }

  private void checkSize(long width, long height, String source, String where) {
    if (width <= 0 || height <= 0) {
      throw new ImageDecodeException(
          "image " + source + ": zero-size image, " + width + "x" + height + " pixels" + where);
    }
    if (width > Integer.MAX_VALUE / 3
        || height > Integer.MAX_VALUE / 3
        || width * height > maxPixels) {
      throw new org.fssd.ImageTooLargeException(
          imageOfSize(source, width, height)
              + " = "
              + width * height
              + " pixels"
              + where
              + " is more than the limit of "
              + maxPixels
              + " pixels");
    }
  }

  /** "image SOURCE: WIDTHxHEIGHT", how a message about an image's size begins. */
  private static String imageOfSize(String source, long width, long height) {
    return "image " + source + ": " + width + "x" + height;
  }

  private static BgrImage fromBgrBytesUnchecked(byte[] bgr, int width, int height, String source) {
    Mat mat = new Mat(height, width, CV_8UC3);
    mat.data().put(bgr, 0, bgr.length);
    return BgrImage.wrap(mat, source);
  }

  /** Packed BGR bytes of any BufferedImage, per the policy documented on fromBufferedImage. */
  private static byte[] toBgr(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] bgr = new byte[Math.multiplyExact(3, Math.multiplyExact(w, h))];
    Raster raster = image.getRaster();
    switch (image.getType()) {
      case BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY -> {
        int shift = image.getType() == BufferedImage.TYPE_USHORT_GRAY ? 8 : 0;
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
          raster.getSamples(0, y, w, 1, 0, row);
          int o = 3 * w * y;
          for (int x = 0; x < w; x++) {
            byte v = (byte) (row[x] >>> shift);
            bgr[o] = v;
            bgr[o + 1] = v;
            bgr[o + 2] = v;
            o += 3;
          }
        }
      }
      case BufferedImage.TYPE_3BYTE_BGR,
          BufferedImage.TYPE_4BYTE_ABGR,
          BufferedImage.TYPE_INT_RGB,
          BufferedImage.TYPE_INT_ARGB,
          BufferedImage.TYPE_INT_BGR -> {
        // The raster's bands of these types are R, G, B (, A), 8 bits each, non-premultiplied sRGB.
        int bands = raster.getNumBands();
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
          raster.getPixels(0, y, w, 1, row);
          int o = 3 * w * y;
          for (int x = 0, i = 0; x < w; x++, i += bands) {
            bgr[o] = (byte) row[i + 2];
            bgr[o + 1] = (byte) row[i + 1];
            bgr[o + 2] = (byte) row[i];
            o += 3;
          }
        }
      }
      default -> {
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
          image.getRGB(0, y, w, 1, row, 0, w);
          int o = 3 * w * y;
          for (int x = 0; x < w; x++) {
            int argb = row[x];
            bgr[o] = (byte) argb;
            bgr[o + 1] = (byte) (argb >> 8);
            bgr[o + 2] = (byte) (argb >> 16);
            o += 3;
          }
        }
      }
    }
    return bgr;
  }

  /**
   * Builder of {@link ImageLoader}; every setting has a default, {@link #build()} never fails. Not
   * thread-safe.
   */
  public static final class Builder {
    private long maxPixels = DEFAULT_MAX_PIXELS;
    private long maxFileBytes = DEFAULT_MAX_FILE_BYTES;

    private Builder() {}

    /**
     * The largest {@code width * height} accepted (default 100 000 000). Checked from the header
     * before decoding wherever the format allows (see the class Javadoc).
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxPixels(long maxPixels) {
      checkArgument(maxPixels > 0, "maxPixels must be > 0, got %s", maxPixels);
      this.maxPixels = maxPixels;
      return this;
    }

    /**
     * The largest file accepted by {@link ImageLoader#load(Path)}, in bytes (default 1 GiB; files
     * are read into memory, so at most about 2 GiB in any case).
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxFileBytes(long maxFileBytes) {
      checkArgument(maxFileBytes > 0, "maxFileBytes must be > 0, got %s", maxFileBytes);
      this.maxFileBytes = maxFileBytes;
      return this;
    }

    /** An immutable loader with these settings. */
    public ImageLoader build() {
      return new ImageLoader(this);
    }

    @Override
    public String toString() {
      return "ImageLoader.Builder{maxPixels=" + maxPixels + ", maxFileBytes=" + maxFileBytes + "}";
    }
  }
}
