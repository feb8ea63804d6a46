package org.fssd.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Access to the fixtures written by {@code tools/reference/make_fixtures.py} (the project's own
 * PyTorch reference; see tools/reference/README.md for how to regenerate them).
 */
public final class ReferenceFixtures {
  /** The fixture folder (Maven runs tests from the module directory). */
  public static final Path DIR =
      Paths.get("src/test/resources/org/fssd/reference").toAbsolutePath();

  private ReferenceFixtures() {}

  public static Path file(String name) {
    return DIR.resolve(name);
  }

  /** A float32 .npy as a flat float array. */
  public static float[] floats(String name) {
    return npy(name).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).data().asFloat();
  }

  public static INDArray npy(String name) {
    return Nd4j.createFromNpyFile(file(name).toFile());
  }

  public static JsonNode json(String name) {
    try {
      return new ObjectMapper().readTree(file(name).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
