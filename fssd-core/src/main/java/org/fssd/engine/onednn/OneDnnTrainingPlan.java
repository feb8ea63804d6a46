package org.fssd.engine.onednn;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.batch_normalization_backward;
import org.bytedeco.dnnl.batch_normalization_forward;
import org.bytedeco.dnnl.concat;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.eltwise_backward;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_backward;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.resampling_backward;
import org.bytedeco.dnnl.resampling_forward;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.sum;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.FssdException;
import org.fssd.model.ConvSpec;
import org.fssd.model.ConvSpec.Group;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.Widths;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SPEC §6-7: the training computation of the FSSD network of a DL4J {@link ComputationGraph} —
 * forward pass in training mode and backward pass — compiled into a fixed sequence of oneDNN CPU
 * primitives for one batch size: the fast replacement of DL4J's own {@code fit} arithmetic.
 *
 * <pre>{@code
 * try (OneDnnTrainingPlan plan = OneDnnTrainingPlan.build(config, graph, 8)) {
 *   INDArray out = plan.forward(images);        // [B, P*4 + P*C]: loc then conf
 *   INDArray dOut = loss gradient of out;
 *   plan.backward(dOut, gradients);             // one entry per graph.paramTable() key
 *   // the caller's updater applies the gradients to the graph's parameters in place
 * }
 * }</pre>
 *
 * <p><b>What it computes.</b> Exactly what DL4J computes for the graph (the inference graph of
 * {@link FssdGraph} or the training graph built on it, whose loss input merges {@code loc} and
 * {@code conf}): convolutions ({@code forward_training}, dilation included) with their bias and
 * ReLU (a post-op, or an in-place eltwise where oneDNN does not fuse it; the backward ReLU reads
 * the ReLU's output), in the BN variant each block's BatchNorm with batch statistics and the ReLU
 * fused into it; max pools with their argmax workspace (geometry as the inference plan: the
 * ceil-mode pool as end-only padding); bilinear resizes ({@code resampling_linear}: half-pixel
 * centres, as {@code BilinearResizeVertex}); the fusion concat, whose gradient is split by channel
 * ranges; the optional fusion BN; and the heads, flattened per image in NHWC order level after
 * level (as {@code HeadFlattenVertex} and the merge vertices give them), loc before conf. Where an
 * activation feeds several layers (conv4_3, fc7, the pyramid maps) the gradients are summed. The
 * network has no L2Norm layer (FSSD normalises by the fusion BN, SPEC §2), so there is none here.
 *
 * <p><b>Gradients.</b> {@link #backward} gives, for every key of {@code graph.paramTable()}, the
 * value DL4J's {@code computeGradientAndScore()} puts in {@code graph.gradient()}: the raw gradient
 * of the weights, biases, gammas and betas (regularisation is the updater's work, as in DL4J), and
 * for the BN running mean and variance DL4J's "gradient" {@code (global - batch) * (1 - decay)}
 * (batch variance biased), which DL4J's no-op updater subtracts so that the running averages move
 * exactly as in DL4J's own training.
 *
 * <p><b>Memory and speed.</b> Primitives are created once, here. Activations and their gradients
 * stay in the layouts oneDNN prefers ({@code format_tag.any}); a re-order is added only where a
 * producer's layout differs from its consumer's. Every buffer (activations kept for the backward
 * pass, gradients, workspaces, re-ordered weights, scratchpads) is placed by liveness in one arena
 * ({@link ArenaPlanner}) allocated once. Each forward re-orders the weights from the graph's
 * parameter arrays (read in place: parameters may change between steps, not during one); gradients
 * of weights are re-ordered into the caller's plain arrays, those of biases, gammas and betas are
 * written there directly.
 *
 * <p>Precision FP32, or BF16 mixed precision (see {@link #build(FssdConfig, ComputationGraph, int,
 * PlanOptions)}). Not thread-safe: one thread at a time ({@link IllegalStateException} for a second
 * one at once). {@link #close()} frees all native memory; closing twice is harmless.
 */
public final class OneDnnTrainingPlan implements AutoCloseable {
  private final FssdConfig config;
  private final ComputationGraph graph;
  private final int batchSize;
  private final PlanOptions.Algorithm algorithm;
  private final PlanOptions.Precision precision;

  /** Data type of activations, their gradients and the weights the primitives read. */
  private final memory.data_type activationType;

  private final int rowLength;
  private final engine eng = OneDnnPlan.engine();
  private final List<Pointer> owned = new ArrayList<>();
  private final ArenaPlanner planner = new ArenaPlanner();
  private final Map<memory, ArenaPlanner.Buffer> arenaMemories = new IdentityHashMap<>();

  /** Sub-memories (views of a gradient) and the memory whose buffer they view. */
  private final Map<memory, memory> views = new IdentityHashMap<>();

  private final List<primitive> primitives = new ArrayList<>();
  private final List<IntMemoryMap> arguments = new ArrayList<>();
  private final List<String> layers = new ArrayList<>();
  private final List<Runnable> backwardBuilders = new ArrayList<>();

  /** Plain parameter memories, pointed at the graph's parameter arrays by each forward. */
  private final Map<String, memory> paramMemories = new LinkedHashMap<>();

  /** Re-ordered weights: parameter key and layout to memory. */
  private final Map<String, List<Act>> reorderedParams = new HashMap<>();

  /** Plain gradient memories, pointed at the caller's arrays by each backward. */
  private final Map<String, memory> gradientMemories = new LinkedHashMap<>();

  /**
   * The plan's own gradient arrays (used where the caller gives none, or one oneDNN cannot use).
   */
  private final Map<String, INDArray> ownGradients = new LinkedHashMap<>();

  private final List<BatchStats> batchStats = new ArrayList<>();

  /** Per-level views of the output gradient and where each starts in a row. */
  private final List<Long> outputViewOffsets = new ArrayList<>();

  private final List<memory> outputGradientViews = new ArrayList<>();
  private final INDArray output;
  private final INDArray inputCopy;
  private final INDArray outputGradientCopy;
  private int forwardSteps;
  private boolean forwardDone;
  private boolean closed;

  @SuppressWarnings("NullAway.Init") // set by compile()
  private stream strm;

  @SuppressWarnings("NullAway.Init") // set by compile()
  private memory input;

  @SuppressWarnings("NullAway.Init") // set by compile()
  private Arena arena;

  /** An activation: its memory and layout, its re-ordered copies, its gradient's parts. */
  private static final class Act {
    final memory mem;
    final memory.desc md;
    final long[] dims;
    final List<Act> copies = new ArrayList<>();
    final List<memory> gradientParts = new ArrayList<>();
    @Nullable memory gradient;

    Act(memory mem, memory.desc md, long[] dims) {
      this.mem = mem;
      this.md = md;
      this.dims = dims;
    }
  }

  /** A BN layer's batch statistics, for the running-average "gradients" of DL4J. */
  private static final class BatchStats {
    final String layer;
    final memory mean;
    final memory variance;
    final int channels;
    final float rate;

    BatchStats(String layer, memory mean, memory variance, int channels, double decay) {
      this.layer = layer;
      this.mean = mean;
      this.variance = variance;
      this.channels = channels;
      this.rate = (float) (1 - decay);
    }
  }

  /** A native address as a pointer (the memory belongs to an INDArray or the arena). */
  private static final class Address extends Pointer {
    Address(long address) {
      this.address = address;
    }
  }

  private OneDnnTrainingPlan(
      FssdConfig config, ComputationGraph graph, int batchSize, PlanOptions options) {
    this.config = config;
    this.algorithm = options.algorithm();
    this.precision = options.precision();
    this.activationType =
        precision == PlanOptions.Precision.BF16 ? memory.data_type.bf16 : memory.data_type.f32;
    this.graph = graph;
    this.batchSize = batchSize;
    this.rowLength = config.numPriors() * (4 + config.numClasses());
    int s = config.inputSize();
    this.output = Nd4j.create(DataType.FLOAT, batchSize, rowLength);
    this.outputGradientCopy = Nd4j.create(DataType.FLOAT, batchSize, rowLength);
    this.inputCopy = Nd4j.create(DataType.FLOAT, batchSize, 3, s, s);
  }

  /**
   * Compiles the training computation of {@code graph} (a DL4J ComputationGraph holding FssdGraph's
   * parameter names: the inference graph or TrainingGraph's training graph) for {@code config} and
   * a fixed batch size. Parameters are read from the graph's parameter arrays at every forward (the
   * caller updates them in place between steps).
   *
   * @throws FssdException when oneDNN refuses a layer or the graph does not match {@code config}
   */
  public static OneDnnTrainingPlan build(FssdConfig config, ComputationGraph graph, int batchSize) {
    return build(config, graph, batchSize, PlanOptions.Algorithm.AUTO);
  }

  /**
   * As {@link #build(FssdConfig, ComputationGraph, int)} with the convolution algorithm chosen:
   * {@link PlanOptions.Algorithm#AUTO} (the default) takes oneDNN's Winograd F(4x4, 3x3) kernels
   * (forward, input and weight gradients) for 3x3 stride-1 undilated convolutions on maps of at
   * least {@value OneDnnPlan#WINOGRAD_MIN_SIZE} px, as the inference plan does, direct elsewhere;
   * {@link PlanOptions.Algorithm#WINOGRAD} wherever oneDNN offers it; {@link
   * PlanOptions.Algorithm#DIRECT} never. Winograd is ~3x faster on FSSD300's large maps, at the
   * price of more fp32 rounding in the weight gradients of those layers (still less than DL4J's own
   * fp32 path, measured against fp64, see the tests).
   */
  public static OneDnnTrainingPlan build(
      FssdConfig config, ComputationGraph graph, int batchSize, PlanOptions.Algorithm algorithm) {
    checkNotNull(algorithm, "algorithm");
    return build(config, graph, batchSize, PlanOptions.builder().algorithm(algorithm).build());
  }

  /**
   * As {@link #build(FssdConfig, ComputationGraph, int, PlanOptions.Algorithm)} with the precision
   * chosen too. {@link PlanOptions.Precision#BF16} is mixed-precision training: the weights are
   * rounded to bfloat16 copies at every forward (the graph's fp32 arrays stay the master weights
   * the updater changes), activations and their gradients are bfloat16, while convolutions
   * accumulate in fp32, biases, BN parameters and batch statistics stay fp32, and every parameter
   * gradient is produced in fp32; the head outputs and their gradient are fp32, so the loss is
   * computed as in FP32 training. About 1e-2 relative error per step, like the BF16 inference plan.
   *
   * @throws IllegalArgumentException for {@link PlanOptions.Precision#INT8} (inference only)
   * @throws UnsupportedOperationException for BF16 on a CPU without AVX512_BF16 ({@link
   *     OneDnnPlan#cpuHasBf16()})
   */
  public static OneDnnTrainingPlan build(
      FssdConfig config, ComputationGraph graph, int batchSize, PlanOptions options) {
    checkNotNull(config, "config");
    checkNotNull(options, "options");
    checkNotNull(graph, "graph");
    checkArgument(batchSize >= 1, "batchSize must be >= 1, got %s", batchSize);
    checkArgument(
        options.precision() != PlanOptions.Precision.INT8,
        "the training plan computes in FP32 or BF16, not INT8 (quantise a trained model instead)");
    if (options.precision() == PlanOptions.Precision.BF16) {
      OneDnnPlan.requireBf16("BF16 training");
    }
    OneDnnTrainingPlan plan = new OneDnnTrainingPlan(config, graph, batchSize, options);
    try (PointerScope scope = new PointerScope()) {
      plan.compile();
    } catch (RuntimeException | Error e) {
      plan.close();
      throw e;
    }
    return plan;
  }

  /** The batch size the plan was compiled for. */
  public int batchSize() {
    return batchSize;
  }

  /** The precision of the plan's activations and weight copies (FP32 or BF16). */
  public PlanOptions.Precision precision() {
    return precision;
  }

  /** Bytes of the plan's arena (activations, gradients, workspaces, weights, scratchpads). */
  public long arenaBytes() {
    return arena.bytes();
  }

  /** One line per step: the layer and oneDNN's implementation. For logs and tests. */
  public List<String> describe() {
    return java.util.Collections.unmodifiableList(layers);
  }

  /**
   * Training-mode forward of images [B,3,H,W] (NCHW float, already preprocessed). BN uses batch
   * statistics. Returns [B, P*4 + P*C], identical in layout to TrainingGraph.LOSS_INPUT (loc then
   * conf, as the merge vertex gives them). The returned array may be reused by the next call.
   *
   * @throws IllegalArgumentException when {@code images} has another shape
   * @throws IllegalStateException after {@link #close()}
   */
  public INDArray forward(INDArray images) {
    checkState(!closed, "forward() on a closed OneDnnTrainingPlan");
    checkNotNull(images, "images");
    int s = config.inputSize();
    long[] expected = {batchSize, 3, s, s};
    checkArgument(
        Arrays.equals(images.shape(), expected),
        "images have shape %s, the plan expects %s",
        Arrays.toString(images.shape()),
        Arrays.toString(expected));
    INDArray in = images;
    if (!OneDnnWeights.isDirect(in)) {
      inputCopy.assign(in);
      in = inputCopy;
    }
    input.set_data_handle(address(in, 0));
    for (Map.Entry<String, memory> e : paramMemories.entrySet()) {
      INDArray p = graph.getParam(e.getKey());
      if (!OneDnnWeights.isDirect(p)) {
        throw new FssdException(
            "parameter " + e.getKey() + " is not a contiguous float array; the plan reads it");
      }
      e.getValue().set_data_handle(address(p, 0));
    }
    run(0, forwardSteps);
    forwardDone = true;
    return output;
  }

  /**
   * Backward of the last forward from dLoss/dOutput [B, P*4 + P*C]. Writes (overwrites) into {@code
   * gradients} one entry for EVERY key of graph.paramTable() ("layer_param" keys, same shapes),
   * with the same values DL4J's computeGradientAndScore() would put in graph.gradient() for that
   * key — including DL4J's convention for the BN running mean/var entries, so that DL4J's updater
   * step then updates the running averages exactly like the DL4J path.
   *
   * <p>An array already in {@code gradients} under a key, of the parameter's shape, is written in
   * place; otherwise the entry is set to an array of the plan's own, overwritten by the next call.
   * The graph's parameters must not change between the forward and this call.
   *
   * @throws IllegalStateException without a forward before, or after {@link #close()}
   */
  public void backward(INDArray outputGradient, Map<String, INDArray> gradients) {
    checkState(!closed, "backward() on a closed OneDnnTrainingPlan");
    checkState(forwardDone, "backward() without a forward() before it");
    checkNotNull(gradients, "gradients");
    checkArgument(
        Arrays.equals(outputGradient.shape(), output.shape()),
        "outputGradient has shape %s, expected %s",
        Arrays.toString(outputGradient.shape()),
        Arrays.toString(output.shape()));
    INDArray g = outputGradient;
    if (!OneDnnWeights.isDirect(g)) {
      outputGradientCopy.assign(g);
      g = outputGradientCopy;
    }
    for (int i = 0; i < outputGradientViews.size(); i++) {
      outputGradientViews.get(i).set_data_handle(address(g, outputViewOffsets.get(i)));
    }
    Map<String, INDArray> targets = new HashMap<>();
    for (Map.Entry<String, INDArray> e : ownGradients.entrySet()) {
      INDArray own = e.getValue();
      INDArray given = gradients.get(e.getKey());
      INDArray target = given != null && Arrays.equals(given.shape(), own.shape()) ? given : own;
      memory m = gradientMemories.get(e.getKey());
      if (m != null) {
        m.set_data_handle(address(OneDnnWeights.isDirect(target) ? target : own, 0));
      }
      targets.put(e.getKey(), target);
    }
    run(forwardSteps, primitives.size());
    runningStatistics(targets);
    for (Map.Entry<String, INDArray> e : targets.entrySet()) {
      INDArray target = e.getValue();
      if (gradientMemories.containsKey(e.getKey()) && !OneDnnWeights.isDirect(target)) {
        target.assign(ownGradients.get(e.getKey()));
      }
      gradients.put(e.getKey(), target);
    }
  }

  /** Runs steps {@code from} (inclusive) to {@code to} (exclusive) and waits for them. */
  private void run(int from, int to) {
    arena.acquire();
    try {
      for (int i = from; i < to; i++) {
        primitives.get(i).execute(strm, arguments.get(i));
      }
      strm._wait();
    } finally {
      arena.release();
    }
  }

  /** DL4J's running mean / variance "gradients": {@code (global - batch) * (1 - decay)}. */
  private void runningStatistics(Map<String, INDArray> targets) {
    for (BatchStats s : batchStats) {
      writeRunning(s, s.mean, s.layer + "_mean", targets);
      writeRunning(s, s.variance, s.layer + "_var", targets);
    }
  }

  private void writeRunning(BatchStats s, memory batch, String key, Map<String, INDArray> targets) {
    float[] b = new float[s.channels];
    new FloatPointer(batch.get_data_handle()).get(b);
    float[] global = OneDnnPlan.floats(graph.getParam(key));
    for (int i = 0; i < b.length; i++) {
      b[i] = (global[i] - b[i]) * s.rate;
    }
    INDArray target = checkNotNull(targets.get(key), key);
    if (OneDnnWeights.isDirect(target)) {
      new FloatPointer(address(target, 0)).put(b);
    } else {
      target.assign(Nd4j.createFromArray(b).reshape(target.shape()));
    }
  }

  /** Frees all native memory of the plan; further calls do nothing. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      OneDnnPlan.releaseAll(owned);
      primitives.clear();
      arguments.clear();
      if (arena != null) {
        arena.close();
      }
    }
  }

  @Override
  public String toString() {
    return "OneDnnTrainingPlan{"
        + config
        + ", batch "
        + batchSize
        + ", "
        + precision
        + (closed ? ", closed}" : "}");
  }

  // ---------------------------------------------------------------------------------------------
  // Compilation

  private void compile() {
    strm = keep(new stream(eng));
    int s = config.inputSize();
    long[] inputDims = {batchSize, 3, s, s};
    memory.desc inputMd = plain(inputDims, memory.format_tag.nchw);
    input = keep(new memory(inputMd, eng, (Pointer) null));
    Act x = new Act(input, inputMd, inputDims);

    List<ConvSpec> convs = config.convs();
    Act source1 = null;
    ConvSpec previous = null;
    for (int i = 0; i < convs.size() && convs.get(i).group() == Group.BASE; i++) {
      ConvSpec c = convs.get(i);
      if (previous != null) {
        OneDnnPlan.Pool pool = OneDnnPlan.pool(graph, previous, c);
        if (pool != null) {
          x = pool(pool, x, c.inSize());
        }
      }
      x = block(c, x, previous != null);
      if (i == Widths.CONV4_3) {
        source1 = x;
      }
      previous = c;
    }
    Act source2 = x;
    for (int i = 0; i < 4; i++) {
      x = block(config.conv(Group.EXTRAS, i), x, true);
    }
    Act[] sources = {checkNotNull(source1, "conv4_3"), source2, x};
    Act[] fused = new Act[3];
    for (int i = 0; i < 3; i++) {
      ConvSpec c = config.conv(Group.FUSION, i);
      fused[i] = block(c, sources[i], true);
      if (c.outSize() != config.fusionSize()) {
        fused[i] = resize(c.name() + ".up", fused[i], config.fusionSize());
      }
    }
    x = concat(fused);
    if (config.fusionBatchNorm()) {
      x = batchNorm(FssdGraph.CONCAT_BN, x, false);
    }
    int levels = config.widths().levels();
    Act[] pyramid = new Act[levels];
    for (int i = 0; i < levels; i++) {
      x = block(config.conv(Group.PYRAMID, i), x, true);
      pyramid[i] = x;
    }
    long locEnd = heads(Group.LOC, pyramid, 0, 4);
    long confEnd = heads(Group.CONF, pyramid, locEnd, config.numClasses());
    if (confEnd != rowLength) {
      throw new FssdException("the heads give " + confEnd + " values per image, not " + rowLength);
    }
    forwardSteps = primitives.size();
    for (int i = backwardBuilders.size() - 1; i >= 0; i--) {
      backwardBuilders.get(i).run();
    }
    checkCovers();
    arena = Arena.allocate(ArenaPlanner.align(planner.place()));
    for (Map.Entry<memory, ArenaPlanner.Buffer> e : arenaMemories.entrySet()) {
      e.getKey().set_data_handle(arena.at(e.getValue().offset()));
    }
    for (Map.Entry<memory, memory> e : views.entrySet()) {
      e.getKey().set_data_handle(e.getValue().get_data_handle());
    }
  }

  /** Checks that the plan gives a gradient for every parameter of the graph. */
  private void checkCovers() {
    for (Map.Entry<String, INDArray> e : graph.paramTable().entrySet()) {
      if (!ownGradients.containsKey(e.getKey())) {
        throw new FssdException(
            "the oneDNN training plan has no gradient for parameter "
                + e.getKey()
                + ": the graph is not the FSSD network of "
                + config);
      }
    }
  }

  /** A convolution block: conv + bias + ReLU, or conv + BN + ReLU; heads without ReLU. */
  private Act block(ConvSpec c, Act x, boolean gradientOfInput) {
    if (config.batchNorm() && !c.isHead()) {
      Act z = conv(c, c.name() + ".conv", x, false, false, gradientOfInput);
      return batchNorm(c.name() + ".bn", z, true);
    }
    return conv(c, c.name(), x, true, !c.isHead(), gradientOfInput);
  }

  private long heads(Group head, Act[] pyramid, long start, int perPrior) {
    long offset = start;
    for (int i = 0; i < pyramid.length; i++) {
      ConvSpec c = config.conv(head, i);
      Act y = block(c, pyramid[i], true);
      offset = headOutput(c, y, offset);
    }
    if ((offset - start) != (long) config.numPriors() * perPrior) {
      throw new FssdException(
          "the "
              + head.prefix()
              + " heads give "
              + (offset - start)
              + " values per image, not "
              + config.numPriors()
              + " x "
              + perPrior);
    }
    return offset;
  }

  /**
   * Re-orders head output {@code y} into the output rows at {@code offset} (NHWC within each image,
   * as {@code HeadFlattenVertex}); its gradient comes from the same place of the output gradient.
   * Returns the offset after it.
   */
  private long headOutput(ConvSpec c, Act y, long offset) {
    long k = c.out();
    long h = c.outSize();
    memory.desc view =
        new memory.desc(y.dims, memory.data_type.f32, new long[] {rowLength, 1, h * k, k});
    memory out = keep(new memory(view, eng, address(output, offset)));
    addReorder(c.name() + ".flat", y.mem, out);
    memory gradientView = keep(new memory(view, eng, (Pointer) null));
    outputGradientViews.add(gradientView);
    outputViewOffsets.add(offset);
    backwardBuilders.add(
        () -> {
          memory dy = buffer(y.md);
          addReorder(c.name() + ".flat backward", gradientView, dy);
          y.gradientParts.add(dy);
        });
    return offset + k * h * h;
  }

  private Act conv(
      ConvSpec c, String layer, Act x, boolean hasBias, boolean relu, boolean gradientOfInput) {
    long k = c.kernel();
    long[] strides = {c.stride(), c.stride()};
    long[] dilates = {c.dilation() - 1, c.dilation() - 1}; // oneDNN counts dilation from 0
    long[] padding = {c.padding(), c.padding()};
    long[] wDims = {c.out(), c.in(), k, k};
    long[] dstDims = {batchSize, c.out(), c.outSize(), c.outSize()};
    memory.desc srcAny = any(x.dims);
    memory.desc wAny = any(wDims);
    // weight gradients stay fp32 in either precision: the updater adds them to fp32 weights
    memory.desc dwAny = new memory.desc(wDims, memory.data_type.f32, memory.format_tag.any);
    memory.desc dstAny = any(dstDims);
    memory.desc biasMd = plain(new long[] {c.out()}, memory.format_tag.x);
    memory.desc wPlain = plain(wDims, memory.format_tag.oihw);
    String wKey = layer + "_W";
    String bKey = layer + "_b";
    if (!graph.paramTable().containsKey(wKey) || graph.getParam(wKey).length() != c.weightCount()) {
      throw new FssdException("the graph has no parameter " + wKey + " for " + c);
    }
    if (hasBias != graph.paramTable().containsKey(bKey)) {
      throw new FssdException(
          "the graph's " + layer + (hasBias ? " has no bias" : " has a bias") + " (" + c + ")");
    }
    convolution_forward.primitive_desc fpd = null;
    boolean fused = false;
    dnnl.algorithm algorithm = dnnl.algorithm.convolution_direct;
    memory.@Nullable desc biasOrNull = hasBias ? biasMd : null;
    for (dnnl.algorithm alg : algorithms(c)) {
      if (relu) {
        primitive_attr attr = userScratchpad();
        post_ops ops = new post_ops();
        ops.append_eltwise(1f, dnnl.algorithm.eltwise_relu, 0f, 0f);
        attr.set_post_ops(ops);
        fpd = convForward(c, alg, srcAny, wAny, biasOrNull, dstAny, attr);
        fused = fpd != null;
      }
      if (fpd == null) {
        // oneDNN does not fuse ReLU here: a separate in-place step below
        fpd = convForward(c, alg, srcAny, wAny, biasOrNull, dstAny, userScratchpad());
      }
      if (fpd != null) {
        algorithm = alg;
        break;
      }
    }
    if (fpd == null) {
      throw new FssdException("oneDNN refused convolution " + c + " for training");
    }
    final convolution_forward.primitive_desc hint = fpd;
    final dnnl.algorithm chosen = algorithm;
    memory src = as(layer, x, fpd.src_desc());
    memory w = param(wKey, wPlain, fpd.weights_desc());
    memory.desc dstMd = fpd.dst_desc();
    memory dst = buffer(dstMd);
    IntMemoryMap args = keep(new IntMemoryMap());
    arg(args, dnnl.DNNL_ARG_SRC, src);
    arg(args, dnnl.DNNL_ARG_WEIGHTS, w);
    if (hasBias) {
      arg(args, dnnl.DNNL_ARG_BIAS, param(bKey, biasMd, biasMd));
    }
    arg(args, dnnl.DNNL_ARG_DST, dst);
    step(new convolution_forward(fpd), fpd, args, layer + ": conv" + (fused ? " +relu" : ""));
    if (relu && !fused) {
      eltwise_forward.primitive_desc rpd =
          new eltwise_forward.primitive_desc(reluDesc(dstMd), userScratchpad(), eng);
      IntMemoryMap rargs = keep(new IntMemoryMap());
      arg(rargs, dnnl.DNNL_ARG_SRC, dst);
      arg(rargs, dnnl.DNNL_ARG_DST, dst);
      step(new eltwise_forward(rpd), rpd, rargs, layer + ": relu");
    }
    Act y = new Act(dst, dstMd, dstDims);
    gradient(wKey, wDims);
    if (hasBias) {
      gradient(bKey, new long[] {c.out()});
    }
    backwardBuilders.add(
        () -> {
          memory dy = gradientOf(y);
          memory.desc dyMd = y.md;
          if (relu) {
            eltwise_backward.primitive_desc bpd =
                new eltwise_backward.primitive_desc(
                    new eltwise_backward.desc(
                        dnnl.algorithm.eltwise_relu_use_dst_for_bwd, y.md, y.md, 0f, 0f),
                    userScratchpad(),
                    eng,
                    new eltwise_forward.primitive_desc(reluDesc(y.md), eng));
            dyMd = bpd.diff_src_desc();
            memory dz = buffer(dyMd);
            IntMemoryMap bargs = keep(new IntMemoryMap());
            arg(bargs, dnnl.DNNL_ARG_DST, y.mem);
            arg(bargs, dnnl.DNNL_ARG_DIFF_DST, dy);
            arg(bargs, dnnl.DNNL_ARG_DIFF_SRC, dz);
            step(new eltwise_backward(bpd), bpd, bargs, layer + ": relu backward");
            dy = dz;
          }
          convolution_backward_weights.primitive_desc wpd =
              firstAccepted(
                  chosen,
                  "the weight gradient of " + c,
                  alg ->
                      new convolution_backward_weights.primitive_desc(
                          hasBias
                              ? new convolution_backward_weights.desc(
                                  alg, srcAny, dwAny, biasMd, dstAny, strides, dilates, padding,
                                  padding)
                              : new convolution_backward_weights.desc(
                                  alg, srcAny, dwAny, dstAny, strides, dilates, padding, padding),
                          userScratchpad(),
                          eng,
                          hint));
          memory dyW = convert(layer, dy, dyMd, wpd.diff_dst_desc());
          memory.desc dwMd = wpd.diff_weights_desc();
          memory dwPlain = gradientMemory(wKey, wPlain);
          memory dw = dwMd.equals(wPlain) ? dwPlain : buffer(dwMd);
          IntMemoryMap wargs = keep(new IntMemoryMap());
          arg(wargs, dnnl.DNNL_ARG_SRC, as(layer, x, wpd.src_desc()));
          arg(wargs, dnnl.DNNL_ARG_DIFF_DST, dyW);
          arg(wargs, dnnl.DNNL_ARG_DIFF_WEIGHTS, dw);
          if (hasBias) {
            arg(wargs, dnnl.DNNL_ARG_DIFF_BIAS, gradientMemory(bKey, biasMd));
          }
          step(
              new convolution_backward_weights(wpd), wpd, wargs, layer + ": conv backward weights");
          if (dw != dwPlain) {
            addReorder(wKey + " gradient", dw, dwPlain);
          }
          if (gradientOfInput) {
            convolution_backward_data.primitive_desc dpd =
                firstAccepted(
                    chosen,
                    "the input gradient of " + c,
                    alg ->
                        new convolution_backward_data.primitive_desc(
                            new convolution_backward_data.desc(
                                alg, srcAny, wAny, dstAny, strides, dilates, padding, padding),
                            userScratchpad(),
                            eng,
                            hint));
            memory dyD = convert(layer, dy, dyMd, dpd.diff_dst_desc());
            memory wD = param(wKey, wPlain, dpd.weights_desc());
            memory dx = buffer(dpd.diff_src_desc());
            IntMemoryMap dargs = keep(new IntMemoryMap());
            arg(dargs, dnnl.DNNL_ARG_DIFF_DST, dyD);
            arg(dargs, dnnl.DNNL_ARG_WEIGHTS, wD);
            arg(dargs, dnnl.DNNL_ARG_DIFF_SRC, dx);
            step(new convolution_backward_data(dpd), dpd, dargs, layer + ": conv backward data");
            addGradient(x, dx, dpd.diff_src_desc(), layer);
          }
        });
    return y;
  }

  private static eltwise_forward.desc reluDesc(memory.desc md) {
    return new eltwise_forward.desc(
        dnnl.prop_kind.forward_training, dnnl.algorithm.eltwise_relu_use_dst_for_bwd, md, 0f, 0f);
  }

  /**
   * The algorithms to try for {@code c}, best first (see {@link #build(FssdConfig,
   * ComputationGraph, int, PlanOptions.Algorithm)}).
   */
  private List<dnnl.algorithm> algorithms(ConvSpec c) {
    boolean shape = c.kernel() == 3 && c.stride() == 1 && c.dilation() == 1;
    boolean winograd =
        shape
            && (algorithm == PlanOptions.Algorithm.WINOGRAD
                || algorithm == PlanOptions.Algorithm.AUTO
                    && c.outSize() >= OneDnnPlan.WINOGRAD_MIN_SIZE);
    return winograd
        ? List.of(dnnl.algorithm.convolution_winograd, dnnl.algorithm.convolution_direct)
        : List.of(dnnl.algorithm.convolution_direct);
  }

  /**
   * The backward primitive made by {@code make} with the forward's algorithm, or direct where
   * oneDNN refuses Winograd for it.
   */
  private static <T> T firstAccepted(
      dnnl.algorithm forward, String what, java.util.function.Function<dnnl.algorithm, T> make) {
    if (forward == dnnl.algorithm.convolution_winograd) {
      try {
        return make.apply(forward);
      } catch (RuntimeException e) {
        // Winograd refused for this direction: direct below
      }
    }
    try {
      return make.apply(dnnl.algorithm.convolution_direct);
    } catch (RuntimeException e) {
      throw new FssdException("oneDNN refused " + what + ": " + e.getMessage(), e);
    }
  }

  /**
   * The forward primitive of {@code c} with {@code algorithm}, or null when oneDNN refuses it (or
   * offers only its reference code for Winograd).
   */
  private convolution_forward.@Nullable primitive_desc convForward(
      ConvSpec c,
      dnnl.algorithm algorithm,
      memory.desc src,
      memory.desc weights,
      memory.@Nullable desc bias,
      memory.desc dst,
      primitive_attr attr) {
    long[] strides = {c.stride(), c.stride()};
    long[] dilates = {c.dilation() - 1, c.dilation() - 1};
    long[] padding = {c.padding(), c.padding()};
    convolution_forward.desc desc =
        bias != null
            ? new convolution_forward.desc(
                dnnl.prop_kind.forward_training,
                algorithm,
                src,
                weights,
                bias,
                dst,
                strides,
                dilates,
                padding,
                padding)
            : new convolution_forward.desc(
                dnnl.prop_kind.forward_training,
                algorithm,
                src,
                weights,
                dst,
                strides,
                dilates,
                padding,
                padding);
    try {
      return new convolution_forward.primitive_desc(desc, attr, eng);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Training BatchNorm of layer {@code name} on {@code x} (batch statistics), ReLU fused. */
  private Act batchNorm(String name, Act x, boolean relu) {
    if (graph.getVertex(name) == null || !graph.getVertex(name).hasLayer()) {
      throw new FssdException("the graph has no BatchNorm layer " + name);
    }
    if (!(graph.getLayer(name).conf().getLayer() instanceof BatchNormalization conf)) {
      throw new FssdException("layer " + name + " is not a BatchNorm layer");
    }
    if (conf.isLockGammaBeta() || conf.isUseLogStd() || !conf.isMinibatch()) {
      throw new FssdException(
          "BatchNorm "
              + name
              + ": the training plan supports learned gamma/beta, variance parameters and"
              + " minibatch statistics only");
    }
    int channels = (int) x.dims[1];
    float eps = (float) conf.getEps();
    int flags =
        dnnl.normalization_flags.use_scale.value
            | dnnl.normalization_flags.use_shift.value
            | (relu ? dnnl.normalization_flags.fuse_norm_relu.value : 0);
    batch_normalization_forward.primitive_desc fpd =
        new batch_normalization_forward.primitive_desc(
            new batch_normalization_forward.desc(
                dnnl.prop_kind.forward_training.value, x.md, eps, flags),
            userScratchpad(),
            eng);
    long[] cDims = {channels};
    memory.desc vector = plain(cDims, memory.format_tag.x);
    memory gamma = param(name + "_gamma", vector, vector);
    memory beta = param(name + "_beta", vector, vector);
    // outside the arena: read by Java after the backward pass
    memory mean = keep(new memory(fpd.mean_desc(), eng));
    memory variance = keep(new memory(fpd.variance_desc(), eng));
    memory.desc dstMd = fpd.dst_desc();
    memory dst = buffer(dstMd);
    memory workspace = relu ? buffer(fpd.workspace_desc()) : null;
    // the arguments both directions read: source, gamma, beta, batch statistics, ReLU mask
    memory[] shared = {x.mem, gamma, beta, mean, variance, workspace};
    IntMemoryMap args = batchNormArgs(shared);
    arg(args, dnnl.DNNL_ARG_DST, dst);
    step(
        new batch_normalization_forward(fpd),
        fpd,
        args,
        name + ": batch norm" + (relu ? " +relu" : ""));
    Act y = new Act(dst, dstMd, x.dims);
    gradient(name + "_gamma", new long[] {1, channels});
    gradient(name + "_beta", new long[] {1, channels});
    gradient(name + "_mean", new long[] {1, channels});
    gradient(name + "_var", new long[] {1, channels});
    batchStats.add(new BatchStats(name, mean, variance, channels, conf.getDecay()));
    backwardBuilders.add(
        () -> {
          batch_normalization_backward.primitive_desc bpd =
              new batch_normalization_backward.primitive_desc(
                  new batch_normalization_backward.desc(
                      dnnl.prop_kind.backward.value, y.md, x.md, eps, flags),
                  userScratchpad(),
                  eng,
                  fpd);
          memory dy = convert(name, gradientOf(y), y.md, bpd.diff_dst_desc());
          memory dx = buffer(bpd.diff_src_desc());
          IntMemoryMap bargs = batchNormArgs(shared);
          arg(bargs, dnnl.DNNL_ARG_DIFF_DST, dy);
          arg(bargs, dnnl.DNNL_ARG_DIFF_SRC, dx);
          arg(bargs, dnnl.DNNL_ARG_DIFF_SCALE, gradientMemory(name + "_gamma", vector));
          arg(bargs, dnnl.DNNL_ARG_DIFF_SHIFT, gradientMemory(name + "_beta", vector));
          step(new batch_normalization_backward(bpd), bpd, bargs, name + ": batch norm backward");
          addGradient(x, dx, bpd.diff_src_desc(), name);
        });
    return y;
  }

  /**
   * The next step's arguments SRC, SCALE, SHIFT, MEAN, VARIANCE and WORKSPACE (when not null), in
   * that order in {@code m}.
   */
  private IntMemoryMap batchNormArgs(@Nullable memory[] m) {
    int[] keys = {
      dnnl.DNNL_ARG_SRC,
      dnnl.DNNL_ARG_SCALE,
      dnnl.DNNL_ARG_SHIFT,
      dnnl.DNNL_ARG_MEAN,
      dnnl.DNNL_ARG_VARIANCE,
      dnnl.DNNL_ARG_WORKSPACE
    };
    IntMemoryMap args = keep(new IntMemoryMap());
    for (int i = 0; i < keys.length; i++) {
      memory v = m[i];
      if (v != null) {
        arg(args, keys[i], v);
      }
    }
    return args;
  }

  private Act pool(OneDnnPlan.Pool p, Act x, int out) {
    long[] dstDims = {batchSize, x.dims[1], out, out};
    long[] strides = {p.stride(), p.stride()};
    long[] kernel = {p.kernel(), p.kernel()};
    long[] padL = {p.padL(), p.padL()};
    long[] padR = {p.padR(), p.padR()};
    pooling_forward.primitive_desc fpd =
        new pooling_forward.primitive_desc(
            new pooling_forward.desc(
                dnnl.prop_kind.forward_training,
                dnnl.algorithm.pooling_max,
                x.md,
                any(dstDims),
                strides,
                kernel,
                padL,
                padR),
            userScratchpad(),
            eng);
    memory.desc dstMd = fpd.dst_desc();
    memory dst = buffer(dstMd);
    memory workspace = buffer(fpd.workspace_desc());
    IntMemoryMap args = keep(new IntMemoryMap());
    arg(args, dnnl.DNNL_ARG_SRC, x.mem);
    arg(args, dnnl.DNNL_ARG_DST, dst);
    arg(args, dnnl.DNNL_ARG_WORKSPACE, workspace);
    step(new pooling_forward(fpd), fpd, args, p.name() + ": max pool");
    Act y = new Act(dst, dstMd, dstDims);
    backwardBuilders.add(
        () -> {
          pooling_backward.primitive_desc bpd =
              new pooling_backward.primitive_desc(
                  new pooling_backward.desc(
                      dnnl.algorithm.pooling_max, any(x.dims), y.md, strides, kernel, padL, padR),
                  userScratchpad(),
                  eng,
                  fpd);
          backwardStep(
              p.name(),
              x,
              y,
              bpd.diff_dst_desc(),
              bpd.diff_src_desc(),
              workspace,
              bpd,
              new pooling_backward(bpd));
        });
    return y;
  }

  private Act resize(String name, Act x, int size) {
    long[] dstDims = {batchSize, x.dims[1], size, size};
    resampling_forward.primitive_desc fpd =
        new resampling_forward.primitive_desc(
            new resampling_forward.desc(
                dnnl.prop_kind.forward_training,
                dnnl.algorithm.resampling_linear,
                x.md,
                any(dstDims)),
            userScratchpad(),
            eng);
    memory.desc dstMd = fpd.dst_desc();
    memory dst = buffer(dstMd);
    IntMemoryMap args = keep(new IntMemoryMap());
    arg(args, dnnl.DNNL_ARG_SRC, x.mem);
    arg(args, dnnl.DNNL_ARG_DST, dst);
    step(new resampling_forward(fpd), fpd, args, name + ": bilinear -> " + size);
    Act y = new Act(dst, dstMd, dstDims);
    backwardBuilders.add(
        () -> {
          resampling_backward.primitive_desc bpd =
              new resampling_backward.primitive_desc(
                  new resampling_backward.desc(dnnl.algorithm.resampling_linear, any(x.dims), y.md),
                  userScratchpad(),
                  eng,
                  fpd);
          backwardStep(
              name,
              x,
              y,
              bpd.diff_dst_desc(),
              bpd.diff_src_desc(),
              null,
              bpd,
              new resampling_backward(bpd));
        });
    return y;
  }

  /**
   * A backward step reading the gradient of {@code y} (and a workspace) and adding its result to
   * the gradient of {@code x}.
   */
  private void backwardStep(
      String name,
      Act x,
      Act y,
      memory.desc diffDst,
      memory.desc diffSrc,
      @Nullable memory workspace,
      org.bytedeco.dnnl.primitive_desc_base pd,
      primitive p) {
    memory dy = convert(name, gradientOf(y), y.md, diffDst);
    memory dx = buffer(diffSrc);
    IntMemoryMap args = keep(new IntMemoryMap());
    arg(args, dnnl.DNNL_ARG_DIFF_DST, dy);
    if (workspace != null) {
      arg(args, dnnl.DNNL_ARG_WORKSPACE, workspace);
    }
    arg(args, dnnl.DNNL_ARG_DIFF_SRC, dx);
    step(p, pd, args, name + ": backward");
    addGradient(x, dx, diffSrc, name);
  }

  private Act concat(Act[] parts) {
    List<memory.desc> mds = new ArrayList<>();
    List<memory> sources = new ArrayList<>();
    long channels = 0;
    for (Act part : parts) {
      mds.add(part.md);
      sources.add(part.mem);
      channels += part.dims[1];
    }
    concat.primitive_desc pd =
        new concat.primitive_desc(1, OneDnnPlan.descArray(mds), eng, userScratchpad());
    memory.desc dstMd = pd.dst_desc();
    memory dst = buffer(dstMd);
    step(new concat(pd), pd, sourcesArgs(sources, dst), FssdGraph.CONCAT + ": concat");
    long[] dims = parts[0].dims.clone();
    dims[1] = channels;
    Act y = new Act(dst, dstMd, dims);
    backwardBuilders.add(
        () -> {
          memory dy = gradientOf(y);
          memory.desc whole = y.md;
          if (!splits(whole, parts)) {
            // blocked layouts split only at block boundaries: split a plain copy
            whole = new memory.desc(dims, activationType, memory.format_tag.nchw);
            memory copy = buffer(whole);
            addReorder(FssdGraph.CONCAT + " gradient", dy, copy);
            dy = copy;
          }
          long offset = 0;
          for (Act part : parts) {
            long[] partDims = part.dims;
            memory.desc sub = whole.submemory_desc(partDims, new long[] {0, offset, 0, 0});
            memory view = keep(new memory(sub, eng, (Pointer) null));
            views.put(view, dy);
            memory dx = buffer(part.md);
            keepLive(dy); // read through the view by the next step
            addReorder(FssdGraph.CONCAT + " gradient split", view, dx);
            addGradient(part, dx, part.md, FssdGraph.CONCAT);
            offset += partDims[1];
          }
        });
    return y;
  }

  /** The next step's arguments of a concat or sum: {@code sources} in order, then {@code dst}. */
  private IntMemoryMap sourcesArgs(List<memory> sources, memory dst) {
    IntMemoryMap args = keep(new IntMemoryMap());
    for (int i = 0; i < sources.size(); i++) {
      arg(args, dnnl.DNNL_ARG_MULTIPLE_SRC + i, sources.get(i));
    }
    arg(args, dnnl.DNNL_ARG_DST, dst);
    return args;
  }

  /** Whether oneDNN can take every part of a concat out of layout {@code md} as a view. */
  private static boolean splits(memory.desc md, Act[] parts) {
    long offset = 0;
    try {
      for (Act part : parts) {
        md.submemory_desc(part.dims, new long[] {0, offset, 0, 0});
        offset += part.dims[1];
      }
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Buffers, parameters and gradients

  /** The gradient of {@code x}: its one part, or the sum of its parts (one per consumer). */
  private memory gradientOf(Act x) {
    if (x.gradient != null) {
      return x.gradient;
    }
    checkState(!x.gradientParts.isEmpty(), "no gradient reaches an activation");
    memory g;
    if (x.gradientParts.size() == 1) {
      g = x.gradientParts.get(0);
    } else {
      int n = x.gradientParts.size();
      float[] scales = new float[n];
      Arrays.fill(scales, 1f);
      sum.primitive_desc pd =
          new sum.primitive_desc(
              x.md,
              scales,
              OneDnnPlan.descArray(java.util.Collections.nCopies(n, x.md)),
              eng,
              userScratchpad());
      g = buffer(x.md);
      step(new sum(pd), pd, sourcesArgs(x.gradientParts, g), "gradient sum of " + n);
    }
    x.gradient = g;
    return g;
  }

  /** Adds {@code dx} (layout {@code md}) to the gradient parts of {@code x}, in x's layout. */
  private void addGradient(Act x, memory dx, memory.desc md, String name) {
    x.gradientParts.add(convert(name, dx, md, x.md));
  }

  /** {@code m} (layout {@code md}) in layout {@code wanted}: itself or a re-ordered copy. */
  private memory convert(String name, memory m, memory.desc md, memory.desc wanted) {
    if (md.equals(wanted)) {
      return m;
    }
    memory copy = buffer(wanted);
    addReorder(name + " gradient", m, copy);
    return copy;
  }

  /** {@code x} in layout {@code md}: itself, or a re-ordered copy (made once per layout). */
  private memory as(String consumer, Act x, memory.desc md) {
    if (x.md.equals(md)) {
      return x.mem;
    }
    for (Act copy : x.copies) {
      if (copy.md.equals(md)) {
        return copy.mem;
      }
    }
    memory copy = buffer(md);
    addReorder(consumer + " input", x.mem, copy);
    x.copies.add(new Act(copy, md, x.dims));
    return copy;
  }

  /**
   * Parameter {@code key} in layout {@code md}: the plain memory on the graph's array ({@code
   * plain}) or a copy re-ordered from it at this step of every forward (made once per layout).
   */
  private memory param(String key, memory.desc plain, memory.desc md) {
    memory user =
        paramMemories.computeIfAbsent(key, k -> keep(new memory(plain, eng, (Pointer) null)));
    if (md.equals(plain)) {
      return user;
    }
    List<Act> copies = reorderedParams.computeIfAbsent(key, k -> new ArrayList<>());
    for (Act copy : copies) {
      if (copy.md.equals(md)) {
        return copy.mem;
      }
    }
    memory copy = buffer(md);
    addReorder(key, user, copy);
    copies.add(new Act(copy, md, new long[0]));
    return copy;
  }

  /** Registers parameter {@code key}'s gradient, of {@code shape}, with an array of the plan. */
  private void gradient(String key, long[] shape) {
    INDArray p = graph.paramTable().get(key);
    if (p == null || p.length() != Arrays.stream(shape).reduce(1, Math::multiplyExact)) {
      throw new FssdException(
          "the graph has no parameter " + key + " of shape " + Arrays.toString(shape));
    }
    ownGradients.put(key, Nd4j.create(DataType.FLOAT, p.shape()));
  }

  /** The plain memory oneDNN writes parameter {@code key}'s gradient into (the caller's array). */
  private memory gradientMemory(String key, memory.desc plain) {
    return gradientMemories.computeIfAbsent(key, k -> keep(new memory(plain, eng, (Pointer) null)));
  }

  private void addReorder(String name, memory from, memory to) {
    reorder.primitive_desc pd = new reorder.primitive_desc(from, to, userScratchpad(), false);
    IntMemoryMap args = keep(new IntMemoryMap());
    arg(args, dnnl.DNNL_ARG_FROM, from);
    arg(args, dnnl.DNNL_ARG_TO, to);
    add(keep(new reorder(pd)), args, pd.scratchpad_desc(), name + " reorder");
  }

  /** Appends primitive {@code p} of {@code pd}, named {@code label} and its implementation. */
  private void step(
      primitive p, org.bytedeco.dnnl.primitive_desc_base pd, IntMemoryMap args, String label) {
    add(keep(p), args, pd.scratchpad_desc(), label + " " + pd.impl_info_str().getString());
  }

  /** Appends a step; its scratchpad (if any) is an arena buffer live during the step only. */
  private void add(primitive p, IntMemoryMap args, memory.desc scratchpad, String name) {
    if (scratchpad.get_size() > 0) {
      memory m = keep(new memory(scratchpad, eng, (Pointer) null));
      arenaMemories.put(m, planner.add(scratchpad.get_size(), primitives.size()));
      args.put(dnnl.DNNL_ARG_SCRATCHPAD, m);
    }
    primitives.add(p);
    arguments.add(args);
    layers.add(name);
  }

  /** A buffer of layout {@code md} in the arena, written by the next step. */
  private memory buffer(memory.desc md) {
    memory m = keep(new memory(md, eng, (Pointer) null));
    arenaMemories.put(m, planner.add(Math.max(1, md.get_size()), primitives.size()));
    return m;
  }

  /** Keeps arena buffer {@code m} live until the next step. */
  private void keepLive(memory m) {
    ArenaPlanner.Buffer b = arenaMemories.get(m);
    if (b != null) {
      planner.use(b, primitives.size());
    }
  }

  /** Adds {@code m} to the next step's arguments; an arena buffer stays live until that step. */
  private void arg(IntMemoryMap args, int key, memory m) {
    args.put(key, m);
    keepLive(m);
  }

  private primitive_attr userScratchpad() {
    primitive_attr attr = keep(new primitive_attr());
    attr.set_scratchpad_mode(dnnl.scratchpad_mode.user);
    return attr;
  }

  /** An activation-typed descriptor whose layout the primitive chooses. */
  private memory.desc any(long[] dims) {
    return new memory.desc(dims, activationType, memory.format_tag.any);
  }

  private static memory.desc plain(long[] dims, memory.format_tag tag) {
    return new memory.desc(dims, memory.data_type.f32, tag);
  }

  /** The address of float {@code offset} of the direct array {@code a}. */
  private static Pointer address(INDArray a, long offset) {
    Pointer p = a.data().addressPointer();
    return new Address(p.address() + p.position() * p.sizeof() + 4 * offset);
  }

  private <T extends Pointer> T keep(T p) {
    p.retainReference();
    owned.add(p);
    return p;
  }
}
