package org.fssd.prune;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;

/**
 * SPEC §11 step 5's numbers: what pruning did to a network — the width of every body convolution
 * before and after, the parameter count, the fp32 model size and the multiply-adds per image.
 *
 * <p>Parameters are counted as a state_dict holds them (and as DL4J's {@code numParams()} does):
 * conv weights, biases (heads; every conv in the plain variant), and four values per BN channel
 * (gamma, beta, running mean, running variance; {@code num_batches_tracked} is not counted). Model
 * size = parameters x 4 bytes / 1e6 (so the published FSSD300 is 136.5 MB). GMACs = {@link
 * FssdConfig#macsPerImage()} / 1e9.
 *
 * <p>Immutable; {@link #toString()} is a plain-text table.
 */
public final class PruneReport {
  /** One body convolution's width before and after. */
  public static final class Layer {
    private final String name;
    private final int before;
    private final int after;

    Layer(String name, int before, int after) {
      this.name = name;
      this.before = before;
      this.after = after;
    }

    /** The convolution's name ({@code base.0}, ..., {@code pyramid_ext.5}). */
    public String name() {
      return name;
    }

    /** Output channels before pruning. */
    public int before() {
      return before;
    }

    /** Output channels after pruning. */
    public int after() {
      return after;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Layer
          && ((Layer) o).name.equals(name)
          && ((Layer) o).before == before
          && ((Layer) o).after == after;
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, before, after);
    }

    @Override
    public String toString() {
      return name + " " + before + " -> " + after;
    }
  }

  private final ImmutableList<Layer> layers;
  private final long paramsBefore;
  private final long paramsAfter;
  private final long macsBefore;
  private final long macsAfter;

  private PruneReport(
      List<Layer> layers, long paramsBefore, long paramsAfter, long macsBefore, long macsAfter) {
    this.layers = ImmutableList.copyOf(layers);
    this.paramsBefore = paramsBefore;
    this.paramsAfter = paramsAfter;
    this.macsBefore = macsBefore;
    this.macsAfter = macsAfter;
  }

  /**
   * Compares two configurations of the same topology (same input size, variant and levels).
   *
   * @throws IllegalArgumentException if their convolutions do not correspond one to one
   */
  public static PruneReport compare(FssdConfig before, FssdConfig after) {
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
    List<ConvSpec> a = before.convs();
    List<ConvSpec> b = after.convs();
    checkArgument(
        a.size() == b.size() && before.inputSize() == after.inputSize(),
        "configurations of different topologies: FSSD%s with %s convolutions vs FSSD%s with %s",
        before.inputSize(),
        a.size(),
        after.inputSize(),
        b.size());
    ImmutableList.Builder<Layer> layers = ImmutableList.builder();
    for (int i = 0; i < a.size(); i++) {
      checkArgument(
          a.get(i).name().equals(b.get(i).name()),
          "convolution %s is %s in the other configuration",
          a.get(i).name(),
          b.get(i).name());
      if (!a.get(i).isHead()) {
        layers.add(new Layer(a.get(i).name(), a.get(i).out(), b.get(i).out()));
      }
    }
    return new PruneReport(
        layers.build(),
        parameterCount(before),
        parameterCount(after),
        before.macsPerImage(),
        after.macsPerImage());
  }

  /** Parameters of a network of configuration {@code config} (see the class Javadoc). */
  public static long parameterCount(FssdConfig config) {
    Objects.requireNonNull(config, "config");
    long n = 0;
    for (ConvSpec c : config.convs()) {
      n += c.weightCount();
      if (c.isHead() || !config.batchNorm()) {
        n += c.out();
      } else {
        n += 4L * c.out();
      }
    }
    if (config.fusionBatchNorm()) {
      n += 4L * config.widths().fusionConcat();
    }
    return n;
  }

  /** Widths of the body convolutions, in network order (heads are never pruned). */
  public List<Layer> layers() {
    return layers;
  }

  /** Parameters before pruning (see the class Javadoc for what counts). */
  public long paramsBefore() {
    return paramsBefore;
  }

  /** Parameters after pruning. */
  public long paramsAfter() {
    return paramsAfter;
  }

  /** fp32 model size before, in MB (10^6 bytes). */
  public double sizeMbBefore() {
    return paramsBefore * 4 / 1e6;
  }

  /** fp32 model size after, in MB (10^6 bytes). */
  public double sizeMbAfter() {
    return paramsAfter * 4 / 1e6;
  }

  /** Multiply-adds per image before, in units of 10^9. */
  public double gmacsBefore() {
    return macsBefore / 1e9;
  }

  /** Multiply-adds per image after, in units of 10^9. */
  public double gmacsAfter() {
    return macsAfter / 1e9;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PruneReport)) {
      return false;
    }
    PruneReport r = (PruneReport) o;
    return layers.equals(r.layers)
        && paramsBefore == r.paramsBefore
        && paramsAfter == r.paramsAfter
        && macsBefore == r.macsBefore
        && macsAfter == r.macsAfter;
  }

  @Override
  public int hashCode() {
    return Objects.hash(layers, paramsBefore, paramsAfter, macsBefore, macsAfter);
  }

  /** A plain-text table: one line per body convolution, then the totals. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(Locale.ROOT, "%-14s %14s %14s %7s%n", "layer", "before", "after", "kept"));
    for (Layer l : layers) {
      s.append(
          String.format(
              Locale.ROOT,
              "%-14s %14d %14d %6.1f%%%n",
              l.name,
              l.before,
              l.after,
              100.0 * l.after / l.before));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "%-14s %,14d %,14d %6.1f%%%n",
            "parameters",
            paramsBefore,
            paramsAfter,
            100.0 * paramsAfter / paramsBefore));
    s.append(
        String.format(
            Locale.ROOT,
            "%-14s %11.1f MB %11.1f MB %6.1f%%%n",
            "size (fp32)",
            sizeMbBefore(),
            sizeMbAfter(),
            100.0 * paramsAfter / paramsBefore));
    s.append(
        String.format(
            Locale.ROOT,
            "%-14s %14.2f %14.2f %6.1f%%%n",
            "GMACs/image",
            gmacsBefore(),
            gmacsAfter(),
            100.0 * macsAfter / macsBefore));
    return s.toString();
  }
}
