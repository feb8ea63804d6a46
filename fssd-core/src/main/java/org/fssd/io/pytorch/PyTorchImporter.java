package org.fssd.io.pytorch;

import com.google.common.hash.Hashing;
import com.google.common.io.MoreFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.FloatPointer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.ModelFormatException;
import org.fssd.model.ConvSpec;
import org.fssd.model.ConvSpec.Group;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;
import org.fssd.model.Provenance;
import org.fssd.model.Widths;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SPEC §12 + §2.7/§2.8: turns a reference PyTorch FSSD state_dict into an {@link FssdModel}.
 *
 * <p>The variant is recognised from the keys (plain: {@code base.N.weight}; BatchNorm: {@code
 * base.N.conv.weight} + {@code base.N.bn.*}), and <b>every width is read from the tensor
 * shapes</b>, so pruned checkpoints load with no hand-written configuration. The caller supplies
 * only what the file cannot say: the input size and prior boxes (a preset such as {@link
 * FssdConfig#voc300()}); the class count also comes from the file. Base convolutions are matched by
 * ascending index, so both the plain layout (0, 2, 5, ..., 31, 33) and a compact BN layout load.
 *
 * <p>Every tensor must be used exactly once with exactly the shape the network needs (input widths
 * are those of the real producer); otherwise a {@link ModelFormatException} names the file, the key
 * and both shapes. BN {@code num_batches_tracked} counters are read and ignored.
 */
public final class PyTorchImporter {
  private static final Pattern BASE_PLAIN = Pattern.compile("base\\.(\\d+)\\.weight");
  private static final Pattern BASE_BN = Pattern.compile("base\\.(\\d+)\\.conv\\.weight");

  /** Values per run when a tensor is copied into a parameter (256 KiB of floats). */
  private static final int COPY_CHUNK = 1 << 16;

  private static final Pattern BACKBONE = Pattern.compile("(\\d+)\\.weight");

  private PyTorchImporter() {}

  /**
   * Imports a reference checkpoint.
   *
   * @param file a {@code torch.save} state_dict (zip or legacy format; untrusted input)
   * @param preset supplies the input size and prior boxes; widths, class count and the BN variant
   *     come from the file
   * @throws ModelFormatException naming the file and the problem
   */
  public static FssdModel importModel(Path file, FssdConfig preset) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(preset, "preset");
    StateDict sd = TorchCheckpoint.readLazily(file); // each tensor streamed into its parameter
    FssdModel model = fromStateDict(sd, preset, file);
    return model.withProvenance(model.provenance().with("sha256", sha256(file)));
  }

  /**
   * Imports an already-read state dict ({@code file} only names it in messages and provenance).
   *
   * @throws ModelFormatException naming the file, the key and both shapes on any mismatch
   */
  public static FssdModel fromStateDict(StateDict sd, FssdConfig preset, Path file) {
    Objects.requireNonNull(sd, "sd");
    Objects.requireNonNull(preset, "preset");
    FssdConfig config = inferConfig(sd, preset, file);
    ComputationGraphConfiguration graphConf = FssdGraph.configuration(config);
    long numParams = 0;
    for (GraphVertex v : graphConf.getVertices().values()) {
      numParams += v.numParams(true);
    }
    ComputationGraph graph = new ComputationGraph(graphConf);
    // Every parameter is overwritten below (checked after the loop), so no random initialisation:
    // its temporary arrays would hold as much native memory as the parameters until a GC ran.
    graph.init(Nd4j.create(graph.getConfiguration().getDataType(), 1, numParams), false);
    Set<String> used = new LinkedHashSet<>();
    List<String> baseKeys = baseKeys(sd, config.batchNorm(), file);
    int baseIndex = 0;
    for (ConvSpec c : config.convs()) {
      String prefix;
      if (c.group() == Group.BASE) {
        prefix = baseKeys.get(baseIndex++);
      } else if (c.isHead()) {
        prefix = c.name();
      } else {
        prefix = c.name() + ".conv";
      }
      String graphConv = !c.isHead() && config.batchNorm() ? c.name() + ".conv" : c.name();
      long[] wShape = {c.out(), c.in(), c.kernel(), c.kernel()};
      if (c.group() == Group.BASE && config.batchNorm()) {
        prefix = prefix + ".conv"; // base.N.conv.weight
      }
      copy(sd, file, prefix + ".weight", wShape, graph.getParam(graphConv + "_W"), used);
      if (c.isHead() || !config.batchNorm()) {
        copy(
            sd,
            file,
            prefix + ".bias",
            new long[] {c.out()},
            graph.getParam(graphConv + "_b"),
            used);
      } else {
        String bn = prefix.substring(0, prefix.length() - ".conv".length()) + ".bn";
        String graphBn = c.name() + ".bn";
        long[] v = {c.out()};
        copy(sd, file, bn + ".weight", v, graph.getParam(graphBn + "_gamma"), used);
        copy(sd, file, bn + ".bias", v, graph.getParam(graphBn + "_beta"), used);
        copy(sd, file, bn + ".running_mean", v, graph.getParam(graphBn + "_mean"), used);
        copy(sd, file, bn + ".running_var", v, graph.getParam(graphBn + "_var"), used);
        if (sd.contains(bn + ".num_batches_tracked")) {
          used.add(bn + ".num_batches_tracked");
        }
      }
    }
    long copied = 0;
    for (String k : used) {
      copied += k.endsWith(".num_batches_tracked") ? 0 : sd.get(k).numel();
    }
    if (copied != numParams) {
      throw new IllegalStateException(
          "the import filled " + copied + " of the graph's " + numParams + " parameters");
    }
    List<String> unused = new ArrayList<>();
    for (String k : sd.keys()) {
      if (!used.contains(k)) {
        unused.add(k);
      }
    }
    if (!unused.isEmpty()) {
      throw new ModelFormatException(
          file
              + ": "
              + unused.size()
              + " tensor(s) the FSSD network does not use: "
              + abbreviate(unused));
    }
    Labels labels = labelsFor(preset, config.numClasses());
    Provenance provenance =
        Provenance.of("pytorch import of " + file.getFileName())
            .with("variant", config.batchNorm() ? "bn" : "plain");
    return FssdModel.of(config, graph, labels, provenance);
  }

  /**
   * The configuration a checkpoint describes: {@code preset}'s input size and priors with the
   * checkpoint's widths, class count and variant.
   */
  public static FssdConfig inferConfig(StateDict sd, FssdConfig preset, Path file) {
    boolean bn = sd.keys().stream().anyMatch(k -> BASE_BN.matcher(k).matches());
    boolean plain = sd.keys().stream().anyMatch(k -> BASE_PLAIN.matcher(k).matches());
    if (bn == plain) {
      throw new ModelFormatException(
          file
              + ": not an FSSD checkpoint: "
              + (bn
                  ? "both base.N.weight and base.N.conv.weight keys"
                  : "no base.N.weight or base.N.conv.weight keys")
              + " (keys: "
              + abbreviate(sd.keys())
              + ")");
    }
    List<String> baseKeys = baseKeys(sd, bn, file);
    int[] base = new int[Widths.BASE_CONVS];
    for (int i = 0; i < base.length; i++) {
      base[i] = outChannels(sd, file, baseKeys.get(i) + (bn ? ".conv" : "") + ".weight");
    }
    int conv6 = outChannels(sd, file, baseKeys.get(13) + (bn ? ".conv" : "") + ".weight");
    int conv7 = outChannels(sd, file, baseKeys.get(14) + (bn ? ".conv" : "") + ".weight");
    int[] extras = new int[4];
    for (int i = 0; i < 4; i++) {
      extras[i] = outChannels(sd, file, "extras." + i + ".conv.weight");
    }
    int[] fusion = new int[3];
    for (int i = 0; i < 3; i++) {
      fusion[i] = outChannels(sd, file, "ft_module." + i + ".conv.weight");
    }
    int levels = 0;
    while (sd.contains("pyramid_ext." + levels + ".conv.weight")) {
      levels++;
    }
    int expectedLevels = preset.widths().levels();
    if (levels != expectedLevels) {
      throw new ModelFormatException(
          file
              + ": checkpoint has "
              + levels
              + " pyramid_ext levels but FSSD"
              + preset.inputSize()
              + " has "
              + expectedLevels
              + " (wrong --config?)");
    }
    int[] pyramid = new int[levels];
    for (int i = 0; i < levels; i++) {
      pyramid[i] = outChannels(sd, file, "pyramid_ext." + i + ".conv.weight");
    }
    int conf0 = outChannels(sd, file, "conf.0.weight");
    int perCell = preset.priors().priorsPerLocation(0);
    if (conf0 % perCell != 0) {
      throw new ModelFormatException(
          file
              + ": conf.0.weight has "
              + conf0
              + " output channels, not a multiple of the "
              + perCell
              + " priors per cell of level 0");
    }
    try {
      return preset.toBuilder()
          .batchNorm(bn)
          .numClasses(conf0 / perCell)
          .widths(Widths.of(base, conv6, conv7, extras, fusion, pyramid))
          .build();
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(
          file + ": checkpoint widths do not form a valid FSSD: " + e.getMessage(), e);
    }
  }

  /**
   * Imports an ImageNet VGG16 "reduced fc" backbone ({@code N.weight}/{@code N.bias} for the 15
   * base convolutions, e.g. {@code vgg16_reducedfc.pth}) into the base of {@code graph}, which must
   * be a plain-variant graph of {@code config} with matching base widths.
   *
   * @return the number of tensors copied (30)
   */
  public static int importBackbone(Path file, FssdConfig config, ComputationGraph graph) {
    return importBackbone(TorchCheckpoint.read(file), file, config, graph);
  }

  /** {@link #importBackbone(Path, FssdConfig, ComputationGraph)} on an already-read state dict. */
  public static int importBackbone(
      StateDict sd, Path file, FssdConfig config, ComputationGraph graph) {
    TreeMap<Integer, String> convs = new TreeMap<>();
    for (String k : sd.keys()) {
      Matcher m = BACKBONE.matcher(k);
      if (m.matches() && sd.get(k).dim() == 4) {
        convs.put(Integer.parseInt(m.group(1)), k.substring(0, k.length() - ".weight".length()));
      }
    }
    if (convs.size() != Widths.BASE_CONVS + 2) {
      throw new ModelFormatException(
          file
              + ": a VGG16 reduced-fc backbone has 15 convolutions (N.weight), found "
              + convs.size());
    }
    Set<String> used = new LinkedHashSet<>();
    List<String> prefixes = new ArrayList<>(convs.values());
    int i = 0;
    for (ConvSpec c : config.convs()) {
      if (c.group() != Group.BASE) {
        break;
      }
      String graphConv = config.batchNorm() ? c.name() + ".conv" : c.name();
      copy(
          sd,
          file,
          prefixes.get(i) + ".weight",
          new long[] {c.out(), c.in(), c.kernel(), c.kernel()},
          graph.getParam(graphConv + "_W"),
          used);
      if (!config.batchNorm()) {
        copy(
            sd,
            file,
            prefixes.get(i) + ".bias",
            new long[] {c.out()},
            graph.getParam(graphConv + "_b"),
            used);
      }
      i++;
    }
    return used.size();
  }

  private static List<String> baseKeys(StateDict sd, boolean bn, Path file) {
    Pattern p = bn ? BASE_BN : BASE_PLAIN;
    TreeMap<Integer, String> byIndex = new TreeMap<>();
    for (String k : sd.keys()) {
      Matcher m = p.matcher(k);
      if (m.matches() && sd.get(k).dim() == 4) {
        byIndex.put(Integer.parseInt(m.group(1)), "base." + m.group(1));
      }
    }
    if (byIndex.size() != Widths.BASE_CONVS + 2) {
      throw new ModelFormatException(
          file
              + ": FSSD's base has 15 convolutions, the checkpoint has "
              + byIndex.size()
              + " ("
              + byIndex.values()
              + ")");
    }
    return new ArrayList<>(byIndex.values());
  }

  private static int outChannels(StateDict sd, Path file, String key) {
    if (!sd.contains(key)) {
      throw new ModelFormatException(file + ": missing tensor '" + key + "'");
    }
    long[] shape = sd.get(key).shape();
    if (shape.length != 4 || shape[0] < 1 || shape[0] > 1 << 20) {
      throw new ModelFormatException(
          file
              + ": tensor '"
              + key
              + "' has shape "
              + Arrays.toString(shape)
              + ", expected a convolution weight [out, in, k, k]");
    }
    return (int) shape[0];
  }

  private static void copy(
      StateDict sd, Path file, String key, long[] expected, INDArray param, Set<String> used) {
    if (!sd.contains(key)) {
      throw new ModelFormatException(
          file
              + ": missing tensor '"
              + key
              + "' (the network needs shape "
              + Arrays.toString(expected)
              + ")");
    }
    TorchTensor t = sd.get(key);
    if (!Arrays.equals(t.shape(), expected)) {
      throw new ModelFormatException(
          file
              + ": tensor '"
              + key
              + "' has shape "
              + Arrays.toString(t.shape())
              + " but the network needs "
              + Arrays.toString(expected));
    }
    try {
      if (param.dataType() == DataType.FLOAT
          && param.ordering() == 'c'
          && Shape.hasDefaultStridesForShape(param)
          && param.length() == t.numel()) {
        // Straight into the graph's parameter buffer in small runs: no array of the whole tensor,
        // no temporary INDArray (whose native memory would wait for a GC to be freed).
        FloatPointer dst = new FloatPointer(param.data().addressPointer());
        t.readFloats(
            COPY_CHUNK,
            (start, chunk, length) -> {
              checkFinite(file, key, chunk, length);
              dst.position(start).put(chunk, 0, length);
            });
      } else {
        float[] data = t.toFloatArray();
        checkFinite(file, key, data, data.length);
        param.assign(Nd4j.create(data, param.shape(), 'c'));
      }
    } catch (CheckpointFormatException e) {
      throw new ModelFormatException(file + ": tensor '" + key + "': " + e.getMessage(), e);
    }
    used.add(key);
  }

  private static void checkFinite(Path file, String key, float[] values, int length) {
    for (int i = 0; i < length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new ModelFormatException(
            file + ": tensor '" + key + "' holds a non-finite value (" + values[i] + ")");
      }
    }
  }

  private static Labels labelsFor(FssdConfig preset, int numClasses) {
    if (numClasses == 21) {
      return Labels.voc();
    }
    if (numClasses == 81) {
      return Labels.coco();
    }
    return Labels.generic(numClasses - 1);
  }

  private static String sha256(Path file) {
    try {
      return MoreFiles.asByteSource(file).hash(Hashing.sha256()).toString();
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static String abbreviate(List<String> keys) {
    return keys.size() <= 12
        ? keys.toString()
        : keys.subList(0, 12) + " ... (" + keys.size() + " in all)";
  }
}
