package org.fssd.image;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Objects;
import org.fssd.ImageDecodeException;

/**
 * One image handed to a detector, in one of the four forms it accepts: a file ({@link #of(Path)}),
 * encoded bytes ({@link #of(byte[])}), a decoded {@link BufferedImage} ({@link #of(BufferedImage)})
 * or an 8-bit BGR image ({@link #of(BgrImage)}; a {@link BgrImage} is itself an {@code ImageInput},
 * so a {@code List<BgrImage>} can be passed as it is).
 *
 * <p>The interface is sealed, so a batch of inputs is checked by the compiler: nothing but these
 * forms can reach the decoder. The factories refuse null (a {@link NullPointerException} naming the
 * argument) and empty input (an empty path or a zero-length byte array: {@link
 * ImageDecodeException}) at once, before any detector runs. An input holds a reference to what it
 * was given, not a copy: the caller must not change a byte array or image until the detection that
 * reads it has returned.
 */
public sealed interface ImageInput
    permits ImageInput.FromPath, ImageInput.FromBytes, ImageInput.FromBufferedImage, BgrImage {

  /** An image file, decoded by the detector (any format OpenCV reads). */
  static ImageInput of(Path file) {
    return new FromPath(file);
  }

  /** Encoded image bytes (JPEG, PNG, ...); messages name the image "&lt;bytes&gt;". */
  static ImageInput of(byte[] encoded) {
    return new FromBytes(encoded, "<bytes>");
  }

  /** Encoded image bytes with a name for error messages and {@link BgrImage#source()}. */
  static ImageInput of(byte[] encoded, String name) {
    return new FromBytes(encoded, name);
  }

  /** A decoded image of any type (gray, RGB, ARGB, ...), converted to BGR by the detector. */
  static ImageInput of(BufferedImage image) {
    return new FromBufferedImage(image, "<BufferedImage>");
  }

  /** A BGR image, used as it is; the caller keeps ownership (the detector does not close it). */
  static ImageInput of(BgrImage image) {
    return Objects.requireNonNull(image, "image");
  }

  /** A name for this image in messages: the path, the given name, or the BGR image's source. */
  String name();

  /** An image file; see {@link ImageInput#of(Path)}. */
  final class FromPath implements ImageInput {
    private final Path path;

    private FromPath(Path path) {
      this.path = Objects.requireNonNull(path, "path");
      if (path.toString().isEmpty()) {
        throw new ImageDecodeException("image path is empty: name an image file");
      }
    }

    /** The file. */
    public Path path() {
      return path;
    }

    @Override
    public String name() {
      return path.toString();
    }

    @Override
    public String toString() {
      return "ImageInput[" + path + "]";
    }
  }

  /** Encoded bytes; see {@link ImageInput#of(byte[])}. Not copied. */
  final class FromBytes implements ImageInput {
    private final byte[] bytes;
    private final String name;

    private FromBytes(byte[] bytes, String name) {
      this.bytes = Objects.requireNonNull(bytes, "encoded image bytes");
      this.name = Objects.requireNonNull(name, "name");
      if (bytes.length == 0) {
        throw new ImageDecodeException("image " + name + ": the encoded image is empty (0 bytes)");
      }
    }

    /** The encoded bytes themselves (not a copy; do not modify). */
    public byte[] bytes() {
      return bytes;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String toString() {
      return "ImageInput[" + name + ", " + bytes.length + " bytes]";
    }
  }

  /** A decoded AWT image; see {@link ImageInput#of(BufferedImage)}. */
  final class FromBufferedImage implements ImageInput {
    private final BufferedImage image;
    private final String name;

    private FromBufferedImage(BufferedImage image, String name) {
      this.image = Objects.requireNonNull(image, "image");
      this.name = name;
    }

    /** The image (not a copy). */
    public BufferedImage image() {
      return image;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String toString() {
      return "ImageInput[" + name + ", " + image.getWidth() + "x" + image.getHeight() + "]";
    }
  }
}
