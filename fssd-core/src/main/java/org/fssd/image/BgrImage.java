package org.fssd.image;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * An 8-bit, 3-channel image in OpenCV's <b>BGR</b> channel order: a native OpenCV {@link Mat} of
 * type {@code CV_8UC3} with at least one row and one column, plus a {@link #source() name} for
 * messages.
 *
 * <p>Coordinates: x (column) grows to the right, y (row) grows down, both in pixels, origin at the
 * top-left pixel.
 *
 * <p><b>Ownership.</b> A {@code BgrImage} owns its native pixels; {@link #close()} frees them. It
 * is idempotent (closing twice is harmless). After close, every pixel access ({@link #mat()},
 * {@link #copy()}, {@link #toBgrBytes()}, {@link #toBufferedImage()}) throws an {@link
 * IllegalStateException} naming the call; {@link #width()}, {@link #height()} and {@link #source()}
 * stay available (they are plain values, handy for messages). Not closing an image only delays the
 * release of its memory to JavaCPP's garbage-collection-driven deallocator.
 *
 * <p><b>Thread safety.</b> Reading pixels from several threads at once is safe; writing pixels
 * through {@link #mat()} while other threads read, or closing while other threads use the image, is
 * not (the caller must order these).
 *
 * <p>Instances come from {@link ImageLoader} (files, bytes, {@link BufferedImage}s), from {@link
 * #wrap(Mat, String)} and from {@link Preprocessor#resize(BgrImage)}.
 */
public final class BgrImage implements AutoCloseable, ImageInput {

  private final Mat mat;
  private final int width;
  private final int height;
  private final String source;
  private final AtomicBoolean closed = new AtomicBoolean();

  private BgrImage(Mat mat, String source) {
    this.mat = mat;
    this.width = mat.cols();
    this.height = mat.rows();
    this.source = source;
  }

  /**
   * Takes ownership of an OpenCV matrix (it is freed when this image is closed; the caller must not
   * close or release it itself).
   *
   * @param mat a non-empty 2-D matrix of type {@code CV_8UC3} in BGR order
   * @param source a name for messages (file path, "&lt;bytes&gt;", ...)
   * @throws IllegalArgumentException when the matrix is empty or not {@code CV_8UC3}
   */
  public static BgrImage wrap(Mat mat, String source) {
    checkNotNull(mat, "mat");
    checkNotNull(source, "source");
    checkArgument(!mat.isNull() && !mat.empty(), "image %s: the Mat is empty", source);
    checkArgument(
        mat.dims() == 2 && mat.type() == CV_8UC3,
        "image %s: expected a 2-D CV_8UC3 (8-bit BGR) Mat, got type %s with %s channels and %s dims",
        source,
        mat.type(),
        mat.channels(),
        mat.dims());
    return new BgrImage(mat, source);
  }

  /** Width in pixels (number of columns), at least 1. Available after close. */
  public int width() {
    return width;
  }

  /** Height in pixels (number of rows), at least 1. Available after close. */
  public int height() {
    return height;
  }

  /** Number of pixels, {@code width * height}. Available after close. */
  public long pixels() {
    return (long) width * height;
  }

  /**
   * A name for messages: the file path for images loaded from files, the caller's name for bytes or
   * {@link BufferedImage}s ("&lt;bytes&gt;" / "&lt;BufferedImage&gt;" when none was given).
   */
  public String source() {
    return source;
  }

  /** The same as {@link #source()}: the name of this image as an {@link ImageInput}. */
  @Override
  public String name() {
    return source;
  }

  /**
   * The underlying OpenCV matrix ({@code CV_8UC3}, BGR), owned by this image: do not close or
   * release it, and do not use it after this image is closed. Writing into it changes this image.
   *
   * @throws IllegalStateException when this image is closed
   */
  public Mat mat() {
    checkOpen("mat()");
    return mat;
  }

  /**
   * A deep copy with the same pixels and source name, owned by the caller.
   *
   * @throws IllegalStateException when this image is closed
   */
  public BgrImage copy() {
    checkOpen("copy()");
    return new BgrImage(mat.clone(), source);
  }

  /**
   * The pixels as packed bytes, row-major, 3 bytes per pixel in B, G, R order (length {@code 3 *
   * width * height}); byte values are unsigned (use {@code b & 0xFF}). One bulk native copy.
   *
   * @throws IllegalStateException when this image is closed
   */
  public byte[] toBgrBytes() {
    checkOpen("toBgrBytes()");
    byte[] out = new byte[Math.multiplyExact(3, Math.toIntExact(pixels()))];
    copyBgrBytes(mat, out);
    return out;
  }

  /**
   * A {@link BufferedImage#TYPE_3BYTE_BGR} copy of the pixels (independent of this image).
   *
   * @throws IllegalStateException when this image is closed
   */
  public BufferedImage toBufferedImage() {
    checkOpen("toBufferedImage()");
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    // TYPE_3BYTE_BGR stores B, G, R per pixel in one packed byte array, like a continuous Mat.
    copyBgrBytes(mat, ((DataBufferByte) out.getRaster().getDataBuffer()).getData());
    return out;
  }

  /** Whether {@link #close()} has been called. */
  public boolean isClosed() {
    return closed.get();
  }

  /** Frees the native pixels. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      mat.close();
    }
  }

  @Override
  public String toString() {
    return "BgrImage{"
        + width
        + "x"
        + height
        + ", source="
        + source
        + (isClosed() ? ", closed}" : "}");
  }

  private void checkOpen(String call) {
    if (closed.get()) {
      throw new IllegalStateException(
          "BgrImage." + call + " called after close() (image " + source + ")");
    }
  }

  /** Copies a CV_8UC3 Mat's pixels into {@code dst} (packed HWC), in bulk, row by row if needed. */
  static void copyBgrBytes(Mat mat, byte[] dst) {
    int rowBytes = 3 * mat.cols();
    int rows = mat.rows();
    if (mat.isContinuous()) {
      mat.data().get(dst, 0, rowBytes * rows);
    } else {
      long step = mat.step();
      for (int y = 0; y < rows; y++) {
        mat.data().position(y * step).get(dst, y * rowBytes, rowBytes);
      }
    }
  }
}
