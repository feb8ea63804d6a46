package org.fssd.engine.onednn;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import com.google.common.base.Suppliers;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.batch_normalization_forward;
import org.bytedeco.dnnl.concat;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.resampling_forward;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC §2: the FSSD network of a {@link ComputationGraph} compiled into a fixed sequence of oneDNN
 * CPU primitives for one batch size — the fast inference path (DESIGN "Speed").
 *
 * <pre>{@code
 * try (OneDnnPlan plan = OneDnnPlan.compile(config, graph, 1, PlanOptions.defaults())) {
 *   float[] loc = new float[plan.locLength()];
 *   float[] conf = new float[plan.confLength()];
 *   plan.run(input, loc, conf); // input: N x 3 x S x S, NCHW, BGR minus means
 * }
 * }</pre>
 *
 * <p>What compiling does: every convolution becomes a {@code convolution_forward} with its bias and
 * a ReLU post-op (heads: no ReLU); in the BN variant the BatchNorm is folded into the preceding
 * convolution ({@code w' = w * gamma / sqrt(var + eps)}, {@code b' = beta + (b - mean) * gamma /
 * sqrt(var + eps)}). Weights are re-ordered once, here, into the layout each primitive prefers.
 * Activations stay in oneDNN's chosen layouts ({@code format_tag.any}); a re-order is inserted only
 * where a producer's layout differs from its consumer's. Pools (the ceil-mode one as end-only
 * padding), bilinear resizes ({@code resampling_linear}, half-pixel centres = PyTorch {@code
 * align_corners=False}), the fusion concat and the optional fusion BN are primitives too. Each head
 * output is re-ordered to NHWC and copied into the flat {@code loc} / {@code conf} arrays in the
 * order of SPEC §2.5 (prior-major), so {@link #run} gives the graph's two outputs.
 *
 * <p>Precision: FP32 by default. {@link PlanOptions.Precision#BF16} keeps weights and activations
 * in bfloat16 (fp32 accumulation, biases and outputs; ~1e-2 relative error) and needs a CPU with
 * AVX512_BF16 ({@link #cpuHasBf16()}); it is refused elsewhere. {@link PlanOptions.Precision#INT8}
 * runs the network in 8-bit integers with the activation ranges of the weights' {@link
 * org.fssd.model.Quantization} (steps built by {@link Int8Network}; about 4 % rms error on random
 * networks, far less on trained ones).
 *
 * <p><b>Memory.</b> The re-ordered weights live in an {@link OneDnnWeights}, shared by every plan
 * compiled from it (all batch sizes, all replicas). Activations are placed by liveness in one arena
 * ({@link ArenaPlanner}): a layer's output buffer is reused once no later layer reads it, so the
 * arena holds about the two or three largest live maps instead of every layer's output. Every
 * primitive runs with a user-managed scratchpad, placed in the same arena as a buffer live during
 * that primitive only: a large scratchpad (the Winograd kernels' transformed tiles) reuses the
 * bytes of maps that are dead at its step. The plans of an {@link OneDnnPlanSet} share one arena,
 * sized to the largest of them. {@link #activationBytes()} and {@link #arenaBytes()} report the
 * sizes.
 *
 * <p><b>Batch sizes.</b> The first plan compiled from an {@link OneDnnWeights} fixes each
 * convolution's algorithm and weight layout, and later plans (other batch sizes) ask oneDNN for
 * exactly that layout, so they share the weights and run the same kernel family; where oneDNN
 * refuses (it blocks Winograd weights by batch size for some layers) the plan gets the layout it
 * wants, as a second copy. Results of one image therefore differ between batch sizes by float
 * rounding, within {@link #BATCH_TOLERANCE}; for identical results run each image on the batch-1
 * plan, as {@code FssdDetector} does by default.
 *
 * <p>The plan copies the parameters: later changes to the graph are not seen; compile again.
 *
 * <p>Threads: oneDNN uses OpenMP with {@code OMP_NUM_THREADS} threads, read once when the native
 * library loads; set it before the JVM starts.
 *
 * <p><b>Thread safety.</b> A plan may be compiled on one thread and run on any other (it never uses
 * oneDNN's per-thread library scratchpad), but by one thread at a time: a run writes the plan's
 * arena. Two runs at once on plans sharing an arena (one plan, or one {@link OneDnnPlanSet}) are
 * refused with {@link IllegalStateException} instead of mixing their data. Plans with different
 * arenas may run concurrently, also when they share weights.
 *
 * <p>{@link #close()} frees all native memory the plan owns; closing twice is harmless; {@link
 * #run} after {@link #close()} throws {@link IllegalStateException}.
 */
public final class OneDnnPlan implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OneDnnPlan.class);

  /** oneDNN's fp32 F(4x4, 3x3) Winograd kernel (AVX-512), as named by {@code impl_info_str}. */
  static final String WINOGRAD_4X3 = "wino_4x3";

  /** oneDNN's fp32 F(2x2, 3x3) Winograd kernel (AVX-512). */
  static final String WINOGRAD_2X3 = "wino_2x3";

  /** Smallest output map (px) on which AUTO takes the 2x3 Winograd kernel. */
  static final int WINOGRAD_2X3_MIN_SIZE = 100;

  /** Fewest input and output channels for which AUTO takes the 2x3 Winograd kernel. */
  static final int WINOGRAD_2X3_MIN_CHANNELS = 64;

  /**
   * Smallest output map (px) on which AUTO takes Winograd at all: below it (FSSD300's 19 px conv5
   * block, the extras, the small heads) Winograd saved ~4 % of the time of a forward pass but its
   * 4x larger weights held ~110 MB more (2-vCPU AMD EPYC Zen 5, batch 1).
   */
  static final int WINOGRAD_MIN_SIZE = 32;

  /**
   * Largest difference, relative to {@code max(1, max |output|)}, between the raw outputs of one
   * image run by a plan of batch 1 and by a plan of another batch size: 1e-5. oneDNN blocks some
   * kernels by batch size (the F(4x4, 3x3) Winograd kernel's weight layout and tiling change for
   * the 512-channel layers at batch 2-4 and up), so the fp32 sums are rounded in another order.
   * Measured on the full FSSD300 (random weights, batches 2, 4, 8 against 1): at most 8.8e-5 on
   * outputs of magnitude 33.6, i.e. 2.6e-6 relative. In boxes of a 300 px input that is below 1e-2
   * px. A single plan is deterministic: the same input gives bit-identical outputs.
   */
  public static final double BATCH_TOLERANCE = 1e-5;

  private final FssdConfig config;
  private final int batchSize;
  private final PlanOptions options;
  private final OneDnnWeights weights;
  private final List<Pointer> owned = new ArrayList<>();
  private final ArenaPlanner planner = new ArenaPlanner();

  /** Activation memories (created without a buffer) and where each lives in the arena. */
  private final List<memory> arenaMemories = new ArrayList<>();

  private final List<ArenaPlanner.Buffer> arenaBuffers = new ArrayList<>();
  private final Map<memory, ArenaPlanner.Buffer> bufferOf = new IdentityHashMap<>();
  final List<primitive> primitives = new ArrayList<>();
  final List<IntMemoryMap> arguments = new ArrayList<>();
  final List<String> layers = new ArrayList<>();
  final List<HeadOutput> locHeads = new ArrayList<>();
  final List<HeadOutput> confHeads = new ArrayList<>();
  private final memory.data_type dataType;
  private final int inputLength;
  private final int locLength;
  private final int confLength;

  // Set by the constructor's build steps (compile()), before the plan is handed out.
  @SuppressWarnings("NullAway.Init")
  engine eng;

  @SuppressWarnings("NullAway.Init")
  private stream strm;

  @SuppressWarnings("NullAway.Init")
  private FloatPointer inputBuffer;

  private long scratchpadBytes; // the largest
  private long scratchpadTotalBytes; // all added up
  private long arenaBytes;

  /** Null until bind() and after close(). */
  private @Nullable Arena arena;

  private boolean ownsArena;
  private boolean closed;

  /**
   * The one CPU engine shared by all plans: oneDNN's primitive cache keys include the engine, so
   * plans compiled on the same engine reuse each other's JIT-compiled kernels. Never freed.
   */
  private static final class CpuEngine {
    static final engine INSTANCE = new engine(engine.kind.cpu, 0).retainReference();
  }

  /** One head level's NHWC memory and where its values go in the flat output. */
  static final class HeadOutput {
    final memory mem; // its data handle is set when the plan is bound to an arena
    final int perImage; // H * W * A * k floats of one image
    final int offset; // first float of this level inside one image's flat output

    @SuppressWarnings("NullAway.Init") // set in bind(), before the plan runs
    FloatPointer buffer;

    HeadOutput(memory mem, int perImage, int offset) {
      this.mem = mem;
      this.perImage = perImage;
      this.offset = offset;
    }
  }

  /** An activation: its memory, its layout, and the re-ordered copies made for consumers. */
  static final class Act {
    final memory mem;
    final memory.desc md;
    final List<memory.desc> copyDescs = new ArrayList<>();
    final List<memory> copies = new ArrayList<>();

    Act(memory mem, memory.desc md) {
      this.mem = mem;
      this.md = md;
    }
  }

  private OneDnnPlan(OneDnnWeights weights, int batchSize) {
    this.weights = weights;
    this.config = weights.config();
    this.batchSize = batchSize;
    this.options = weights.options();
    // INT8 plans choose u8 / s8 / f32 per tensor (Int8Network); this is their fp32 part's type
    this.dataType =
        options.precision() == PlanOptions.Precision.BF16
            ? memory.data_type.bf16
            : memory.data_type.f32;
    int s = config.inputSize();
    this.inputLength = Math.multiplyExact(batchSize, 3 * s * s);
    this.locLength = Math.multiplyExact(batchSize, config.numPriors() * 4);
    this.confLength = Math.multiplyExact(batchSize, config.numPriors() * config.numClasses());
  }

  /**
   * Compiles the network of {@code graph} (built by {@link FssdGraph} for {@code config}) for
   * batches of exactly {@code batchSize} images, with its own weights and arena.
   *
   * @throws UnsupportedOperationException for {@link PlanOptions.Precision#BF16} on a CPU without
   *     AVX512_BF16
   * @throws FssdException when oneDNN refuses a layer or the graph does not match {@code config}
   */
  public static OneDnnPlan compile(
      FssdConfig config, ComputationGraph graph, int batchSize, PlanOptions options) {
    try (OneDnnWeights weights = OneDnnWeights.of(config, graph, options)) {
      return compile(weights, batchSize); // the plan keeps its own reference to the weights
    }
  }

  /**
   * Compiles a plan for batches of exactly {@code batchSize} images on shared {@code weights}, with
   * its own arena. The plan holds a reference to the weights until it is closed.
   *
   * @throws UnsupportedOperationException for {@link PlanOptions.Precision#BF16} on a CPU without
   *     AVX512_BF16
   * @throws FssdException when oneDNN refuses a layer or the graph does not match the config
   */
  public static OneDnnPlan compile(OneDnnWeights weights, int batchSize) {
    OneDnnPlan plan = compileUnbound(weights, batchSize);
    try {
      plan.bind(Arena.allocate(plan.arenaBytes()), true);
    } catch (RuntimeException | Error e) {
      plan.close();
      throw e;
    }
    return plan;
  }

  /** A compiled plan whose activations have no memory yet: {@link #bind} gives it an arena. */
  static OneDnnPlan compileUnbound(OneDnnWeights weights, int batchSize) {
    checkNotNull(weights, "weights");
    checkArgument(batchSize >= 1, "batchSize must be >= 1, got %s", batchSize);
    checkState(weights.isOpen(), "the weights are closed");
    if (weights.options().precision() == PlanOptions.Precision.BF16) {
      requireBf16("oneDNN plan precision BF16");
    }
    weights.retain();
    OneDnnPlan plan = new OneDnnPlan(weights, batchSize);
    try (PointerScope scope = new PointerScope()) {
      plan.build(weights.graph());
    } catch (RuntimeException | Error e) {
      plan.close();
      throw e;
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "compiled oneDNN plan for {} batch {} {} (arena {} bytes, activations {} bytes):\n  {}",
          plan.config,
          batchSize,
          plan.options,
          plan.arenaBytes(),
          plan.activationBytes(),
          String.join("\n  ", plan.layers));
    }
    return plan;
  }

  /** Points every activation, scratchpad and head output of the plan into {@code a}. */
  void bind(Arena a, boolean owns) {
    checkState(arena == null, "already bound");
    checkArgument(
        a.bytes() >= arenaBytes(), "arena of %s bytes, the plan needs %s", a.bytes(), arenaBytes());
    arena = a;
    ownsArena = owns;
    for (int i = 0; i < arenaMemories.size(); i++) {
      arenaMemories.get(i).set_data_handle(a.at(arenaBuffers.get(i).offset()));
    }
    for (HeadOutput h : locHeads) {
      h.buffer = keep(new FloatPointer(h.mem.get_data_handle()));
    }
    for (HeadOutput h : confHeads) {
      h.buffer = keep(new FloatPointer(h.mem.get_data_handle()));
    }
  }

  /** The arena the plan runs in (tests). */
  Arena arena() {
    return checkNotNull(arena, "the plan is not bound to an arena");
  }

  /**
   * Loads oneDNN's native library and creates its CPU engine now (idempotent), so that a caller
   * learns whether plans can be compiled here before it commits to them.
   *
   * @throws LinkageError when the native library cannot be loaded
   */
  public static void loadNative() {
    engine();
  }

  /** The engine all plans are compiled on. */
  static engine engine() {
    return CpuEngine.INSTANCE;
  }

  /**
   * Refuses BF16 work on a CPU without native bfloat16 instructions (oneDNN would emulate them,
   * slower than FP32).
   *
   * @param what the work, the start of the message ("BF16 training")
   * @throws UnsupportedOperationException unless {@link #cpuHasBf16()}
   */
  public static void requireBf16(String what) {
    if (!cpuHasBf16() && !allowEmulatedBf16) {
      throw new UnsupportedOperationException(
          what
              + " needs a CPU with AVX512_BF16; this CPU's oneDNN ISA is "
              + dnnl.get_effective_cpu_isa()
              + ": use FP32");
    }
  }

  /** Whether oneDNN may use native bfloat16 instructions on this CPU (AVX512_BF16 or AMX). */
  public static boolean cpuHasBf16() {
    int isa = dnnl.get_effective_cpu_isa().value;
    int bf16 = dnnl.cpu_isa.avx512_core_bf16.value;
    return (isa & bf16) == bf16;
  }

  /**
   * Tests only: lets BF16 plans compile on an AVX-512 CPU without AVX512_BF16, where oneDNN
   * emulates bfloat16 (slowly), so the BF16 path can be checked for correctness anywhere.
   */
  static volatile boolean allowEmulatedBf16;

  /** The batch size the plan was compiled for. */
  public int batchSize() {
    return batchSize;
  }

  /** The options the plan was compiled with. */
  public PlanOptions options() {
    return options;
  }

  /** Floats of one input: N * 3 * S * S. */
  public int inputLength() {
    return inputLength;
  }

  /** Floats of the loc output: N * P * 4. */
  public int locLength() {
    return locLength;
  }

  /** Floats of the conf output: N * P * C. */
  public int confLength() {
    return confLength;
  }

  /** The weights the plan runs on. */
  public OneDnnWeights weights() {
    return weights;
  }

  /**
   * Bytes of arena the plan needs: its activations and its primitives' scratchpads, placed by
   * liveness. Inputs, head outputs and weights are not included.
   */
  public long arenaBytes() {
    return arenaBytes;
  }

  /** Bytes of all activation buffers of the plan added up, as if none were reused. */
  public long activationBytes() {
    return planner.totalBytes() - scratchpadTotalBytes;
  }

  /** Bytes of the largest scratchpad any of the plan's primitives asks for. */
  public long scratchpadBytes() {
    return scratchpadBytes;
  }

  /**
   * One line per layer: name, oneDNN implementation (e.g. {@code jit_wino_4x3:avx512_core}) and,
   * for a convolution, the algorithm asked for; plus the inserted re-orders. For logs and tests.
   */
  public List<String> describe() {
    return Collections.unmodifiableList(layers);
  }

  /**
   * Runs the network on {@code input} (N x 3 x S x S, NCHW, BGR minus means, SPEC §1) and writes
   * the raw outputs: {@code locOut} [N, P*4] and {@code confOut} [N, P*C], row-major, exactly as
   * the graph's {@value FssdGraph#LOC} and {@value FssdGraph#CONF} outputs.
   *
   * @throws IllegalStateException after {@link #close()}, or while another thread runs a plan on
   *     the same arena
   * @throws IllegalArgumentException when an array has the wrong length
   */
  public void run(float[] input, float[] locOut, float[] confOut) {
    checkNotNull(input, "input");
    checkNotNull(locOut, "locOut");
    checkNotNull(confOut, "confOut");
    checkArgument(
        input.length == inputLength,
        "input has %s floats, expected N*3*S*S = %s",
        input.length,
        inputLength);
    checkArgument(
        locOut.length == locLength,
        "locOut has %s floats, expected N*P*4 = %s",
        locOut.length,
        locLength);
    checkArgument(
        confOut.length == confLength,
        "confOut has %s floats, expected N*P*C = %s",
        confOut.length,
        confLength);
    run(input, 0, locOut, 0, confOut, 0);
  }

  /**
   * As {@link #run(float[], float[], float[])} on slices: the N images start at {@code
   * input[inputOffset]}, and their outputs go to {@code locOut[locOffset...]} and {@code
   * confOut[confOffset...]}. Lets a caller run a long list in chunks without copying.
   *
   * @throws IllegalStateException after {@link #close()}, or while another thread runs a plan on
   *     the same arena
   * @throws IndexOutOfBoundsException when a slice does not fit its array
   */
  public void run(
      float[] input,
      int inputOffset,
      float[] locOut,
      int locOffset,
      float[] confOut,
      int confOffset) {
    checkState(!closed, "run() on a closed OneDnnPlan");
    java.util.Objects.checkFromIndexSize(inputOffset, inputLength, input.length);
    java.util.Objects.checkFromIndexSize(locOffset, locLength, locOut.length);
    java.util.Objects.checkFromIndexSize(confOffset, confLength, confOut.length);
    Arena a = checkNotNull(arena, "run() on a plan not bound to an arena");
    a.acquire();
    try {
      inputBuffer.position(0).put(input, inputOffset, inputLength);
      for (int i = 0; i < primitives.size(); i++) {
        primitives.get(i).execute(strm, arguments.get(i));
      }
      strm._wait();
      copyHeads(locHeads, locOut, locOffset, locLength / batchSize);
      copyHeads(confHeads, confOut, confOffset, confLength / batchSize);
    } finally {
      a.release();
    }
  }

  private void copyHeads(List<HeadOutput> heads, float[] out, int outOffset, int perImage) {
    for (HeadOutput h : heads) {
      for (int n = 0; n < batchSize; n++) {
        h.buffer
            .position((long) n * h.perImage)
            .get(out, outOffset + n * perImage + h.offset, h.perImage);
      }
    }
  }

  /**
   * Frees every native object the plan owns (its arena unless an {@link OneDnnPlanSet} owns it) and
   * drops its reference to the weights; further calls do nothing.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    primitives.clear();
    arguments.clear();
    locHeads.clear();
    confHeads.clear();
    arenaMemories.clear();
    bufferOf.clear();
    releaseAll(owned);
    if (ownsArena && arena != null) {
      arena.close();
    }
    arena = null;
    weights.release();
  }

  /** Releases {@code owned} (native objects kept alive by a plan), last first, and empties it. */
  static void releaseAll(List<Pointer> owned) {
    for (int i = owned.size() - 1; i >= 0; i--) {
      owned.get(i).releaseReference();
    }
    owned.clear();
  }

  @Override
  public String toString() {
    return "OneDnnPlan{"
        + config
        + ", batch "
        + batchSize
        + ", "
        + options
        + (closed ? ", closed}" : "}");
  }

  // ---------------------------------------------------------------------------------------------
  // Compilation

  /**
   * Keeps {@code p} alive until {@link #close()} (the compile-time scope frees everything else).
   */
  <T extends Pointer> T keep(T p) {
    p.retainReference();
    owned.add(p);
    return p;
  }

  private void build(ComputationGraph graph) {
    eng = CpuEngine.INSTANCE;
    strm = keep(new stream(eng));
    int s = config.inputSize();
    memory.desc inputMd =
        new memory.desc(
            new long[] {batchSize, 3, s, s}, memory.data_type.f32, memory.format_tag.nchw);
    inputBuffer = keep(new FloatPointer(inputLength));
    Act x = new Act(keep(new memory(inputMd, eng, inputBuffer)), inputMd);
    if (options.precision() == PlanOptions.Precision.INT8) {
      new Int8Network(this, graph).build(x);
      finish();
      return;
    }

    List<ConvSpec> convs = config.convs();
    Act source1 = null;
    boolean first = true;
    ConvSpec previous = null;
    for (int i = 0; i < convs.size() && convs.get(i).group() == Group.BASE; i++) {
      ConvSpec c = convs.get(i);
      if (previous != null) {
        x = maybePool(graph, previous, c, x);
      }
      x = convBlock(graph, c, x, first);
      first = false;
      if (i == Widths.CONV4_3) {
        source1 = x;
      }
      previous = c;
    }
    Act source2 = x;
    for (int i = 0; i < 4; i++) {
      x = convBlock(graph, config.conv(Group.EXTRAS, i), x, false);
    }
    Act source3 = x;
    Act[] sources = {source1, source2, source3};
    Act[] fused = new Act[3];
    for (int i = 0; i < 3; i++) {
      ConvSpec c = config.conv(Group.FUSION, i);
      fused[i] = convBlock(graph, c, sources[i], false);
      if (c.outSize() != config.fusionSize()) {
        fused[i] = resize(c.name() + ".up", fused[i], c.out(), config.fusionSize());
      }
    }
    x = concat(fused);
    if (config.fusionBatchNorm()) {
      x = batchNorm(graph, FssdGraph.CONCAT_BN, x);
    }
    int levels = config.widths().levels();
    Act[] pyramid = new Act[levels];
    for (int i = 0; i < levels; i++) {
      x = convBlock(graph, config.conv(Group.PYRAMID, i), x, false);
      pyramid[i] = x;
    }
    buildHeads(graph, Group.LOC, pyramid, locHeads, 4);
    buildHeads(graph, Group.CONF, pyramid, confHeads, config.numClasses());
    finish();
  }

  /** Places the activations in the arena, once every step is added. */
  private void finish() {
    // Head outputs in the arena are read after the last step, by copyHeads.
    for (List<HeadOutput> heads : List.of(locHeads, confHeads)) {
      for (HeadOutput h : heads) {
        ArenaPlanner.Buffer b = bufferOf.get(h.mem);
        if (b != null) {
          planner.use(b, primitives.size());
        }
      }
    }
    arenaBytes = ArenaPlanner.align(planner.place());
  }

  private void buildHeads(
      ComputationGraph graph, Group head, Act[] pyramid, List<HeadOutput> outs, int perPrior) {
    int offset = 0;
    for (int i = 0; i < pyramid.length; i++) {
      ConvSpec c = config.conv(head, i);
      offset = addHeadOutput(c, convBlock(graph, c, pyramid[i], false), outs, offset);
    }
    checkHeadValues(head, offset, perPrior);
  }

  /**
   * Adds head convolution {@code c}'s output {@code y} to {@code outs} at {@code offset} values per
   * image, re-ordered to NHWC fp32 (prior-major, as the reference flattens) unless it is so
   * already; returns the offset after it.
   */
  int addHeadOutput(ConvSpec c, Act y, List<HeadOutput> outs, int offset) {
    int size = c.outSize();
    memory.desc nhwc =
        new memory.desc(
            new long[] {batchSize, c.out(), size, size},
            memory.data_type.f32,
            memory.format_tag.nhwc);
    int perImage = c.out() * size * size;
    memory out = y.mem;
    if (!y.md.equals(nhwc)) {
      // Outside the arena: the arena then only ever holds values of the plan's data type (a
      // BF16 plan's padded lanes never see halves of fp32 words).
      out = keep(new memory(nhwc, eng, keep(new FloatPointer((long) batchSize * perImage))));
      addReorder(c.name() + ".nhwc", y.mem, out);
    }
    outs.add(new HeadOutput(out, perImage, offset));
    return offset + perImage;
  }

  /** Checks that the heads of {@code head} give {@code perPrior} values for every prior. */
  void checkHeadValues(Group head, int valuesPerImage, int perPrior) {
    int expected = config.numPriors() * perPrior;
    if (valuesPerImage != expected) {
      throw new FssdException(
          "the "
              + head.prefix()
              + " heads give "
              + valuesPerImage
              + " values per image, but "
              + config.numPriors()
              + " priors x "
              + perPrior
              + " = "
              + expected);
    }
  }

  /**
   * The geometry of a max pool of the graph: its vertex name, kernel, stride, padding at the start
   * and at the end of each axis (DL4J's Same mode pads only at the end: PyTorch's ceil mode).
   */
  record Pool(String name, int kernel, int stride, int padL, int padR) {}

  /**
   * The max pool between base convolutions {@code before} and {@code after}, or null when the graph
   * has none there.
   *
   * @throws FssdException when the pool is not MAX or its output does not fit {@code after}
   */
  static @Nullable Pool pool(ComputationGraph graph, ConvSpec before, ConvSpec after) {
    String name = Group.BASE.prefix() + "." + (before.index() + 2);
    GraphVertex v = graph.getVertex(name);
    if (v == null
        || !v.hasLayer()
        || !(v.getLayer().conf().getLayer() instanceof SubsamplingLayer)) {
      if (before.outSize() != after.inSize()) {
        throw new FssdException("no pool vertex " + name + " between " + before + " and " + after);
      }
      return null;
    }
    SubsamplingLayer pool = (SubsamplingLayer) v.getLayer().conf().getLayer();
    if (pool.getPoolingType() != PoolingType.MAX) {
      throw new FssdException("pool " + name + " is " + pool.getPoolingType() + ", expected MAX");
    }
    int k = pool.getKernelSize()[0];
    int st = pool.getStride()[0];
    int in = before.outSize();
    int out;
    int padL;
    int padR;
    if (pool.getConvolutionMode() == ConvolutionMode.Same) {
      out = (in + st - 1) / st;
      int total = Math.max(0, (out - 1) * st + k - in);
      padL = total / 2;
      padR = total - padL;
    } else {
      padL = pool.getPadding()[0];
      padR = padL;
      out = (in + 2 * padL - k) / st + 1;
    }
    if (out != after.inSize()) {
      throw new FssdException(
          "pool "
              + name
              + " maps "
              + in
              + " to "
              + out
              + " but "
              + after
              + " expects "
              + after.inSize());
    }
    return new Pool(name, k, st, padL, padR);
  }

  /** The pool between base convolutions {@code before} and {@code after}, if the graph has one. */
  Act maybePool(ComputationGraph graph, ConvSpec before, ConvSpec after, Act x) {
    Pool geometry = pool(graph, before, after);
    if (geometry == null) {
      return x;
    }
    String name = geometry.name();
    int k = geometry.kernel();
    int st = geometry.stride();
    int padL = geometry.padL();
    int padR = geometry.padR();
    int out = after.inSize();
    int channels = before.out();
    memory.desc dstAny =
        new memory.desc(
            new long[] {batchSize, channels, out, out}, x.md.data_type(), memory.format_tag.any);
    pooling_forward.primitive_desc pd =
        new pooling_forward.primitive_desc(
            new pooling_forward.desc(
                dnnl.prop_kind.forward_inference,
                dnnl.algorithm.pooling_max,
                x.md,
                dstAny,
                new long[] {st, st},
                new long[] {k, k},
                new long[] {padL, padL},
                new long[] {padR, padR}),
            userScratchpad(),
            eng);
    return sourceToDestination(
        name + " pool " + k + "x" + k + " s" + st + " pad " + padL + "/" + padR,
        pd,
        new pooling_forward(pd),
        x);
  }

  Act resize(String name, Act x, int channels, int size) {
    memory.desc dstAny =
        new memory.desc(
            new long[] {batchSize, channels, size, size}, x.md.data_type(), memory.format_tag.any);
    resampling_forward.primitive_desc pd =
        new resampling_forward.primitive_desc(
            new resampling_forward.desc(
                dnnl.prop_kind.forward_inference, dnnl.algorithm.resampling_linear, x.md, dstAny),
            userScratchpad(),
            eng);
    return sourceToDestination(name + " bilinear -> " + size, pd, new resampling_forward(pd), x);
  }

  /**
   * The step of a one-source primitive ({@code x} in, a new activation in the layout {@code pd}
   * chose out), with its scratchpad planned.
   */
  private Act sourceToDestination(String label, primitive_desc_base pd, primitive p, Act x) {
    memory.desc dstMd = pd.dst_desc();
    memory dst = activation(dstMd);
    addStep(
        label,
        pd.impl_info_str().getString(),
        keep(p),
        dnnl.DNNL_ARG_SRC,
        x.mem,
        dnnl.DNNL_ARG_DST,
        dst);
    scratchpad(pd.scratchpad_desc());
    return new Act(dst, dstMd);
  }

  /** A native array of the given memory descriptors (the sources of a concat or sum). */
  static memory.desc descArray(List<memory.desc> mds) {
    memory.desc array = new memory.desc(mds.size());
    for (int i = 0; i < mds.size(); i++) {
      array.getPointer(i).data(mds.get(i).data());
    }
    return array;
  }

  Act concat(Act[] parts) {
    List<memory.desc> mds = new ArrayList<>();
    for (Act part : parts) {
      mds.add(part.md);
    }
    memory.desc srcs = descArray(mds);
    concat.primitive_desc pd = new concat.primitive_desc(1, srcs, eng, userScratchpad());
    memory.desc dstMd = pd.dst_desc();
    memory dst = activation(dstMd);
    IntMemoryMap args = keep(new IntMemoryMap());
    for (int i = 0; i < parts.length; i++) {
      arg(args, dnnl.DNNL_ARG_MULTIPLE_SRC + i, parts[i].mem);
    }
    arg(args, dnnl.DNNL_ARG_DST, dst);
    putScratchpad(args, pd.scratchpad_desc());
    primitives.add(keep(new concat(pd)));
    arguments.add(args);
    layers.add(FssdGraph.CONCAT + ": " + pd.impl_info_str().getString());
    return new Act(dst, dstMd);
  }

  /**
   * Inference BatchNorm (the optional fusion BN after the concat); output in the input's layout.
   */
  Act batchNorm(ComputationGraph graph, String name, Act x) {
    BatchNormalization conf = (BatchNormalization) graph.getLayer(name).conf().getLayer();
    float eps = (float) conf.getEps();
    int flags =
        dnnl.normalization_flags.use_global_stats.value
            | dnnl.normalization_flags.use_scale_shift.value;
    batch_normalization_forward.primitive_desc pd =
        new batch_normalization_forward.primitive_desc(
            new batch_normalization_forward.desc(
                dnnl.prop_kind.forward_inference.value, x.md, eps, flags),
            userScratchpad(),
            eng);
    float[] gamma = floats(weights.param(name + "_gamma"));
    float[] beta = floats(weights.param(name + "_beta"));
    float[] scaleShift = new float[2 * gamma.length];
    System.arraycopy(gamma, 0, scaleShift, 0, gamma.length);
    System.arraycopy(beta, 0, scaleShift, gamma.length, beta.length);
    // values only read when these weights have no copy of them yet
    memory mean =
        weights.get(
            name + "_mean",
            pd.mean_desc(),
            null,
            () -> floats(weights.param(name + "_mean")),
            false);
    memory variance =
        weights.get(
            name + "_var",
            pd.variance_desc(),
            null,
            () -> floats(weights.param(name + "_var")),
            false);
    memory scale =
        weights.get(name + "_scaleshift", pd.weights_desc(), null, () -> scaleShift, false);
    memory.desc dstMd = pd.dst_desc();
    memory dst = activation(dstMd);
    IntMemoryMap args = keep(new IntMemoryMap());
    arg(args, dnnl.DNNL_ARG_SRC, x.mem);
    arg(args, dnnl.DNNL_ARG_MEAN, mean);
    arg(args, dnnl.DNNL_ARG_VARIANCE, variance);
    arg(args, dnnl.DNNL_ARG_SCALE_SHIFT, scale);
    arg(args, dnnl.DNNL_ARG_DST, dst);
    putScratchpad(args, pd.scratchpad_desc());
    primitives.add(keep(new batch_normalization_forward(pd)));
    arguments.add(args);
    layers.add(name + ": batch norm " + pd.impl_info_str().getString());
    return new Act(dst, dstMd);
  }

  /** A convolution block of {@code c}: conv (+ folded BN) + bias (+ ReLU unless a head). */
  private Act convBlock(ComputationGraph graph, ConvSpec c, Act src, boolean firstLayer) {
    Supplier<ConvParams> params = Suppliers.memoize(() -> convParams(graph, c));
    return conv(c, src, params, !c.isHead(), firstLayer);
  }

  /**
   * The weights of a convolution as the plan runs them (native, C order {@code [out, in, k, k]}),
   * {@code owned} when made for the plan (BN folded in) rather than the graph's own view, and the
   * bias.
   */
  static final class ConvParams {
    final INDArray weights;
    final boolean owned;
    final float[] bias;

    ConvParams(INDArray weights, boolean owned, float[] bias) {
      this.weights = weights;
      this.owned = owned;
      this.bias = bias;
    }
  }

  /**
   * The weights and bias of {@code c} as the plan runs them, {@code {w, b}} in Java arrays, BN
   * folded in: for the int8 plan, which quantises them itself.
   */
  float[][] convParamArrays(ComputationGraph graph, ConvSpec c) {
    ConvParams p = convParams(graph, c);
    float[] w = floats(p.weights);
    if (p.owned && p.weights.closeable()) {
      p.weights.close();
    }
    return new float[][] {w, p.bias};
  }

  /** The weights and bias of {@code c} as the plan runs them, BN folded in. */
  ConvParams convParams(ComputationGraph graph, ConvSpec c) {
    boolean bn = config.batchNorm() && !c.isHead();
    String convName = convName(c);
    INDArray w = weights.param(convName + "_W");
    if (w.length() != c.weightCount()) {
      throw new FssdException(
          convName + "_W has " + w.length() + " values, " + c + " needs " + c.weightCount());
    }
    float[] b = new float[c.out()];
    if (graph.getLayer(convName).paramTable().containsKey("b")) {
      b = floats(weights.param(convName + "_b"));
    }
    if (!bn) {
      return new ConvParams(w, false, b);
    }
    String bnName = c.name() + ".bn";
    // DL4J M2.1's BatchNormalization layer ignores its configured activation (it returns the
    // normalised value as is), so none is applied here either.
    BatchNormalization conf = (BatchNormalization) graph.getLayer(bnName).conf().getLayer();
    float[] scale =
        fold(
            b,
            floats(weights.param(bnName + "_gamma")),
            floats(weights.param(bnName + "_beta")),
            floats(weights.param(bnName + "_mean")),
            floats(weights.param(bnName + "_var")),
            conf.getEps());
    // a native copy of this layer's weights only, scaled per output channel
    INDArray folded =
        w.castTo(DataType.FLOAT).reshape('c', c.out(), c.weightCount() / c.out()).dup('c');
    try (INDArray column = Nd4j.createFromArray(scale).reshape(c.out(), 1)) {
      folded.muliColumnVector(column);
    }
    return new ConvParams(folded, true, b);
  }

  /** The graph layer of {@code c}'s convolution (inside its block when BN follows it). */
  private String convName(ConvSpec c) {
    return config.batchNorm() && !c.isHead() ? c.name() + ".conv" : c.name();
  }

  /**
   * Folds an inference BatchNorm into the bias of the convolution before it ({@code b} updated in
   * place) and returns the per-output-channel factor {@code gamma / sqrt(var + eps)} that
   * multiplies the convolution's weights.
   */
  static float[] fold(
      float[] b, float[] gamma, float[] beta, float[] mean, float[] var, double eps) {
    float[] scale = new float[b.length];
    for (int o = 0; o < b.length; o++) {
      double s = gamma[o] / Math.sqrt(var[o] + eps);
      scale[o] = (float) s;
      b[o] = (float) (beta[o] + (b[o] - mean[o]) * s);
    }
    return scale;
  }

  private Act conv(
      ConvSpec c, Act src, Supplier<ConvParams> params, boolean relu, boolean firstLayer) {
    long n = batchSize;
    long k = c.kernel();
    memory.desc srcAny =
        new memory.desc(
            new long[] {n, c.in(), c.inSize(), c.inSize()}, dataType, memory.format_tag.any);
    memory.desc weightsAny =
        new memory.desc(new long[] {c.out(), c.in(), k, k}, dataType, memory.format_tag.any);
    memory.desc biasMd =
        new memory.desc(new long[] {c.out()}, memory.data_type.f32, memory.format_tag.x);
    memory.desc dstAny =
        new memory.desc(
            new long[] {n, c.out(), c.outSize(), c.outSize()}, dataType, memory.format_tag.any);
    primitive_attr attr = userScratchpad();
    if (relu) {
      post_ops ops = new post_ops();
      ops.append_eltwise(1f, dnnl.algorithm.eltwise_relu, 0f, 0f);
      attr.set_post_ops(ops);
    }
    convolution_forward.primitive_desc pd = null;
    String algorithm = "direct";
    OneDnnWeights.Choice chosen = weights.choice(c.name());
    if (chosen != null) {
      // An earlier plan of these weights chose: same algorithm, same weight layout (so one copy).
      try {
        pd =
            convPd(
                c,
                chosen.winograd
                    ? dnnl.algorithm.convolution_winograd
                    : dnnl.algorithm.convolution_direct,
                srcAny,
                chosen.weightsMd,
                biasMd,
                dstAny,
                attr);
        algorithm = chosen.winograd ? "winograd" : "direct";
        if (pd.impl_info_str().getString().startsWith("ref")) {
          // only oneDNN's slow reference code takes that layout: better a second copy
          LOG.debug(
              "{} at batch {} would run {} on the shared layout; choosing anew",
              c,
              batchSize,
              pd.impl_info_str().getString());
          pd = null;
        }
      } catch (RuntimeException e) {
        LOG.debug(
            "oneDNN refused {}'s shared weight layout at batch {} ({}); choosing anew",
            c,
            batchSize,
            e.getMessage());
      }
    }
    if (pd == null) {
      pd = choose(c, srcAny, weightsAny, biasMd, dstAny, attr, firstLayer);
      algorithm = pd.impl_info_str().getString().contains("wino") ? "winograd" : "direct";
    }
    weights.choose(c.name(), algorithm.equals("winograd"), pd.weights_desc());
    memory srcMem = as(c.name(), src, pd.src_desc());
    memory.desc plain =
        new memory.desc(
            new long[] {c.out(), c.in(), k, k}, memory.data_type.f32, memory.format_tag.oihw);
    // the folded copy, if one was made, is freed by the re-order that reads it
    memory w =
        weights.getNative(
            c.name() + "_W",
            pd.weights_desc(),
            plain,
            () -> new OneDnnWeights.NativeValues(params.get().weights, params.get().owned),
            true);
    memory bias =
        weights.get(c.name() + "_b", pd.bias_desc(), null, () -> params.get().bias, false);
    weights.consumed(convName(c) + "_W");
    memory.desc dstMd = pd.dst_desc();
    memory dst = activation(dstMd);
    IntMemoryMap args = keep(new IntMemoryMap());
    arg(args, dnnl.DNNL_ARG_SRC, srcMem);
    arg(args, dnnl.DNNL_ARG_WEIGHTS, w);
    arg(args, dnnl.DNNL_ARG_BIAS, bias);
    arg(args, dnnl.DNNL_ARG_DST, dst);
    putScratchpad(args, pd.scratchpad_desc());
    primitives.add(keep(new convolution_forward(pd)));
    arguments.add(args);
    layers.add(
        c
            + ": "
            + algorithm
            + " "
            + pd.impl_info_str().getString()
            + " "
            + dataType
            + (relu ? " +relu" : ""));
    return new Act(dst, dstMd);
  }

  /** The first plan's choice for {@code c}: Winograd as the options say, else direct. */
  private convolution_forward.primitive_desc choose(
      ConvSpec c,
      memory.desc srcAny,
      memory.desc weightsAny,
      memory.desc biasMd,
      memory.desc dstAny,
      primitive_attr attr,
      boolean firstLayer) {
    boolean winogradShape = c.kernel() == 3 && c.stride() == 1 && c.dilation() == 1;
    PlanOptions.Algorithm choice = options.algorithm();
    boolean tryWinograd =
        winogradShape
            && (choice == PlanOptions.Algorithm.WINOGRAD
                || choice == PlanOptions.Algorithm.AUTO && !firstLayer);
    if (tryWinograd) {
      try {
        convolution_forward.primitive_desc pd =
            convPd(
                c, dnnl.algorithm.convolution_winograd, srcAny, weightsAny, biasMd, dstAny, attr);
        String impl = pd.impl_info_str().getString();
        if (choice != PlanOptions.Algorithm.AUTO || autoAcceptsWinograd(c, impl)) {
          return pd;
        }
        LOG.debug("AUTO: {} would run Winograd as {}; using direct", c, impl);
      } catch (RuntimeException e) {
        LOG.debug("oneDNN refused Winograd for {} ({}); using direct", c, e.getMessage());
      }
    }
    try {
      return convPd(c, dnnl.algorithm.convolution_direct, srcAny, weightsAny, biasMd, dstAny, attr);
    } catch (RuntimeException e) {
      throw new FssdException("oneDNN refused convolution " + c + ": " + e.getMessage(), e);
    }
  }

  /**
   * AUTO's choice between the Winograd kernel oneDNN offers and direct convolution, from FSSD300
   * layer timings (2-core AVX-512 Xeon, batch 1): the F(4x4, 3x3) kernel ({@value #WINOGRAD_4X3})
   * beats direct on every layer it takes; the F(2x2, 3x3) kernel ({@value #WINOGRAD_2X3}) is ~1.8x
   * faster on the large early maps (300 and 150 px, 64+ channels) but slower on small maps and
   * narrow layers (heads, the first layer), so it is used only for maps of at least {@value
   * #WINOGRAD_2X3_MIN_SIZE} px with at least {@value #WINOGRAD_2X3_MIN_CHANNELS} channels in and
   * out. Neither is taken on maps smaller than {@value #WINOGRAD_MIN_SIZE} px (memory, see there).
   */
  static boolean autoAcceptsWinograd(ConvSpec c, String impl) {
    if (impl.contains(WINOGRAD_4X3)) {
      return c.outSize() >= WINOGRAD_MIN_SIZE;
    }
    return impl.contains(WINOGRAD_2X3)
        && c.outSize() >= WINOGRAD_2X3_MIN_SIZE
        && c.in() >= WINOGRAD_2X3_MIN_CHANNELS
        && c.out() >= WINOGRAD_2X3_MIN_CHANNELS;
  }

  convolution_forward.primitive_desc convPd(
      ConvSpec c,
      dnnl.algorithm algorithm,
      memory.desc src,
      memory.desc weights,
      memory.desc bias,
      memory.desc dst,
      primitive_attr attr) {
    long s = c.stride();
    long p = c.padding();
    long d = c.dilation() - 1; // oneDNN counts dilation from 0
    convolution_forward.desc desc =
        new convolution_forward.desc(
            dnnl.prop_kind.forward_inference,
            algorithm,
            src,
            weights,
            bias,
            dst,
            new long[] {s, s},
            new long[] {d, d},
            new long[] {p, p},
            new long[] {p, p});
    return new convolution_forward.primitive_desc(desc, attr, eng);
  }

  /** {@code x} in layout {@code md}: itself, or a re-ordered copy (made once per layout). */
  memory as(String consumer, Act x, memory.desc md) {
    if (x.md.equals(md)) {
      return x.mem;
    }
    for (int i = 0; i < x.copyDescs.size(); i++) {
      if (x.copyDescs.get(i).equals(md)) {
        return x.copies.get(i);
      }
    }
    memory copy = activation(md);
    addReorder(consumer + " input", x.mem, copy);
    x.copyDescs.add(md);
    x.copies.add(copy);
    return copy;
  }

  void addReorder(String name, memory from, memory to) {
    reorder.primitive_desc pd = new reorder.primitive_desc(from, to, userScratchpad(), false);
    addStep(
        name + " reorder",
        "",
        keep(new reorder(pd)),
        dnnl.DNNL_ARG_FROM,
        from,
        dnnl.DNNL_ARG_TO,
        to);
    scratchpad(pd.scratchpad_desc());
  }

  /**
   * Attributes asking for a user-managed scratchpad. In oneDNN's default (library) mode the
   * scratchpad of a primitive is a buffer of the thread that created it, sized for the primitives
   * created on that thread, so running a plan on another thread could overrun it (two plans
   * compiled on one thread and run on two others crashed the JVM in the Winograd input transform).
   * With the plan's own scratchpad region nothing thread-local is left.
   */
  primitive_attr userScratchpad() {
    primitive_attr attr = keep(new primitive_attr());
    attr.set_scratchpad_mode(dnnl.scratchpad_mode.user);
    return attr;
  }

  /** Adds the scratchpad the last step's primitive needs (if any) to that step's arguments. */
  void scratchpad(memory.desc md) {
    addScratchpad(arguments.get(arguments.size() - 1), md, primitives.size() - 1);
  }

  /** Adds the scratchpad the next step's primitive needs (if any) to {@code args}. */
  void putScratchpad(IntMemoryMap args, memory.desc md) {
    addScratchpad(args, md, primitives.size());
  }

  private void addScratchpad(IntMemoryMap args, memory.desc md, int step) {
    long size = md.get_size();
    if (size > 0) {
      memory m = keep(new memory(md, eng, (Pointer) null));
      ArenaPlanner.Buffer b = planner.add(size, step); // live during its primitive only
      arenaMemories.add(m);
      arenaBuffers.add(b);
      scratchpadBytes = Math.max(scratchpadBytes, ArenaPlanner.align(size));
      scratchpadTotalBytes += ArenaPlanner.align(size);
      args.put(dnnl.DNNL_ARG_SCRATCHPAD, m);
    }
  }

  /** An activation of layout {@code md}, written by the next step; its memory is in the arena. */
  memory activation(memory.desc md) {
    memory m = keep(new memory(md, eng, (Pointer) null));
    ArenaPlanner.Buffer b = planner.add(md.get_size(), primitives.size());
    arenaMemories.add(m);
    arenaBuffers.add(b);
    bufferOf.put(m, b);
    return m;
  }

  /** Adds {@code m} to the next step's arguments; an activation stays live until that step. */
  void arg(IntMemoryMap args, int key, memory m) {
    args.put(key, m);
    ArenaPlanner.Buffer b = bufferOf.get(m);
    if (b != null) {
      planner.use(b, primitives.size());
    }
  }

  void addStep(String name, String impl, primitive p, int argA, memory a, int argB, memory b) {
    IntMemoryMap args = keep(new IntMemoryMap());
    arg(args, argA, a);
    arg(args, argB, b);
    primitives.add(p);
    arguments.add(args);
    layers.add(name + (impl.isEmpty() ? "" : ": " + impl));
  }

  /**
   * The values of {@code a} in C order. The flattened off-heap copy is freed at once rather than
   * when the garbage collector gets to it (all of them together are a second copy of the model).
   */
  static float[] floats(INDArray a) {
    INDArray flat = Nd4j.toFlattened('c', a.castTo(DataType.FLOAT));
    float[] v = flat.toFloatVector();
    if (flat != a && flat.closeable()) {
      flat.close();
    }
    return v;
  }
}
