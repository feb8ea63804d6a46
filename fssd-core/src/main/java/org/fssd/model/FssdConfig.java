package org.fssd.model;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.fssd.box.PriorConfig;
import org.fssd.model.ConvSpec.Group;

/**
 * SPEC §2: everything that defines an FSSD network — input size (300 or 512), number of classes
 * (including background), plain or BatchNorm variant (§2.7), the optional BN after the fusion
 * concat (off by default; the published model has none), every convolution width (§2.8) and the
 * prior boxes (§3).
 *
 * <p>Immutable and validated on construction: the spatial sizes the topology produces must equal
 * the prior configuration's feature maps. Presets: {@link #voc300()}, {@link #voc512()}, {@link
 * #coco300()}, {@link #coco512()}; variations through {@link #toBuilder()}.
 *
 * <pre>{@code
 * FssdConfig pruned = FssdConfig.voc300().toBuilder().batchNorm(true).widths(myWidths).build();
 * }</pre>
 */
public final class FssdConfig {
  private final int inputSize;
  private final int numClasses;
  private final boolean batchNorm;
  private final boolean fusionBatchNorm;
  private final Widths widths;
  private final PriorConfig priors;
  private final ImmutableList<ConvSpec> convs;
  private final int fusionSize;

  private FssdConfig(Builder b) {
    checkArgument(
        b.inputSize == 300 || b.inputSize == 512,
        "inputSize must be 300 or 512, got %s",
        b.inputSize);
    checkArgument(
        b.numClasses >= 2, "numClasses (including background) must be >= 2, got %s", b.numClasses);
    this.inputSize = b.inputSize;
    this.numClasses = b.numClasses;
    this.batchNorm = b.batchNorm;
    this.fusionBatchNorm = b.fusionBatchNorm;
    this.widths = Objects.requireNonNull(b.widths, "widths");
    this.priors = Objects.requireNonNull(b.priors, "priors");
    int expectedLevels = inputSize == 300 ? 6 : 7;
    checkArgument(
        widths.levels() == expectedLevels,
        "FSSD%s has %s pyramid levels, but widths has %s",
        inputSize,
        expectedLevels,
        widths.levels());
    checkArgument(
        priors.imageSize() == inputSize,
        "prior configuration is for image size %s, network input is %s",
        priors.imageSize(),
        inputSize);
    checkArgument(
        priors.numLevels() == expectedLevels,
        "prior configuration has %s levels, FSSD%s has %s",
        priors.numLevels(),
        inputSize,
        expectedLevels);
    List<ConvSpec> list = new ArrayList<>();
    this.fusionSize = layout(list);
    this.convs = ImmutableList.copyOf(list);
    int[] maps = priors.featureMaps();
    for (int k = 0; k < expectedLevels; k++) {
      int size = conv(Group.PYRAMID, k).outSize();
      checkArgument(
          size == maps[k],
          "pyramid level %s is %sx%s but the priors expect %sx%s",
          k,
          size,
          size,
          maps[k],
          maps[k]);
    }
  }

  /** Lays out every convolution in network order; returns the fusion size (conv4_3's size). */
  private int layout(List<ConvSpec> out) {
    int size = inputSize;
    int in = 3;
    int pool = 0;
    int refIndex = 0;
    int source1Size = -1;
    for (int i = 0; i < Widths.BASE_CONVS; i++) {
      ConvSpec c = new ConvSpec(Group.BASE, refIndex, in, widths.base(i), 3, 1, 1, 1, size);
      out.add(c);
      in = c.out();
      refIndex += 2; // conv + ReLU
      if (i == Widths.CONV4_3) {
        source1Size = size;
      }
      if (pool < Widths.POOL_AFTER.length && i == Widths.POOL_AFTER[pool]) {
        if (pool == 2) {
          size = (size + 1) / 2; // ceil mode: 75 -> 38
        } else if (pool < 4) {
          size = size / 2;
        } // pool 4 is pool5: 3x3, stride 1, padding 1 keeps the size
        pool++;
        refIndex++; // the pool module
      }
    }
    ConvSpec conv6 = new ConvSpec(Group.BASE, refIndex, in, widths.conv6(), 3, 1, 6, 6, size);
    out.add(conv6);
    refIndex += 2;
    ConvSpec conv7 =
        new ConvSpec(
            Group.BASE, refIndex, conv6.out(), widths.conv7(), 1, 1, 0, 1, conv6.outSize());
    out.add(conv7);
    // Extras on source 2.
    int[][] extrasShape = {{1, 1, 0}, {3, 1, 0}, {1, 1, 0}, {3, 2, 1}};
    in = conv7.out();
    size = conv7.outSize();
    for (int i = 0; i < 4; i++) {
      ConvSpec c =
          new ConvSpec(
              Group.EXTRAS,
              i,
              in,
              widths.extras(i),
              extrasShape[i][0],
              extrasShape[i][1],
              extrasShape[i][2],
              1,
              size);
      out.add(c);
      in = c.out();
      size = c.outSize();
    }
    ConvSpec conv4_3 = out.get(Widths.CONV4_3);
    ConvSpec extras3 = out.get(out.size() - 1);
    out.add(
        new ConvSpec(Group.FUSION, 0, conv4_3.out(), widths.fusion(0), 1, 1, 0, 1, source1Size));
    out.add(
        new ConvSpec(Group.FUSION, 1, conv7.out(), widths.fusion(1), 1, 1, 0, 1, conv7.outSize()));
    out.add(
        new ConvSpec(
            Group.FUSION, 2, extras3.out(), widths.fusion(2), 1, 1, 0, 1, extras3.outSize()));
    // Pyramid on the fused map.
    in = widths.fusionConcat();
    size = source1Size;
    int levels = widths.levels();
    for (int i = 0; i < levels; i++) {
      int k = 3;
      int s;
      int p;
      if (i == 0) {
        s = 1;
        p = 1;
      } else if (levels == 6 && i >= 4) {
        s = 1;
        p = 0;
      } else if (levels == 7 && i == 6) {
        k = 4;
        s = 1;
        p = 1;
      } else {
        s = 2;
        p = 1;
      }
      ConvSpec c = new ConvSpec(Group.PYRAMID, i, in, widths.pyramid(i), k, s, p, 1, size);
      out.add(c);
      in = c.out();
      size = c.outSize();
    }
    for (Group head : new Group[] {Group.LOC, Group.CONF}) {
      for (int i = 0; i < levels; i++) {
        ConvSpec level = conv(out, Group.PYRAMID, i);
        int perCell = priors.priorsPerLocation(i) * (head == Group.LOC ? 4 : numClasses);
        out.add(new ConvSpec(head, i, level.out(), perCell, 3, 1, 1, 1, level.outSize()));
      }
    }
    return source1Size;
  }

  private static ConvSpec conv(List<ConvSpec> list, Group g, int index) {
    for (ConvSpec c : list) {
      if (c.group() == g && c.index() == index) {
        return c;
      }
    }
    throw new IllegalArgumentException("no convolution " + g.prefix() + "." + index);
  }

  /** FSSD300 for PASCAL VOC (21 classes), published widths. */
  public static FssdConfig voc300() {
    return published(21, PriorConfig.voc300());
  }

  /** FSSD512 for PASCAL VOC (21 classes), published widths. */
  public static FssdConfig voc512() {
    return published(21, PriorConfig.voc512());
  }

  /** FSSD300 for COCO (81 classes), published widths. */
  public static FssdConfig coco300() {
    return published(81, PriorConfig.coco300());
  }

  /** FSSD512 for COCO (81 classes), published widths. */
  public static FssdConfig coco512() {
    return published(81, PriorConfig.coco512());
  }

  /** The published network (full widths) for {@code priors}' input size. */
  private static FssdConfig published(int numClasses, PriorConfig priors) {
    return builder()
        .inputSize(priors.imageSize())
        .numClasses(numClasses)
        .widths(priors.imageSize() == 300 ? Widths.full300() : Widths.full512())
        .priors(priors)
        .build();
  }

  /**
   * A preset by name: {@code voc300}, {@code voc512}, {@code coco300}, {@code coco512}
   * (case-insensitive).
   */
  public static FssdConfig preset(String name) {
    Objects.requireNonNull(name, "name");
    switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "voc300":
        return voc300();
      case "voc512":
        return voc512();
      case "coco300":
        return coco300();
      case "coco512":
        return coco512();
      default:
        throw new IllegalArgumentException(
            "unknown config '" + name + "' (expected voc300, voc512, coco300 or coco512)");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration's values. */
  public Builder toBuilder() {
    return builder()
        .inputSize(inputSize)
        .numClasses(numClasses)
        .batchNorm(batchNorm)
        .fusionBatchNorm(fusionBatchNorm)
        .widths(widths)
        .priors(priors);
  }

  /** Network input height = width in pixels (300 or 512). */
  public int inputSize() {
    return inputSize;
  }

  /** Classes including background (VOC 21, COCO 81). */
  public int numClasses() {
    return numClasses;
  }

  /** Whether every body conv is conv (no bias) -> BatchNorm -> ReLU (SPEC §2.7). */
  public boolean batchNorm() {
    return batchNorm;
  }

  /** Whether a BatchNorm follows the fusion concat (the paper's; not in the published model). */
  public boolean fusionBatchNorm() {
    return fusionBatchNorm;
  }

  public Widths widths() {
    return widths;
  }

  public PriorConfig priors() {
    return priors;
  }

  /** Size of the fused feature map (38 for FSSD300, 64 for FSSD512). */
  public int fusionSize() {
    return fusionSize;
  }

  /** Number of prior boxes P. */
  public int numPriors() {
    return priors.numPriors();
  }

  /** Every convolution in network order: base, extras, ft_module, pyramid_ext, loc, conf. */
  public List<ConvSpec> convs() {
    return convs;
  }

  /** The convolution {@code group.index}. */
  public ConvSpec conv(Group group, int index) {
    return conv(convs, group, index);
  }

  /** Multiply-adds of one forward pass for one image. */
  public long macsPerImage() {
    long macs = 0;
    for (ConvSpec c : convs) {
      macs += c.macs();
    }
    return macs;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof FssdConfig)) {
      return false;
    }
    FssdConfig c = (FssdConfig) o;
    return inputSize == c.inputSize
        && numClasses == c.numClasses
        && batchNorm == c.batchNorm
        && fusionBatchNorm == c.fusionBatchNorm
        && widths.equals(c.widths)
        && priors.equals(c.priors);
  }

  @Override
  public int hashCode() {
    return Objects.hash(inputSize, numClasses, batchNorm, fusionBatchNorm, widths, priors);
  }

  @Override
  public String toString() {
    return "FssdConfig{FSSD"
        + inputSize
        + ", classes="
        + numClasses
        + (batchNorm ? ", bn" : "")
        + (fusionBatchNorm ? ", fusionBn" : "")
        + ", "
        + widths
        + ", priors="
        + priors
        + "}";
  }

  /** Builder; every value validated in {@link #build()}. Defaults: {@link #voc300()}'s values. */
  public static final class Builder {
    private int inputSize = 300;
    private int numClasses = 21;
    private boolean batchNorm;
    private boolean fusionBatchNorm;
    private Widths widths = Widths.full300();
    private PriorConfig priors = PriorConfig.voc300();

    private Builder() {}

    public Builder inputSize(int inputSize) {
      this.inputSize = inputSize;
      return this;
    }

    public Builder numClasses(int numClasses) {
      this.numClasses = numClasses;
      return this;
    }

    public Builder batchNorm(boolean batchNorm) {
      this.batchNorm = batchNorm;
      return this;
    }

    public Builder fusionBatchNorm(boolean fusionBatchNorm) {
      this.fusionBatchNorm = fusionBatchNorm;
      return this;
    }

    public Builder widths(Widths widths) {
      this.widths = Objects.requireNonNull(widths, "widths");
      return this;
    }

    public Builder priors(PriorConfig priors) {
      this.priors = Objects.requireNonNull(priors, "priors");
      return this;
    }

    public FssdConfig build() {
      return new FssdConfig(this);
    }
  }
}
