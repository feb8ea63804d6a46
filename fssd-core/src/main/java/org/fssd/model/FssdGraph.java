package org.fssd.model;

import java.util.Objects;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.fssd.model.ConvSpec.Group;
import org.fssd.model.graph.BilinearResizeVertex;
import org.fssd.model.graph.FastConvolutionLayer;
import org.fssd.model.graph.HeadFlattenVertex;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * SPEC §2: builds the FSSD topology of an {@link FssdConfig} as a DL4J {@link ComputationGraph}.
 *
 * <p>Vertex names follow the reference's state_dict names. Each convolution block's output vertex
 * is named after the block ({@code base.21}, {@code extras.3}, {@code ft_module.1}, {@code
 * pyramid_ext.0}, {@code loc.2}, {@code conf.2}); in the plain variant that vertex is the
 * convolution itself (ReLU fused as its activation), in the BN variant it is the ReLU after {@code
 * <name>.conv} (no bias) and {@code <name>.bn}. Base vertices use the plain variant's indices
 * (convs 0, 2, 5, ..., 31, 33; pools 4, 9, 16 (ceil mode), 23, 30). Other vertices: {@code
 * ft_module.1.up}/{@code ft_module.2.up} (bilinear resize), {@code ft_concat}, {@code ft_bn}
 * (optional), {@code loc.k.flat}/{@code conf.k.flat} (NHWC flatten).
 *
 * <p>Inputs: {@value #INPUT} [N, 3, S, S] (BGR minus means, SPEC §1). Outputs, in order: {@value
 * #LOC} [N, P*4] and {@value #CONF} [N, P*C] (raw logits) — the flat equivalent of the reference's
 * [N, P, 4] and [N, P, C]; prior p's values sit at p*4 .. p*4+3 and p*C .. p*C+C-1.
 */
public final class FssdGraph {
  /** Name of the graph input. */
  public static final String INPUT = "input";

  /** Name of the localisation output. */
  public static final String LOC = "loc";

  /** Name of the confidence output. */
  public static final String CONF = "conf";

  /** Name of the fusion concat vertex. */
  public static final String CONCAT = "ft_concat";

  /** Name of the optional BN after the concat. */
  public static final String CONCAT_BN = "ft_bn";

  /** BN running-average decay: PyTorch momentum 0.01 keeps 99 % of the old value (SPEC §2.7). */
  public static final double BN_DECAY = 0.99;

  /** BN epsilon (SPEC §2.7). */
  public static final double BN_EPS = 1e-5;

  private static final int[] BASE_POOL_INDEX = {4, 9, 16, 23, 30};

  private FssdGraph() {}

  /** The graph configuration of {@code config} (no parameters), stock convolutions. */
  public static ComputationGraphConfiguration configuration(FssdConfig config) {
    return configuration(config, ConvImpl.STOCK);
  }

  /**
   * The graph configuration of {@code config} (no parameters) with its convolutions computed by
   * {@code impl}; vertex and parameter names do not depend on {@code impl}.
   */
  public static ComputationGraphConfiguration configuration(FssdConfig config, ConvImpl impl) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(impl, "impl");
    ComputationGraphConfiguration.GraphBuilder g =
        new NeuralNetConfiguration.Builder()
            .dataType(DataType.FLOAT)
            .weightInit(WeightInit.ZERO) // real values come from initialize() or an import
            .updater(new Sgd(0.0))
            .convolutionMode(ConvolutionMode.Truncate)
            .graphBuilder()
            .addInputs(INPUT)
            .setInputTypes(InputType.convolutional(config.inputSize(), config.inputSize(), 3));

    String prev = INPUT;
    int pool = 0;
    int baseCount = 0;
    for (ConvSpec c : config.convs()) {
      if (c.group() != Group.BASE) {
        break;
      }
      addBlock(g, config, c, prev, impl);
      prev = c.name();
      if (pool < Widths.POOL_AFTER.length && baseCount == Widths.POOL_AFTER[pool]) {
        String poolName = "base." + BASE_POOL_INDEX[pool];
        SubsamplingLayer.Builder pb = new SubsamplingLayer.Builder(PoolingType.MAX);
        if (pool == 4) {
          pb.kernelSize(3, 3).stride(1, 1).padding(1, 1);
        } else {
          pb.kernelSize(2, 2).stride(2, 2);
          if (pool == 2) {
            // DL4J's Same mode pads only at the end: exactly PyTorch's ceil_mode (75 -> 38).
            pb.convolutionMode(ConvolutionMode.Same);
          }
        }
        g.addLayer(poolName, pb.build(), prev);
        prev = poolName;
        pool++;
      }
      baseCount++;
    }
    String source1 = config.convs().get(Widths.CONV4_3).name();
    String source2 = config.convs().get(Widths.BASE_CONVS + 1).name();
    prev = source2;
    for (int i = 0; i < 4; i++) {
      ConvSpec c = config.conv(Group.EXTRAS, i);
      addBlock(g, config, c, prev, impl);
      prev = c.name();
    }
    String source3 = prev;
    String[] sources = {source1, source2, source3};
    String[] fused = new String[3];
    for (int i = 0; i < 3; i++) {
      ConvSpec c = config.conv(Group.FUSION, i);
      addBlock(g, config, c, sources[i], impl);
      fused[i] = c.name();
      if (c.outSize() != config.fusionSize()) {
        String up = c.name() + ".up";
        g.addVertex(
            up, new BilinearResizeVertex(config.fusionSize(), config.fusionSize()), c.name());
        fused[i] = up;
      }
    }
    g.addVertex(CONCAT, new MergeVertex(), fused);
    prev = CONCAT;
    if (config.fusionBatchNorm()) {
      g.addLayer(CONCAT_BN, batchNorm(config.widths().fusionConcat()), CONCAT);
      prev = CONCAT_BN;
    }
    int levels = config.widths().levels();
    for (int i = 0; i < levels; i++) {
      ConvSpec c = config.conv(Group.PYRAMID, i);
      addBlock(g, config, c, prev, impl);
      prev = c.name();
    }
    for (Group head : new Group[] {Group.LOC, Group.CONF}) {
      String[] flats = new String[levels];
      for (int i = 0; i < levels; i++) {
        ConvSpec c = config.conv(head, i);
        g.addLayer(
            c.name(),
            conv(c, Activation.IDENTITY, true, impl),
            config.conv(Group.PYRAMID, i).name());
        flats[i] = c.name() + ".flat";
        g.addVertex(flats[i], new HeadFlattenVertex(), c.name());
      }
      g.addVertex(head.prefix(), new MergeVertex(), flats);
    }
    g.setOutputs(LOC, CONF);
    g.allowNoOutput(false);
    return g.build();
  }

  private static void addBlock(
      ComputationGraphConfiguration.GraphBuilder g,
      FssdConfig config,
      ConvSpec c,
      String input,
      ConvImpl impl) {
    if (!config.batchNorm()) {
      g.addLayer(c.name(), conv(c, Activation.RELU, true, impl), input);
    } else {
      g.addLayer(c.name() + ".conv", conv(c, Activation.IDENTITY, false, impl), input);
      g.addLayer(c.name() + ".bn", batchNorm(c.out()), c.name() + ".conv");
      g.addLayer(c.name(), new ActivationLayer(Activation.RELU), c.name() + ".bn");
    }
  }

  private static ConvolutionLayer conv(
      ConvSpec c, Activation activation, boolean bias, ConvImpl impl) {
    ConvolutionLayer.Builder b =
        new ConvolutionLayer.Builder(c.kernel(), c.kernel())
            .stride(c.stride(), c.stride())
            .padding(c.padding(), c.padding())
            .dilation(c.dilation(), c.dilation())
            .nIn(c.in())
            .nOut(c.out())
            .hasBias(bias)
            .activation(activation);
    return impl == ConvImpl.FAST ? new FastConvolutionLayer(b) : b.build();
  }

  private static BatchNormalization batchNorm(int channels) {
    return new BatchNormalization.Builder()
        .activation(
            Activation
                .IDENTITY) // DL4J's builder default is sigmoid (ignored by M2.1's BN; say what we
        // mean)
        .nIn(channels)
        .nOut(channels)
        .eps(BN_EPS)
        .decay(BN_DECAY)
        .useLogStd(false)
        .build();
  }

  /**
   * A new graph for {@code config}, initialised per SPEC §7 from {@code seed}, stock convolutions.
   */
  public static ComputationGraph create(FssdConfig config, long seed) {
    return create(config, seed, ConvImpl.STOCK);
  }

  /**
   * A new graph for {@code config} with {@code impl} convolutions, initialised per SPEC §7 from
   * {@code seed}.
   */
  public static ComputationGraph create(FssdConfig config, long seed, ConvImpl impl) {
    ComputationGraph graph = new ComputationGraph(configuration(config, impl));
    graph.init();
    initialize(graph, config, seed);
    return graph;
  }

  /**
   * Re-initialises every parameter per SPEC §7, deterministically from {@code seed}: body convs
   * Kaiming-normal (fan_out, gain sqrt 2), zero bias; heads Kaiming-uniform with a = sqrt 5 (bound
   * 1/sqrt(fan_in)), zero bias; BN gamma 1, beta 0, running mean 0, running var 1.
   */
  public static void initialize(ComputationGraph graph, FssdConfig config, long seed) {
    Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
    for (ConvSpec c : config.convs()) {
      String convName = !c.isHead() && config.batchNorm() ? c.name() + ".conv" : c.name();
      INDArray w = graph.getParam(convName + "_W");
      if (c.isHead()) {
        double bound = 1.0 / Math.sqrt((double) c.in() * c.kernel() * c.kernel());
        w.assign(Nd4j.rand(rng, w.shape()).castTo(w.dataType()).muli(2 * bound).subi(bound));
      } else {
        double std = Math.sqrt(2.0 / ((double) c.out() * c.kernel() * c.kernel()));
        w.assign(Nd4j.randn(rng, w.shape()).castTo(w.dataType()).muli(std));
      }
      if (graph.getLayer(convName).paramTable().containsKey("b")) {
        graph.getParam(convName + "_b").assign(0);
      }
      if (!c.isHead() && config.batchNorm()) {
        resetBatchNorm(graph, c.name() + ".bn");
      }
    }
    if (config.fusionBatchNorm()) {
      resetBatchNorm(graph, CONCAT_BN);
    }
  }

  private static void resetBatchNorm(ComputationGraph graph, String name) {
    graph.getParam(name + "_gamma").assign(1);
    graph.getParam(name + "_beta").assign(0);
    graph.getParam(name + "_mean").assign(0);
    graph.getParam(name + "_var").assign(1);
  }
}
