package org.fssd.bench;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inputs of the benchmarks read from the reference fixtures of the fssd-core test-jar ({@code
 * /org/fssd/reference/}, written by {@code tools/reference/make_fixtures.py}).
 */
final class Fixtures {
  static final String DIR = "/org/fssd/reference/";

  private Fixtures() {}

  /** The bytes of fixture {@code name}. */
  static byte[] bytes(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream(DIR + name)) {
      if (in == null) {
        throw new IllegalStateException(
            "fixture "
                + DIR
                + name
                + " is not on the class path"
                + " (it comes from the fssd-core test-jar)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("reading fixture " + name, e);
    }
  }

  /** A float32 {@code .npy} fixture as a flat C-order array. */
  static float[] npyFloats(String name) {
    INDArray a = Nd4j.createNpyFromByteArray(bytes(name));
    return a.ravel().toFloatVector();
  }

  /** The 500 x 375 synthetic reference image re-encoded as a JPEG of the given quality. */
  static byte[] referenceJpeg() {
    try {
      BufferedImage png = ImageIO.read(new java.io.ByteArrayInputStream(bytes("image.png")));
      BufferedImage rgb =
          new BufferedImage(png.getWidth(), png.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
      rgb.getGraphics().drawImage(png, 0, 0, null);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(rgb, "jpg", out)) {
        throw new IllegalStateException("no JPEG writer in ImageIO");
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("encoding the reference image as JPEG", e);
    }
  }
}
