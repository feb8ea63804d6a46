package org.fssd.prune;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * SPEC §11: the settings of a channel selection — the global share of BN channels to prune, the
 * minimum number of channels every layer keeps (globally and per layer) and the layers that keep
 * all their channels.
 *
 * <p>Layers are named by their {@link org.fssd.model.ConvSpec#name()} (the reference's block names:
 * {@code base.0} .. {@code base.28}, {@code base.31} (conv6), {@code base.33} (conv7), {@code
 * extras.0..3}, {@code ft_module.0..2}, {@code pyramid_ext.0..6}). Names are checked against the
 * network when the options are used ({@link ChannelSelection#select}), since the options themselves
 * do not know the network.
 *
 * <pre>{@code
 * PruneOptions o = PruneOptions.builder().percent(0.5).minChannels(8)
 *     .minChannels("pyramid_ext.5", 32).exclude("base.0").build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class PruneOptions {
  /** Default share of BN channels to prune (SPEC §11). */
  public static final double DEFAULT_PERCENT = 0.5;

  /** Default minimum number of channels a layer keeps (SPEC §11: never fewer than one). */
  public static final int DEFAULT_MIN_CHANNELS = 1;

  private final double percent;
  private final int minChannels;
  private final ImmutableMap<String, Integer> layerMinChannels;
  private final ImmutableSortedSet<String> excluded;

  private PruneOptions(Builder b) {
    this.percent = b.percent;
    this.minChannels = b.minChannels;
    this.layerMinChannels = ImmutableMap.copyOf(b.layerMinChannels);
    this.excluded = ImmutableSortedSet.copyOf(b.excluded);
  }

  /** The defaults: percent 0.5, at least one channel per layer, nothing excluded. */
  public static PruneOptions defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.percent = percent;
    b.minChannels = minChannels;
    b.layerMinChannels.putAll(layerMinChannels);
    b.excluded.addAll(excluded);
    return b;
  }

  /** Share of the collected BN channels whose |gamma| sets the threshold, in [0, 1). */
  public double percent() {
    return percent;
  }

  /** Minimum channels kept by every layer without its own minimum (clamped to the layer width). */
  public int minChannels() {
    return minChannels;
  }

  /** Per-layer minimums, overriding {@link #minChannels()} for the named layers. */
  public Map<String, Integer> layerMinChannels() {
    return layerMinChannels;
  }

  /** The minimum number of channels layer {@code name} keeps (before clamping to its width). */
  public int minChannels(String name) {
    Objects.requireNonNull(name, "name");
    return layerMinChannels.getOrDefault(name, minChannels);
  }

  /** Layers that keep all their channels; their gammas take no part in the threshold. */
  public Set<String> excluded() {
    return excluded;
  }

  /** Whether layer {@code name} is excluded from pruning. */
  public boolean isExcluded(String name) {
    return excluded.contains(name);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PruneOptions)) {
      return false;
    }
    PruneOptions p = (PruneOptions) o;
    return Double.compare(percent, p.percent) == 0
        && minChannels == p.minChannels
        && layerMinChannels.equals(p.layerMinChannels)
        && excluded.equals(p.excluded);
  }

  @Override
  public int hashCode() {
    return Objects.hash(percent, minChannels, layerMinChannels, excluded);
  }

  @Override
  public String toString() {
    return "PruneOptions{percent="
        + percent
        + ", minChannels="
        + minChannels
        + (layerMinChannels.isEmpty() ? "" : ", layerMinChannels=" + layerMinChannels)
        + (excluded.isEmpty() ? "" : ", excluded=" + excluded)
        + "}";
  }

  /** Builder of {@link PruneOptions}; each setter validates its value. */
  public static final class Builder {
    private double percent = DEFAULT_PERCENT;
    private int minChannels = DEFAULT_MIN_CHANNELS;
    private final Map<String, Integer> layerMinChannels = new LinkedHashMap<>();
    private final Set<String> excluded = new TreeSet<>();

    private Builder() {}

    /**
     * Share of channels to prune: the threshold is the |gamma| at index {@code floor(total *
     * percent)} of the ascending list.
     *
     * @throws IllegalArgumentException unless {@code 0 <= percent < 1}
     */
    public Builder percent(double percent) {
      checkArgument(percent >= 0 && percent < 1, "percent must be in [0, 1), got %s", percent);
      this.percent = percent;
      return this;
    }

    /**
     * Minimum channels every layer keeps (default 1).
     *
     * @throws IllegalArgumentException if {@code minChannels < 1}
     */
    public Builder minChannels(int minChannels) {
      checkArgument(minChannels >= 1, "minChannels must be >= 1, got %s", minChannels);
      this.minChannels = minChannels;
      return this;
    }

    /**
     * Minimum channels layer {@code name} keeps, overriding {@link #minChannels(int)}.
     *
     * @throws IllegalArgumentException if {@code minChannels < 1}
     */
    public Builder minChannels(String name, int minChannels) {
      Objects.requireNonNull(name, "name");
      checkArgument(
          minChannels >= 1, "minChannels of layer %s must be >= 1, got %s", name, minChannels);
      layerMinChannels.put(name, minChannels);
      return this;
    }

    /** Layers that keep all their channels (e.g. {@code "base.0"}, {@code "ft_module.1"}). */
    public Builder exclude(String... names) {
      for (String n : names) {
        excluded.add(Objects.requireNonNull(n, "excluded layer name"));
      }
      return this;
    }

    /** The options (every value was validated by its setter). */
    public PruneOptions build() {
      return new PruneOptions(this);
    }
  }
}
