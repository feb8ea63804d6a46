package org.fssd.prune;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.ConvSpec;
import org.fssd.model.ConvSpec.Group;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.Widths;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SPEC §11 steps 2-3: which output channels every body convolution keeps, and the widths and
 * configuration of the network that results.
 *
 * <p>{@link #select(FssdModel, PruneOptions)} collects |gamma| of the BatchNorm after every body
 * convolution (base, conv6, conv7, extras, ft_module, pyramid_ext; SPEC §2.7) into one list,
 * sorts it ascending and takes the value at index {@code floor(total * percent)} as the global
 * threshold; a layer keeps its channels with {@code |gamma| > threshold} (strictly), and never
 * fewer than its minimum: a layer that would keep fewer keeps its largest-|gamma| channels (ties
 * broken by the lower index). Decisions the SPEC leaves open:
 *
 * <ul>
 *   <li>The optional BN after the fusion concat ({@code ft_bn}) is <b>not</b> collected: each of
 *       its channels is an ft_module output channel, already governed by that conv's own BN, and
 *       cannot be removed on its own. It keeps the slices of the kept ft_module channels.
 *   <li>Excluded layers keep every channel and their gammas take no part in the threshold, so
 *       {@code percent} is a share of the prunable channels.
 *   <li>As in the reference, {@code percent = 0} still removes the channels equal to the smallest
 *       |gamma| (threshold = the minimum, kept = strictly greater).
 *   <li>Heads ({@code loc.k}, {@code conf.k}) are never pruned.
 * </ul>
 *
 * <p>A selection can also be given by hand ({@link #of(FssdConfig, Map)}), e.g. to remove
 * channels known to be dead. Kept indices are ascending. Immutable and thread-safe (arrays are
 * copied in and out).
 */
public final class ChannelSelection {
  private final FssdConfig original;
  private final FssdConfig pruned;
  private final ImmutableMap<String, int[]> kept;
  private final double percent;
  private final double threshold;
  private final int collected;

  private ChannelSelection(FssdConfig original, Map<String, int[]> kept, double percent, double threshold,
      int collected) {
    this.original = original;
    this.kept = ImmutableMap.copyOf(kept);
    this.percent = percent;
    this.threshold = threshold;
    this.collected = collected;
    this.pruned = original.toBuilder().widths(widthsOf(original, this.kept)).build();
  }

  /**
   * Selects channels of {@code model} by its BN gammas (SPEC §11).
   *
   * @throws IllegalArgumentException if the model is not the BN variant, or the options name a
   *     layer the network does not have
   */
  public static ChannelSelection select(FssdModel model, PruneOptions options) {
    Objects.requireNonNull(model, "model");
    return select(model.config(), gammas(model.config(), model.graph()), options);
  }

  /**
   * Selects channels from given BN gammas, one array per body convolution (keyed by its {@link
   * ConvSpec#name()}, length = its width; signs are ignored).
   *
   * @throws IllegalArgumentException if a body convolution's gammas are missing, of the wrong
   *     length or not finite, a key is not a body convolution, or the options name an unknown layer
   */
  public static ChannelSelection select(FssdConfig config, Map<String, float[]> gammas, PruneOptions options) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(gammas, "gammas");
    Objects.requireNonNull(options, "options");
    List<ConvSpec> body = bodyConvs(config);
    List<String> names = new ArrayList<>();
    for (ConvSpec c : body) {
      names.add(c.name());
    }
    for (String k : gammas.keySet()) {
      checkArgument(names.contains(k), "gammas given for '%s', which is not a body convolution (expected one of %s)",
          k, names);
    }
    for (String k : options.excluded()) {
      checkArgument(names.contains(k), "excluded layer '%s' is not a body convolution (expected one of %s)", k, names);
    }
    for (String k : options.layerMinChannels().keySet()) {
      checkArgument(names.contains(k), "minChannels given for '%s', which is not a body convolution (expected one of %s)",
          k, names);
    }
    int total = 0;
    for (ConvSpec c : body) {
      float[] g = gammas.get(c.name());
      checkArgument(g != null, "no BN gammas for layer %s", c.name());
      checkArgument(g.length == c.out(), "layer %s has %s channels but %s gammas", c.name(), c.out(), g.length);
      for (int i = 0; i < g.length; i++) {
        checkArgument(Float.isFinite(g[i]), "gamma %s of layer %s is not finite: %s", i, c.name(), g[i]);
      }
      if (!options.isExcluded(c.name())) {
        total += g.length;
      }
    }
    checkArgument(total > 0, "every layer is excluded: nothing to prune");
    float[] all = new float[total];
    int n = 0;
    for (ConvSpec c : body) {
      if (!options.isExcluded(c.name())) {
        for (float v : gammas.get(c.name())) {
          all[n++] = Math.abs(v);
        }
      }
    }
    float threshold = threshold(all, options.percent());
    Map<String, int[]> kept = new LinkedHashMap<>();
    for (ConvSpec c : body) {
      float[] g = gammas.get(c.name());
      if (options.isExcluded(c.name())) {
        kept.put(c.name(), all(c.out()));
      } else {
        kept.put(c.name(), keep(g, threshold, Math.min(options.minChannels(c.name()), c.out())));
      }
    }
    return new ChannelSelection(config, kept, options.percent(), threshold, total);
  }

  /**
   * A selection given by hand: the kept output channels of some body convolutions (ascending,
   * distinct, in range, at least one); the others keep all channels.
   *
   * @throws IllegalArgumentException naming the layer or index at fault
   */
  public static ChannelSelection of(FssdConfig config, Map<String, int[]> keptChannels) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(keptChannels, "keptChannels");
    List<ConvSpec> body = bodyConvs(config);
    Map<String, int[]> kept = new LinkedHashMap<>();
    for (ConvSpec c : body) {
      int[] k = keptChannels.get(c.name());
      if (k == null) {
        kept.put(c.name(), all(c.out()));
        continue;
      }
      checkArgument(k.length >= 1, "layer %s must keep at least one channel", c.name());
      for (int i = 0; i < k.length; i++) {
        checkArgument(k[i] >= 0 && k[i] < c.out(), "layer %s: channel %s out of range [0, %s)", c.name(), k[i], c.out());
        checkArgument(i == 0 || k[i] > k[i - 1], "layer %s: kept channels must be ascending and distinct, got %s",
            c.name(), Arrays.toString(k));
      }
      kept.put(c.name(), k.clone());
    }
    for (String name : keptChannels.keySet()) {
      checkArgument(kept.containsKey(name), "'%s' is not a body convolution of the network", name);
    }
    return new ChannelSelection(config, kept, Double.NaN, Double.NaN, 0);
  }

  /**
   * The global threshold of SPEC §11: the value at index {@code floor(n * percent)} of {@code
   * absGammas} sorted ascending (the input is not modified).
   *
   * @throws IllegalArgumentException if the list is empty or {@code percent} is not in [0, 1)
   */
  public static float threshold(float[] absGammas, double percent) {
    Objects.requireNonNull(absGammas, "absGammas");
    checkArgument(absGammas.length > 0, "no gammas to threshold");
    checkArgument(percent >= 0 && percent < 1, "percent must be in [0, 1), got %s", percent);
    float[] sorted = absGammas.clone();
    Arrays.sort(sorted);
    int index = Math.min((int) Math.floor(sorted.length * percent), sorted.length - 1);
    return sorted[index];
  }

  /** The BN gammas (with sign) of every body convolution of a BN-variant graph, in network order. */
  public static Map<String, float[]> gammas(FssdConfig config, ComputationGraph graph) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(graph, "graph");
    checkArgument(config.batchNorm(),
        "pruning by BN gamma needs the BN variant (SPEC 2.7); this network is the plain one");
    Map<String, float[]> out = new LinkedHashMap<>();
    for (ConvSpec c : bodyConvs(config)) {
      INDArray g = graph.getParam(c.name() + ".bn_gamma");
      out.put(c.name(), g.castTo(DataType.FLOAT).dup('c').reshape(g.length()).toFloatVector());
    }
    return out;
  }

  private static int[] keep(float[] gammas, float threshold, int min) {
    int count = 0;
    for (float g : gammas) {
      if (Math.abs(g) > threshold) {
        count++;
      }
    }
    if (count >= min) {
      int[] k = new int[count];
      int n = 0;
      for (int i = 0; i < gammas.length; i++) {
        if (Math.abs(gammas[i]) > threshold) {
          k[n++] = i;
        }
      }
      return k;
    }
    // Largest |gamma| first, lower index first among equals (the sort is stable).
    Integer[] order = new Integer[gammas.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(Math.abs(gammas[b]), Math.abs(gammas[a])));
    int[] k = new int[min];
    for (int i = 0; i < min; i++) {
      k[i] = order[i];
    }
    Arrays.sort(k);
    return k;
  }

  private static int[] all(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    return a;
  }

  static List<ConvSpec> bodyConvs(FssdConfig config) {
    List<ConvSpec> body = new ArrayList<>();
    for (ConvSpec c : config.convs()) {
      if (!c.isHead()) {
        body.add(c);
      }
    }
    return body;
  }

  private static Widths widthsOf(FssdConfig config, Map<String, int[]> kept) {
    int[] base = new int[Widths.BASE_CONVS];
    int conv6 = 0;
    int conv7 = 0;
    int[] extras = new int[4];
    int[] fusion = new int[3];
    int[] pyramid = new int[config.widths().levels()];
    int basePos = 0;
    for (ConvSpec c : bodyConvs(config)) {
      int w = kept.get(c.name()).length;
      switch (c.group()) {
        case BASE:
          if (basePos < Widths.BASE_CONVS) {
            base[basePos] = w;
          } else if (basePos == Widths.BASE_CONVS) {
            conv6 = w;
          } else {
            conv7 = w;
          }
          basePos++;
          break;
        case EXTRAS:
          extras[c.index()] = w;
          break;
        case FUSION:
          fusion[c.index()] = w;
          break;
        case PYRAMID:
          pyramid[c.index()] = w;
          break;
        default:
          throw new IllegalStateException("not a body convolution: " + c);
      }
    }
    return Widths.of(base, conv6, conv7, extras, fusion, pyramid);
  }

  /** The configuration before pruning. */
  public FssdConfig original() {
    return original;
  }

  /** The configuration after pruning: the original with {@link #widths()}. */
  public FssdConfig config() {
    return pruned;
  }

  /** The pruned widths. */
  public Widths widths() {
    return pruned.widths();
  }

  /** Names of the body convolutions, in network order. */
  public List<String> layers() {
    return ImmutableList.copyOf(kept.keySet());
  }

  /**
   * The kept output channels (ascending) of convolution {@code name}; a head keeps all.
   *
   * @throws IllegalArgumentException if the network has no such convolution
   */
  public int[] kept(String name) {
    Objects.requireNonNull(name, "name");
    int[] k = kept.get(name);
    if (k == null) {
      for (ConvSpec c : original.convs()) {
        if (c.name().equals(name)) {
          return all(c.out());
        }
      }
      throw new IllegalArgumentException("no convolution '" + name + "' in the network");
    }
    return k.clone();
  }

  /**
   * The kept channels of the fusion concat (indices into the unpruned concat): the kept
   * ft_module.0 channels, then ft_module.1's offset by the unpruned width of ft_module.0, then
   * ft_module.2's offset by the unpruned widths of both.
   */
  public int[] keptConcat() {
    int[] w = original.widths().fusion();
    int[] k0 = kept.get("ft_module.0");
    int[] k1 = kept.get("ft_module.1");
    int[] k2 = kept.get("ft_module.2");
    int[] out = new int[k0.length + k1.length + k2.length];
    int n = 0;
    for (int v : k0) {
      out[n++] = v;
    }
    for (int v : k1) {
      out[n++] = w[0] + v;
    }
    for (int v : k2) {
      out[n++] = w[0] + w[1] + v;
    }
    return out;
  }

  /**
   * The input channels (indices into the unpruned input) convolution {@code name} keeps: the kept
   * output channels of its producer (SPEC §11 step 4). base.0 keeps its 3 image channels; conv6
   * reads conv5_3; conv7 reads conv6; extras.0 and ft_module.1 read conv7; ft_module.0 reads
   * conv4_3; ft_module.2 reads extras.3; pyramid_ext.0 reads the concat ({@link #keptConcat()});
   * pyramid_ext.k reads pyramid_ext.k-1; loc.k and conf.k read pyramid_ext.k.
   *
   * @throws IllegalArgumentException if the network has no such convolution
   */
  public int[] keptInputs(String name) {
    Objects.requireNonNull(name, "name");
    List<ConvSpec> convs = original.convs();
    ConvSpec conv7 = convs.get(Widths.BASE_CONVS + 1);
    for (int i = 0; i < convs.size(); i++) {
      ConvSpec c = convs.get(i);
      if (!c.name().equals(name)) {
        continue;
      }
      switch (c.group()) {
        case BASE:
          return i == 0 ? all(c.in()) : kept(convs.get(i - 1).name());
        case EXTRAS:
          return c.index() == 0 ? kept(conv7.name()) : kept("extras." + (c.index() - 1));
        case FUSION:
          if (c.index() == 0) {
            return kept(convs.get(Widths.CONV4_3).name());
          }
          return c.index() == 1 ? kept(conv7.name()) : kept("extras.3");
        case PYRAMID:
          return c.index() == 0 ? keptConcat() : kept("pyramid_ext." + (c.index() - 1));
        default: // heads
          return kept("pyramid_ext." + c.index());
      }
    }
    throw new IllegalArgumentException("no convolution '" + name + "' in the network");
  }

  /** The percent the threshold came from; NaN for a selection given by hand. */
  public double percent() {
    return percent;
  }

  /** The global |gamma| threshold; NaN for a selection given by hand. */
  public double threshold() {
    return threshold;
  }

  /** How many gammas took part in the threshold (0 for a selection given by hand). */
  public int collectedChannels() {
    return collected;
  }

  /** Body-convolution channels before pruning. */
  public int channelsBefore() {
    int n = 0;
    for (ConvSpec c : bodyConvs(original)) {
      n += c.out();
    }
    return n;
  }

  /** Body-convolution channels after pruning. */
  public int channelsAfter() {
    int n = 0;
    for (int[] k : kept.values()) {
      n += k.length;
    }
    return n;
  }

  @Override
  public String toString() {
    return "ChannelSelection{" + (Double.isNaN(percent) ? "by hand" : "percent=" + percent + ", threshold=" + threshold)
        + ", channels " + channelsBefore() + " -> " + channelsAfter() + ", " + widths() + "}";
  }
}
