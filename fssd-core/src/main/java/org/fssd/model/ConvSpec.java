package org.fssd.model;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Objects;

/**
 * One convolution of FSSD (SPEC §2): its reference name, shape and the spatial sizes it maps.
 *
 * <p>{@code name} is the reference's state_dict prefix for the plain variant ({@code base.21},
 * {@code extras.1}, {@code ft_module.0}, {@code pyramid_ext.3}, {@code loc.2}, {@code conf.2}) and
 * the name of the block's output vertex in the DL4J graph. Body convolutions (everything but the
 * heads) are followed by ReLU, and in the BN variant by BatchNorm first.
 */
public final class ConvSpec {
  /** The group a convolution belongs to, in network order. */
  public enum Group {
    BASE("base"),
    EXTRAS("extras"),
    FUSION("ft_module"),
    PYRAMID("pyramid_ext"),
    LOC("loc"),
    CONF("conf");

    private final String prefix;

    Group(String prefix) {
      this.prefix = prefix;
    }

    /** The reference's state_dict prefix of the group. */
    public String prefix() {
      return prefix;
    }

    /** Whether the group is a detection head (bias, no BN, no ReLU). */
    public boolean isHead() {
      return this == LOC || this == CONF;
    }
  }

  private final String name;
  private final Group group;
  private final int index;
  private final int in;
  private final int out;
  private final int kernel;
  private final int stride;
  private final int padding;
  private final int dilation;
  private final int inSize;
  private final int outSize;

  ConvSpec(
      Group group,
      int index,
      int in,
      int out,
      int kernel,
      int stride,
      int padding,
      int dilation,
      int inSize) {
    this.group = Objects.requireNonNull(group);
    this.index = index;
    this.name = group.prefix() + "." + index;
    this.in = in;
    this.out = out;
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.inSize = inSize;
    int effective = dilation * (kernel - 1) + 1;
    this.outSize = (inSize + 2 * padding - effective) / stride + 1;
    checkArgument(
        outSize >= 1,
        "%s: input %sx%s is too small for kernel %s stride %s padding %s",
        name,
        inSize,
        inSize,
        kernel,
        stride,
        padding);
  }

  /** Reference name, e.g. {@code base.21}; also the graph vertex producing this block's output. */
  public String name() {
    return name;
  }

  public Group group() {
    return group;
  }

  /** Index within the group as the reference numbers it (for the base: the plain-variant index). */
  public int index() {
    return index;
  }

  /** Input channels. */
  public int in() {
    return in;
  }

  /** Output channels. */
  public int out() {
    return out;
  }

  public int kernel() {
    return kernel;
  }

  public int stride() {
    return stride;
  }

  public int padding() {
    return padding;
  }

  /** Dilation as PyTorch counts it (1 = none). */
  public int dilation() {
    return dilation;
  }

  /** Input height = width. */
  public int inSize() {
    return inSize;
  }

  /** Output height = width. */
  public int outSize() {
    return outSize;
  }

  /** Whether this is a detection head (loc/conf). */
  public boolean isHead() {
    return group.isHead();
  }

  /** Weight parameters (out x in x k x k). */
  public long weightCount() {
    return (long) out * in * kernel * kernel;
  }

  /** Multiply-adds for one image. */
  public long macs() {
    return weightCount() * outSize * outSize;
  }

  @Override
  public String toString() {
    return name
        + "("
        + in
        + "->"
        + out
        + ", k"
        + kernel
        + " s"
        + stride
        + " p"
        + padding
        + (dilation != 1 ? " d" + dilation : "")
        + ", "
        + inSize
        + "->"
        + outSize
        + ")";
  }
}
