package org.fssd.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The model {@code ./fssd detect} uses when no {@code --model}/{@code --weights} is given: the demo
 * model the repository ships, {@code models/demo-shapes.zip} under the repository root (the
 * launcher passes the root as {@code -Dfssd.home}).
 */
final class DefaultModel {
  static final String RELATIVE = "models/demo-shapes.zip";

  /** What {@code detect} prints first on stderr when it falls back to this model. */
  static final String NOTICE =
      "fssd detect: no --model or --weights given: using the synthetic-shapes demo model "
          + RELATIVE
          + ", which only knows circles, squares, triangles, ellipses, crosses and stars "
          + "(see ./fssd sample-image), not real-world objects. For photos use --model FILE.zip "
          + "(./fssd import --weights fssd300_voc.pth --config voc300 --out FILE.zip) or --weights FILE.pth --config voc300.";

  private DefaultModel() {}

  static Path path() {
    return Paths.get(System.getProperty("fssd.home", ".")).resolve(RELATIVE);
  }

  static Path require() {
    Path p = path();
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException(
          "no --model or --weights given, and the default model "
              + p
              + " does not exist (see models/README.md for how to build it)");
    }
    return p;
  }
}
