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
 * convolution (base, conv6, conv7, extras, ft_module, pyramid_ext; SPEC §2.7) into one list of
 * {@code n} channels and prunes exactly {@code k = floor(n * percent) + 1} of them: the first
 * {@code k} in the total order (|gamma| ascending, then layer in network order, then channel index
 * ascending). When the |gamma| are distinct this is exactly SPEC §11's rule (threshold = the value
 * at position {@code floor(n * percent)} of the sorted list, keep {@code |gamma| > threshold});
 * when many channels share the threshold value (a model that was never sparse-trained: every gamma
 * of a fresh BN is 1.0) the SPEC rule would prune all of them at once, whereas here the count stays
 * {@code k} and the tie is cut deterministically by network position. No layer goes below its
 * minimum ({@link PruneOptions#minChannels(String)}, capped at its width): a channel that would
 * take its layer below the minimum is skipped and the next one in the order is pruned instead, so
 * exactly {@code k} channels go whenever the minimums allow it (a layer at its minimum keeps its
 * largest |gamma|). Decisions the SPEC leaves open:
 *
 * <ul>
 *   <li>The optional BN after the fusion concat ({@code ft_bn}) is <b>not</b> collected: each of
 *       its channels is an ft_module output channel, already governed by that conv's own BN, and
 *       cannot be removed on its own. It keeps the slices of the kept ft_module channels.
 *   <li>Excluded layers keep every channel and their gammas take no part in the selection, so
 *       {@code percent} is a share of the prunable channels.
 *   <li>As in the reference, {@code percent = 0} still removes one channel (the smallest |gamma|;
 *       the reference removes every channel equal to it).
 *   <li>Heads ({@code loc.k}, {@code conf.k}) are never pruned.
 * </ul>
 *
 * <p><b>Sparsity warnings</b> ({@link #warnings()}): network slimming assumes the |gamma| were
 * pushed towards zero by sparse training (SPEC §7), so that the pruned channels are the nearly dead
 * ones. A selection lists a warning, naming the layers, when
 *
 * <ol>
 *   <li><b>flat layers</b>: a prunable layer of at least 2 channels has all its |gamma| within
 *       {@value #FLAT_RELATIVE_SPREAD} of its largest ({@code max - min <= 0.001 * max}), the
 *       signature of BN layers that never trained (fresh BN: all 1.0);
 *   <li><b>tie at the threshold</b>: at least 2 collected channels have exactly the threshold
 *       |gamma| and the cut falls inside them (some pruned, some kept), so network position, not
 *       |gamma|, decided which ones go;
 *   <li><b>no mass near zero</b>: more than half of the pruned channels have |gamma| of at least
 *       {@value #NEAR_ZERO_RELATIVE} of the largest collected |gamma|: the cut goes through live
 *       channels rather than a cluster near zero, so the model does not look sparse-trained and
 *       pruning will cost accuracy (train with the L1 term first).
 * </ol>
 *
 * <p>A selection can also be given by hand ({@link #of(FssdConfig, Map)}), e.g. to remove channels
 * known to be dead. Kept indices are ascending. Immutable and thread-safe (arrays are copied in and
 * out).
 */
public final class ChannelSelection {
  /** A layer is flat when {@code max|gamma| - min|gamma| <= FLAT_RELATIVE_SPREAD * max|gamma|}. */
  public static final double FLAT_RELATIVE_SPREAD = 1e-3;

  /** A |gamma| is near zero below {@code NEAR_ZERO_RELATIVE * max|gamma|} of the collected ones. */
  public static final double NEAR_ZERO_RELATIVE = 0.1;

  /** Layers named in one warning before "and N more". */
  private static final int NAMED_LAYERS = 8;

  private final FssdConfig original;
  private final FssdConfig pruned;
  private final ImmutableMap<String, int[]> kept;
  private final double percent;
  private final double threshold;
  private final int collected;
  private final ImmutableList<String> warnings;

  private ChannelSelection(
      FssdConfig original,
      Map<String, int[]> kept,
      double percent,
      double threshold,
      int collected,
      List<String> warnings) {
    this.original = original;
    this.warnings = ImmutableList.copyOf(warnings);
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
  public static ChannelSelection select(
      FssdConfig config, Map<String, float[]> gammas, PruneOptions options) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(gammas, "gammas");
    Objects.requireNonNull(options, "options");
    List<ConvSpec> body = bodyConvs(config);
    List<String> names = new ArrayList<>();
    for (ConvSpec c : body) {
      names.add(c.name());
    }
    for (String k : gammas.keySet()) {
      checkArgument(
          names.contains(k),
          "gammas given for '%s', which is not a body convolution (expected one of %s)",
          k,
          names);
    }
    for (String k : options.excluded()) {
      checkArgument(
          names.contains(k),
          "excluded layer '%s' is not a body convolution (expected one of %s)",
          k,
          names);
    }
    for (String k : options.layerMinChannels().keySet()) {
      checkArgument(
          names.contains(k),
          "minChannels given for '%s', which is not a body convolution (expected one of %s)",
          k,
          names);
    }
    int total = 0;
    for (ConvSpec c : body) {
      float[] g = gammas.get(c.name());
      checkArgument(g != null, "no BN gammas for layer %s", c.name());
      checkArgument(
          g.length == c.out(),
          "layer %s has %s channels but %s gammas",
          c.name(),
          c.out(),
          g.length);
      for (int i = 0; i < g.length; i++) {
        checkArgument(
            Float.isFinite(g[i]), "gamma %s of layer %s is not finite: %s", i, c.name(), g[i]);
      }
      if (!options.isExcluded(c.name())) {
        total += g.length;
      }
    }
    checkArgument(total > 0, "every layer is excluded: nothing to prune");
    // every collected channel as (layer position, channel); sorted by (|gamma|, layer, channel)
    List<ConvSpec> voters = new ArrayList<>();
    for (ConvSpec c : body) {
      if (!options.isExcluded(c.name())) {
        voters.add(c);
      }
    }
    float[] abs = new float[total];
    int[] layerOf = new int[total];
    int[] channelOf = new int[total];
    int n = 0;
    for (int l = 0; l < voters.size(); l++) {
      float[] g = gammas.get(voters.get(l).name());
      for (int i = 0; i < g.length; i++) {
        abs[n] = Math.abs(g[i]);
        layerOf[n] = l;
        channelOf[n] = i;
        n++;
      }
    }
    Integer[] order = new Integer[total];
    for (int i = 0; i < total; i++) {
      order[i] = i;
    }
    // entries were collected in (layer, channel) order, so the stable sort on |gamma| alone gives
    // the total order (|gamma|, layer, channel)
    Arrays.sort(order, (x, y) -> Float.compare(abs[x], abs[y]));
    float threshold = threshold(abs, options.percent());
    int k = Math.min((int) Math.floor(total * options.percent()) + 1, total);
    int[] remaining = new int[voters.size()];
    int[] minimum = new int[voters.size()];
    for (int l = 0; l < voters.size(); l++) {
      remaining[l] = voters.get(l).out();
      minimum[l] = Math.min(options.minChannels(voters.get(l).name()), voters.get(l).out());
    }
    boolean[] pruned = new boolean[total];
    int done = 0;
    for (int i = 0; i < total && done < k; i++) {
      int e = order[i];
      if (remaining[layerOf[e]] > minimum[layerOf[e]]) {
        pruned[e] = true;
        remaining[layerOf[e]]--;
        done++;
      }
    }
    Map<String, int[]> kept = new LinkedHashMap<>();
    int e = 0;
    for (ConvSpec c : body) {
      if (options.isExcluded(c.name())) {
        kept.put(c.name(), all(c.out()));
        continue;
      }
      int[] keep = new int[c.out()];
      int m = 0;
      for (int i = 0; i < c.out(); i++, e++) {
        if (!pruned[e]) {
          keep[m++] = i;
        }
      }
      kept.put(c.name(), Arrays.copyOf(keep, m));
    }
    List<String> warnings = warnings(voters, abs, layerOf, pruned, threshold);
    return new ChannelSelection(config, kept, options.percent(), threshold, total, warnings);
  }

  /** The sparsity warnings of the class comment, in the order flat, tie, near zero. */
  private static List<String> warnings(
      List<ConvSpec> voters, float[] abs, int[] layerOf, boolean[] pruned, float threshold) {
    List<String> out = new ArrayList<>();
    int layers = voters.size();
    float[] min = new float[layers];
    float[] max = new float[layers];
    Arrays.fill(min, Float.POSITIVE_INFINITY);
    Arrays.fill(max, Float.NEGATIVE_INFINITY);
    float globalMax = 0f;
    for (int i = 0; i < abs.length; i++) {
      min[layerOf[i]] = Math.min(min[layerOf[i]], abs[i]);
      max[layerOf[i]] = Math.max(max[layerOf[i]], abs[i]);
      globalMax = Math.max(globalMax, abs[i]);
    }
    List<String> flat = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      if (voters.get(l).out() >= 2 && max[l] - min[l] <= FLAT_RELATIVE_SPREAD * max[l]) {
        flat.add(voters.get(l).name() + " (|gamma| " + fmt(max[l]) + ")");
      }
    }
    if (!flat.isEmpty()) {
      out.add(
          flat.size()
              + " of "
              + layers
              + " prunable layers have (almost) equal |gamma| in all"
              + " their channels, as BN layers that never trained: "
              + names(flat)
              + "; the model does not look sparse-trained");
    }
    int tiedPruned = 0;
    int tiedKept = 0;
    java.util.Set<String> tiedLayers = new java.util.LinkedHashSet<>();
    for (int i = 0; i < abs.length; i++) {
      if (abs[i] == threshold) {
        tiedLayers.add(voters.get(layerOf[i]).name());
        if (pruned[i]) {
          tiedPruned++;
        } else {
          tiedKept++;
        }
      }
    }
    if (tiedPruned > 0 && tiedKept > 0) {
      out.add(
          (tiedPruned + tiedKept)
              + " channels have exactly the threshold |gamma| "
              + fmt(threshold)
              + "; "
              + tiedPruned
              + " of them were pruned by network position (layer"
              + " order, channel index), not by |gamma|; layers: "
              + names(new ArrayList<>(tiedLayers)));
    }
    int prunedCount = 0;
    Map<String, Integer> live = new LinkedHashMap<>();
    int liveCount = 0;
    for (int i = 0; i < abs.length; i++) {
      if (pruned[i]) {
        prunedCount++;
        if (abs[i] >= NEAR_ZERO_RELATIVE * globalMax) {
          liveCount++;
          live.merge(voters.get(layerOf[i]).name(), 1, Integer::sum);
        }
      }
    }
    if (prunedCount > 0 && 2 * liveCount > prunedCount) {
      List<String> named = new ArrayList<>();
      live.forEach((name, c) -> named.add(name + " (" + c + ")"));
      out.add(
          liveCount
              + " of the "
              + prunedCount
              + " pruned channels have |gamma| >= "
              + NEAR_ZERO_RELATIVE
              + " x the largest ("
              + fmt(globalMax)
              + "): no cluster near zero,"
              + " the model does not look sparse-trained (train with the L1 term, --sparsity, first);"
              + " pruned channels by layer: "
              + names(named));
    }
    return out;
  }

  private static String names(List<String> items) {
    if (items.size() <= NAMED_LAYERS) {
      return String.join(", ", items);
    }
    return String.join(", ", items.subList(0, NAMED_LAYERS))
        + " and "
        + (items.size() - NAMED_LAYERS)
        + " more";
  }

  private static String fmt(float v) {
    return String.format(java.util.Locale.ROOT, "%.4g", v);
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
        checkArgument(
            k[i] >= 0 && k[i] < c.out(),
            "layer %s: channel %s out of range [0, %s)",
            c.name(),
            k[i],
            c.out());
        checkArgument(
            i == 0 || k[i] > k[i - 1],
            "layer %s: kept channels must be ascending and distinct, got %s",
            c.name(),
            Arrays.toString(k));
      }
      kept.put(c.name(), k.clone());
    }
    for (String name : keptChannels.keySet()) {
      checkArgument(kept.containsKey(name), "'%s' is not a body convolution of the network", name);
    }
    return new ChannelSelection(config, kept, Double.NaN, Double.NaN, 0, List.of());
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

  /**
   * The BN gammas (with sign) of every body convolution of a BN-variant graph, in network order.
   */
  public static Map<String, float[]> gammas(FssdConfig config, ComputationGraph graph) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(graph, "graph");
    checkArgument(
        config.batchNorm(),
        "pruning by BN gamma needs the BN variant (SPEC 2.7); this network is the plain one");
    Map<String, float[]> out = new LinkedHashMap<>();
    for (ConvSpec c : bodyConvs(config)) {
      INDArray g = graph.getParam(c.name() + ".bn_gamma");
      out.put(c.name(), g.castTo(DataType.FLOAT).dup('c').reshape(g.length()).toFloatVector());
    }
    return out;
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
   * The kept channels of the fusion concat (indices into the unpruned concat): the kept ft_module.0
   * channels, then ft_module.1's offset by the unpruned width of ft_module.0, then ft_module.2's
   * offset by the unpruned widths of both.
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

  /**
   * The global |gamma| threshold of SPEC §11 (the value at position {@code floor(n * percent)} of
   * the sorted list): every channel below it is pruned, every channel above it kept (minimums
   * aside), and of the channels equal to it only as many as make the count {@code floor(n *
   * percent) + 1}; NaN for a selection given by hand.
   */
  public double threshold() {
    return threshold;
  }

  /**
   * Warnings that the |gamma| do not look sparse-trained (flat layers, a tie at the threshold, no
   * mass near zero; see the class comment), each naming the layers; empty when none applies or for
   * a selection given by hand.
   */
  public List<String> warnings() {
    return warnings;
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
    return "ChannelSelection{"
        + (Double.isNaN(percent) ? "by hand" : "percent=" + percent + ", threshold=" + threshold)
        + ", channels "
        + channelsBefore()
        + " -> "
        + channelsAfter()
        + ", "
        + widths()
        + "}";
  }
}
