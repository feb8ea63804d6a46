package org.fssd.model;

import org.fssd.box.PriorConfig;

/** Small FSSD configurations for fast tests (shared through the fssd-core test-jar). */
public final class FssdTestModels {
  private FssdTestModels() {}

  /** FSSD300 with every width divided by about 8-16: same topology, ~1/100 of the parameters. */
  public static Widths narrowWidths300() {
    return Widths.of(
        new int[] {8, 8, 16, 16, 32, 32, 32, 64, 64, 64, 64, 64, 64},
        128,
        128,
        new int[] {32, 64, 16, 32},
        new int[] {32, 32, 32},
        new int[] {64, 64, 32, 32, 32, 32});
  }

  /** A narrow FSSD300 with {@code numClasses} classes (including background). */
  public static FssdConfig narrow300(int numClasses, boolean batchNorm) {
    return FssdConfig.builder()
        .inputSize(300)
        .numClasses(numClasses)
        .batchNorm(batchNorm)
        .widths(narrowWidths300())
        .priors(PriorConfig.voc300())
        .build();
  }

  /**
   * A {@link #narrow300} network for the classes a, b and c with weights from {@code seed} and
   * {@link #tameLocHeads tamed} loc heads: a detector on it finds boxes of realistic sizes.
   */
  public static FssdModel tamedNarrow300(long seed) {
    return tameLocHeads(FssdModel.create(narrow300(4, false), Labels.of("a", "b", "c"), seed));
  }

  /**
   * Scales {@code model}'s loc head weights by 0.01, in place, and returns it: untrained
   * activations are large, and would otherwise decode to boxes far outside the image.
   */
  public static FssdModel tameLocHeads(FssdModel model) {
    for (int k = 0; k < model.config().widths().levels(); k++) {
      model.graph().getParam("loc." + k + "_W").muli(0.01);
    }
    return model;
  }

  /** FSSD512 with narrow widths. */
  public static FssdConfig narrow512(int numClasses, boolean batchNorm) {
    Widths w =
        Widths.of(
            new int[] {4, 4, 8, 8, 8, 8, 8, 16, 16, 16, 16, 16, 16},
            32,
            32,
            new int[] {8, 16, 8, 16},
            new int[] {8, 8, 8},
            new int[] {16, 16, 8, 8, 8, 8, 8});
    return FssdConfig.builder()
        .inputSize(512)
        .numClasses(numClasses)
        .batchNorm(batchNorm)
        .widths(w)
        .priors(PriorConfig.voc512())
        .build();
  }

  /**
   * FSSD512 with 2-4 channels per conv (as {@link #tiny300}): the 512 topology (fusion at 64 px,
   * seven pyramid levels, the last a 4x4 conv) at a cost small enough for fp64 reference passes.
   */
  public static FssdConfig tiny512(int numClasses) {
    Widths w =
        Widths.of(
            new int[] {2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4},
            4,
            4,
            new int[] {3, 4, 2, 3},
            new int[] {2, 3, 2},
            new int[] {4, 4, 3, 3, 2, 2, 3});
    return FssdConfig.builder()
        .inputSize(512)
        .numClasses(numClasses)
        .widths(w)
        .priors(PriorConfig.voc512())
        .build();
  }

  /**
   * FSSD300 with 1-4 channels per conv: a model file of well under 100 KB (format-compatibility
   * fixtures).
   */
  public static FssdConfig tiny300(int numClasses) {
    Widths w =
        Widths.of(
            new int[] {2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4},
            4,
            4,
            new int[] {3, 4, 2, 3},
            new int[] {2, 3, 2},
            new int[] {4, 4, 3, 3, 2, 2});
    return FssdConfig.builder()
        .inputSize(300)
        .numClasses(numClasses)
        .widths(w)
        .priors(PriorConfig.voc300())
        .build();
  }
}
