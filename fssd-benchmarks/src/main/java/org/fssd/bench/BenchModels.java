package org.fssd.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Random;
import org.fssd.detect.Labels;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Widths;

/**
 * The networks the benchmarks time, by name: {@code voc300}, {@code voc512} (the published full
 * widths, 21 classes) and {@code pruned300} (FSSD300 with the published network-slimming widths,
 * {@link #PRUNED300_BASE}, conv6 {@value #PRUNED300_CONV6}, conv7 {@value #PRUNED300_CONV7}, the
 * rest unpruned). Weights are random from {@link #SEED}; speed does not depend on their values.
 */
public final class BenchModels {
  /** Seed of every random-weight benchmark model. */
  public static final long SEED = 1;
  /** The published pruned FSSD300 VGG base (SPEC §2.8 notation). */
  public static final String PRUNED300_BASE =
      "[38, 58, M, 101, 121, M, 218, 232, 234, C, 282, 297, 243, M, 214, 199, 54]";
  /** Width of conv6 in the published pruned FSSD300. */
  public static final int PRUNED300_CONV6 = 136;
  /** Width of conv7 in the published pruned FSSD300. */
  public static final int PRUNED300_CONV7 = 212;

  private BenchModels() {}

  /** The configuration named {@code name}: voc300, voc512 or pruned300. */
  public static FssdConfig config(String name) {
    switch (name) {
      case "voc300":
        return FssdConfig.voc300();
      case "voc512":
        return FssdConfig.voc512();
      case "pruned300":
        return pruned300();
      default:
        throw new IllegalArgumentException(
            "unknown benchmark model '" + name + "': expected voc300, voc512 or pruned300");
    }
  }

  /** FSSD300 (VOC, 21 classes) with the published pruned widths. */
  public static FssdConfig pruned300() {
    Widths full = Widths.full300();
    Widths pruned = Widths.of(Widths.parseBase(PRUNED300_BASE), PRUNED300_CONV6, PRUNED300_CONV7,
        full.extras(), full.fusion(), full.pyramid());
    return FssdConfig.voc300().toBuilder().widths(pruned).build();
  }

  /** A random-weight model of {@code name} from {@link #SEED}. */
  public static FssdModel model(String name) {
    return FssdModel.create(config(name), Labels.voc(), SEED);
  }

  /** {@code batch} images of {@code config}'s size filled with U(-1, 1) from a fixed seed, NCHW. */
  public static float[] randomInput(FssdConfig config, int batch) {
    checkArgument(batch >= 1, "batch must be >= 1, got %s", batch);
    int s = config.inputSize();
    float[] input = new float[batch * 3 * s * s];
    Random rng = new Random(SEED);
    for (int i = 0; i < input.length; i++) {
      input[i] = rng.nextFloat() * 2 - 1;
    }
    return input;
  }
}
