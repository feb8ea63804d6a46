package org.fssd.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Random;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;
import org.fssd.model.Widths;

/**
 * The networks the benchmarks time, by name (all VOC, 21 classes):
 *
 * <ul>
 *   <li>{@code voc300}, {@code voc512}: the published full widths;
 *   <li>{@code pruned300}: "published widths (base only)": FSSD300 with the published
 *       network-slimming widths of SPEC §2.8, {@link #PRUNED300_BASE}, conv6 {@value
 *       #PRUNED300_CONV6}, conv7 {@value #PRUNED300_CONV7}; the SPEC gives no widths for the other
 *       groups, so extras, fusion and pyramid stay unpruned (23.35 G multiply-adds per image
 *       instead of 38.06 G);
 *   <li>{@code half300}: "uniform 50 %": FSSD300 with half of the channels of every prunable (BN'd)
 *       layer removed, {@link Widths#half300()} (heads keep their output sizes): what a global 50 %
 *       slimming prune looks like when it takes the same share from every layer (9.88 G
 *       multiply-adds per image, 0.26x; 9.17 M parameters instead of 34.13 M);
 *   <li>{@code eighth300}: FSSD300 with every prunable layer at 1/8 width ({@link
 *       Widths#scaled(double) scaled(0.125)}), a small network for smoke runs of the training
 *       benchmark (not a pruning result).
 * </ul>
 *
 * <p>Weights are random from {@link #SEED}; speed does not depend on their values.
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

  /** Every name {@link #config(String)} knows. */
  public static final String NAMES = "voc300, voc512, pruned300, half300, eighth300";

  /** The configuration named {@code name}: one of {@link #NAMES}. */
  public static FssdConfig config(String name) {
    switch (name) {
      case "voc300":
        return FssdConfig.voc300();
      case "voc512":
        return FssdConfig.voc512();
      case "pruned300":
        return pruned300();
      case "half300":
        return FssdConfig.voc300().toBuilder().widths(Widths.half300()).build();
      case "eighth300":
        return FssdConfig.voc300().toBuilder().widths(Widths.full300().scaled(0.125)).build();
      default:
        throw new IllegalArgumentException(
            "unknown benchmark model '" + name + "': expected one of " + NAMES);
    }
  }

  /** A short honest label of the widths of {@code name}, for tables. */
  public static String describe(String name) {
    switch (name) {
      case "pruned300":
        return "published pruned widths (base only)";
      case "half300":
        return "uniform 50 % of every prunable layer";
      case "eighth300":
        return "1/8 of every prunable layer (smoke size)";
      default:
        return "full widths";
    }
  }

  /** FSSD300 (VOC, 21 classes) with the published pruned widths (base, conv6, conv7 only). */
  public static FssdConfig pruned300() {
    Widths full = Widths.full300();
    Widths pruned =
        Widths.of(
            Widths.parseBase(PRUNED300_BASE),
            PRUNED300_CONV6,
            PRUNED300_CONV7,
            full.extras(),
            full.fusion(),
            full.pyramid());
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
