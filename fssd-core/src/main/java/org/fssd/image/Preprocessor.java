package org.fssd.image;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;

import java.nio.FloatBuffer;
import java.util.List;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SPEC §1: turns a BGR image into the network input the published weights expect.
 *
 * <ol>
 *   <li>Resize the <b>8-bit</b> image to S x S with OpenCV {@code resize(..., INTER_LINEAR)} —
 *       exactly the reference's {@code cv2.resize(img, (S, S))}, including OpenCV's fixed-point
 *       arithmetic and rounding back to 8 bits (half-pixel centres: {@code src = (dst + 0.5) * in /
 *       out - 0.5}, clamped at the borders).
 *   <li>Convert to float32 and subtract the per-channel means (default B = 104, G = 117, R = 123);
 *       no scaling.
 *   <li>Lay out channel-major (CHW; NCHW for batches), channel 0 = B, 1 = G, 2 = R.
 * </ol>
 *
 * <p>Element {@code [c][y][x]} of one image's tensor is at index {@code offset + (c * S + y) * S +
 * x}. The resized pixels are copied out of OpenCV in one bulk transfer; the layout change and mean
 * subtraction are a plain Java loop.
 *
 * <p><b>Thread safety</b>: immutable; every method may be called from many threads at once (each
 * with its own destination). OpenCV may use its own worker threads inside {@code resize}.
 */
public final class Preprocessor {

  /** Mean of the blue channel the published weights were trained with. */
  public static final float MEAN_B = 104f;

  /** Mean of the green channel the published weights were trained with. */
  public static final float MEAN_G = 117f;

  /** Mean of the red channel the published weights were trained with. */
  public static final float MEAN_R = 123f;

  private final int size;
  private final float meanB;
  private final float meanG;
  private final float meanR;

  /**
   * A preprocessor for S x S inputs with the reference means (104, 117, 123).
   *
   * @param size S, the side of the square network input (300 or 512 for FSSD), at least 1
   */
  public Preprocessor(int size) {
    this(size, MEAN_B, MEAN_G, MEAN_R);
  }

  /**
   * A preprocessor for S x S inputs with the given per-channel means (in 8-bit units).
   *
   * @throws IllegalArgumentException when size is not in [1, 16384] or a mean is not finite
   */
  public Preprocessor(int size, float meanB, float meanG, float meanR) {
    checkArgument(size >= 1 && size <= 16384, "size must be in [1, 16384], got %s", size);
    checkArgument(
        Float.isFinite(meanB) && Float.isFinite(meanG) && Float.isFinite(meanR),
        "means must be finite, got B=%s G=%s R=%s",
        meanB,
        meanG,
        meanR);
    this.size = size;
    this.meanB = meanB;
    this.meanG = meanG;
    this.meanR = meanR;
  }

  /** S, the side of the square output. */
  public int size() {
    return size;
  }

  /** The means subtracted, in channel order {B, G, R} (a copy). */
  public float[] means() {
    return new float[] {meanB, meanG, meanR};
  }

  /** Floats written per image: {@code 3 * S * S}. */
  public int tensorLength() {
    return 3 * size * size;
  }

  /**
   * The image resized to S x S, still 8-bit BGR (a new image the caller must close; its source is
   * the input's). This is step 1 alone: the pixels the tensor is computed from.
   *
   * @throws IllegalStateException when {@code image} is closed
   */
  public BgrImage resize(BgrImage image) {
    checkNotNull(image, "image");
    Mat src = image.mat();
    Mat dst = new Mat();
    if (image.width() == size && image.height() == size) {
      src.copyTo(dst);
    } else {
      try (Size dsize = new Size(size, size)) {
        opencv_imgproc.resize(src, dst, dsize, 0, 0, INTER_LINEAR);
      }
    }
    return BgrImage.wrap(dst, image.source());
  }

  /**
   * The resized S x S pixels as packed BGR bytes (row-major, 3 bytes per pixel, unsigned).
   *
   * @throws IllegalStateException when {@code image} is closed
   */
  public byte[] resizedBgr(BgrImage image) {
    checkNotNull(image, "image");
    Mat src = image.mat();
    byte[] out = new byte[3 * size * size];
    if (image.width() == size && image.height() == size) {
      BgrImage.copyBgrBytes(src, out); // INTER_LINEAR to the same size is the identity
    } else {
      try (Mat dst = new Mat();
          Size dsize = new Size(size, size)) {
        opencv_imgproc.resize(src, dst, dsize, 0, 0, INTER_LINEAR);
        BgrImage.copyBgrBytes(dst, out);
      }
    }
    return out;
  }

  /**
   * Writes the network input of one image, {@code 3 * S * S} floats in CHW order (channel 0 = B),
   * into {@code dst} starting at {@code offset}.
   *
   * @throws IllegalArgumentException when {@code dst} has fewer than {@code offset + 3 * S * S}
   *     elements or offset is negative
   * @throws IllegalStateException when {@code image} is closed
   */
  public void toTensor(BgrImage image, float[] dst, int offset) {
    checkNotNull(dst, "dst");
    checkRange(dst.length, offset);
    bgrToTensor(resizedBgr(image), dst, offset);
  }

  /**
   * The network input of one image as a new array of {@code 3 * S * S} floats (CHW, channel 0 = B).
   *
   * @throws IllegalStateException when {@code image} is closed
   */
  public float[] toTensor(BgrImage image) {
    float[] out = new float[tensorLength()];
    toTensor(image, out, 0);
    return out;
  }

  /**
   * Writes the network input of one image into {@code dst} at its position and advances the
   * position by {@code 3 * S * S} (heap or direct buffers).
   *
   * @throws IllegalArgumentException when fewer than {@code 3 * S * S} floats remain
   * @throws IllegalStateException when {@code image} is closed
   */
  public void toTensor(BgrImage image, FloatBuffer dst) {
    checkNotNull(dst, "dst");
    checkArgument(
        dst.remaining() >= tensorLength(),
        "dst has %s floats remaining, need 3*S*S = %s",
        dst.remaining(),
        tensorLength());
    if (dst.hasArray() && !dst.isReadOnly()) {
      toTensor(image, dst.array(), dst.arrayOffset() + dst.position());
      dst.position(dst.position() + tensorLength());
    } else {
      dst.put(toTensor(image));
    }
  }

  /**
   * Steps 2 and 3 alone: converts already-resized S x S packed BGR bytes (as {@link
   * #resizedBgr(BgrImage)} returns) to CHW floats with the means subtracted.
   *
   * @throws IllegalArgumentException when {@code bgr.length != 3 * S * S} or {@code dst} is too
   *     short
   */
  public void bgrToTensor(byte[] bgr, float[] dst, int offset) {
    checkNotNull(bgr, "bgr");
    checkNotNull(dst, "dst");
    int plane = size * size;
    checkArgument(
        bgr.length == 3 * plane, "bgr must hold 3*S*S = %s bytes, got %s", 3 * plane, bgr.length);
    checkRange(dst.length, offset);
    int b = offset;
    int g = offset + plane;
    int r = offset + 2 * plane;
    for (int p = 0, i = 0; p < plane; p++, i += 3) {
      dst[b + p] = (bgr[i] & 0xFF) - meanB;
      dst[g + p] = (bgr[i + 1] & 0xFF) - meanG;
      dst[r + p] = (bgr[i + 2] & 0xFF) - meanR;
    }
  }

  /**
   * The network input of a batch: a new float32 {@link INDArray} of shape [N, 3, S, S] (C order),
   * image n at index n.
   *
   * @throws IllegalArgumentException when {@code images} is empty or too large for one array
   * @throws IllegalStateException when one of the images is closed
   */
  public INDArray toBatch(List<BgrImage> images) {
    checkNotNull(images, "images");
    checkArgument(!images.isEmpty(), "images must not be empty");
    long total = (long) images.size() * tensorLength();
    checkArgument(
        total <= Integer.MAX_VALUE - 16,
        "a batch of %s images of 3x%sx%s does not fit one array",
        images.size(),
        size,
        size);
    float[] data = new float[(int) total];
    for (int n = 0; n < images.size(); n++) {
      toTensor(checkNotNull(images.get(n), "images[%s]", n), data, n * tensorLength());
    }
    return Nd4j.create(data, new long[] {images.size(), 3, size, size}, 'c');
  }

  @Override
  public String toString() {
    return "Preprocessor{size="
        + size
        + ", means(BGR)="
        + meanB
        + ","
        + meanG
        + ","
        + meanR
        + ", INTER_LINEAR}";
  }

  private void checkRange(int length, int offset) {
    checkArgument(
        offset >= 0 && (long) offset + tensorLength() <= length,
        "dst of length %s cannot hold 3*S*S = %s floats at offset %s",
        length,
        tensorLength(),
        offset);
  }
}
