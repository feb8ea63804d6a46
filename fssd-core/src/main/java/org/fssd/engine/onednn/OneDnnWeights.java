package org.fssd.engine.onednn;

import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.FssdException;
import org.fssd.model.FssdConfig;
import org.fssd.model.Quantization;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The re-ordered parameters of one model for oneDNN, shared by every {@link OneDnnPlan} compiled
 * from it: all batch sizes and all replicas of a detector run on one copy of the weights.
 *
 * <pre>{@code
 * try (OneDnnWeights weights = OneDnnWeights.of(config, graph, PlanOptions.defaults());
 *     OneDnnPlanSet replica = OneDnnPlanSet.compile(weights, 1, 2, 4, 8)) {
 *   replica.plan(4).run(input, loc, conf);
 * }
 * }</pre>
 *
 * <p><b>Layouts.</b> oneDNN chooses a weight layout per convolution ({@code format_tag.any}); the
 * choice may depend on the batch size. The first plan compiled from these weights fixes each
 * layer's algorithm and layout; later plans ask oneDNN for exactly that layout, so they share the
 * copy (and run the same kernel family, see {@link OneDnnPlan}). Only where oneDNN refuses it is a
 * second copy in the layout it wants made; {@link #copies()} counts them.
 *
 * <p><b>Lifetime.</b> Parameters are read from the graph when a plan first needs them: compile
 * every plan before changing the graph's parameters, or before {@link #releaseGraph()}.
 * Reference-counted: the creator holds one reference, released by {@link #close()} (idempotent);
 * every plan compiled from the weights holds another until it is closed; the native memory is freed
 * when the last one goes. So closing the weights while plans still run is safe.
 *
 * <p>Thread-safe: plans on different threads may read the same weights at once (oneDNN only reads
 * them); compilation from several threads is serialised.
 */
public final class OneDnnWeights implements AutoCloseable {
  private final FssdConfig config;
  private @Nullable ComputationGraph graph; // null once released

  /**
   * Own copies of the graph's parameters, each freed once re-ordered: non-null only for weights
   * made by {@link #consuming}.
   */
  private @Nullable Map<String, INDArray> detached;

  private final PlanOptions options;
  private final @Nullable Quantization quantization; // null unless options ask INT8
  private final Map<String, List<Entry>> entries = new HashMap<>();
  private final Map<String, Choice> choices = new HashMap<>();
  private final List<memory.desc> descs = new ArrayList<>();
  private @Nullable stream loader;
  private int references = 1;
  private boolean closedByOwner;
  private long nativeBytes;
  private int copies;

  /** One native copy of a named parameter in one layout. */
  private static final class Entry {
    final memory.desc md;
    final memory mem;

    Entry(memory.desc md, memory mem) {
      this.md = md;
      this.mem = mem;
    }
  }

  /** The algorithm and weight layout the first plan chose for a convolution. */
  static final class Choice {
    final boolean winograd;
    final memory.desc weightsMd;

    Choice(boolean winograd, memory.desc weightsMd) {
      this.winograd = winograd;
      this.weightsMd = weightsMd;
    }
  }

  private OneDnnWeights(
      FssdConfig config,
      ComputationGraph graph,
      PlanOptions options,
      @Nullable Quantization quantization) {
    this.config = config;
    this.graph = graph;
    this.options = options;
    this.quantization = quantization;
  }

  /**
   * Weights for plans of the network of {@code graph} (built by {@code FssdGraph} for {@code
   * config}) compiled with {@code options}. Allocates nothing yet: each parameter is re-ordered
   * when the first plan that needs it is compiled.
   */
  public static OneDnnWeights of(FssdConfig config, ComputationGraph graph, PlanOptions options) {
    return of(config, graph, options, null);
  }

  /**
   * As {@link #of(FssdConfig, ComputationGraph, PlanOptions)} for {@link
   * PlanOptions.Precision#INT8} plans, which need the activation ranges of {@code quantization}
   * (weights are quantised from the graph's fp32 parameters when a plan is compiled).
   *
   * @throws IllegalArgumentException when {@code quantization} is null for INT8, given for another
   *     precision, or lacks a range the network needs
   */
  public static OneDnnWeights of(
      FssdConfig config,
      ComputationGraph graph,
      PlanOptions options,
      @Nullable Quantization quantization) {
    checkNotNull(options, "options");
    boolean int8 = options.precision() == PlanOptions.Precision.INT8;
    if (int8 && quantization == null) {
      throw new IllegalArgumentException(
          "precision INT8 needs a quantised model (fssd quantize / FssdQuantizer);"
              + " this one has no quantisation");
    }
    if (!int8 && quantization != null) {
      throw new IllegalArgumentException(
          "a quantisation is only used by precision INT8, not " + options.precision());
    }
    if (quantization != null) {
      quantization.checkCovers(checkNotNull(config, "config"));
    }
    return new OneDnnWeights(
        checkNotNull(config, "config"), checkNotNull(graph, "graph"), options, quantization);
  }

  /** The int8 quantisation of INT8 weights, else null. */
  public @Nullable Quantization quantization() {
    return quantization;
  }

  /**
   * Weights for an owner that frees the graph's parameters itself, before compiling: every
   * parameter of {@code graph} is copied now into a native array of its own, after which the caller
   * may free the graph's flat parameter buffer (its layers and configuration must stay). Each
   * convolution's copy is freed as soon as it is re-ordered, so the peak memory while plans compile
   * is about the re-ordered weights plus the parameters not yet re-ordered, never both whole
   * copies. All plans must therefore be compiled in one go for one layout of each parameter: a
   * later plan that needs a parameter in another layout fails with {@link IllegalStateException}.
   */
  public static OneDnnWeights consuming(
      FssdConfig config, ComputationGraph graph, PlanOptions options) {
    OneDnnWeights w = of(config, graph, options);
    Map<String, INDArray> copies = new HashMap<>();
    for (Map.Entry<String, INDArray> e : graph.paramTable().entrySet()) {
      copies.put(e.getKey(), e.getValue().castTo(DataType.FLOAT).dup('c'));
    }
    w.detached = copies;
    return w;
  }

  /**
   * Parameter {@code name} ({@code layer_key}, as {@link ComputationGraph#getParam}): the graph's
   * own view, or, for {@link #consuming} weights, the copy not yet freed.
   */
  synchronized INDArray param(String name) {
    if (detached == null) {
      return graph().getParam(name);
    }
    INDArray a = detached.get(name);
    checkState(
        a != null,
        "parameter %s was re-ordered and freed already: compile every plan of "
            + "consuming weights before any runs another layout",
        name);
    return a;
  }

  /**
   * For {@link #consuming} weights: frees the copy of {@code name} (re-ordered, never read again).
   */
  synchronized void consumed(String name) {
    if (detached != null) {
      INDArray a = detached.remove(name);
      if (a != null && a.closeable()) {
        a.close();
      }
    }
  }

  /** The network configuration. */
  public FssdConfig config() {
    return config;
  }

  /** The options every plan of these weights is compiled with. */
  public PlanOptions options() {
    return options;
  }

  synchronized ComputationGraph graph() {
    checkState(
        graph != null,
        "these weights no longer read the graph (releaseGraph() was called): "
            + "compile every plan before releasing it");
    return graph;
  }

  /**
   * Drops the reference to the graph: the plans compiled so far keep running on the re-ordered
   * copies, but no further plan can be compiled from these weights ({@link IllegalStateException}).
   * Lets an owner that has compiled all its plans free the graph's parameters. Idempotent.
   */
  public synchronized void releaseGraph() {
    graph = null;
  }

  /** Whether {@link #releaseGraph()} was called. */
  public synchronized boolean graphReleased() {
    return graph == null;
  }

  /** Bytes of native memory the re-ordered parameters occupy now. */
  public synchronized long nativeBytes() {
    return nativeBytes;
  }

  /**
   * Native copies of convolution weights made so far: one per convolution when every plan runs on
   * the first plan's layouts, more where oneDNN wanted another layout for another batch size.
   */
  public synchronized int copies() {
    return copies;
  }

  /** The algorithm and layout the first plan chose for convolution {@code name}, or null. */
  synchronized @Nullable Choice choice(String name) {
    return choices.get(name);
  }

  synchronized void choose(String name, boolean winograd, memory.desc weightsMd) {
    if (!choices.containsKey(name)) {
      choices.put(name, new Choice(winograd, retained(weightsMd)));
    }
  }

  /**
   * The native copy of parameter {@code name} in layout {@code md}, made now (from {@code values},
   * laid out as {@code plain}, re-ordered once) unless one exists. {@code plain} null means {@code
   * md} itself is plain. For small parameters (biases, per-channel values); large ones go through
   * {@link #getNative}, which reads them without a Java heap copy.
   */
  synchronized memory get(
      String name,
      memory.desc md,
      memory.@Nullable desc plain,
      Supplier<float[]> values,
      boolean convWeights) {
    return getNative(
        name,
        md,
        plain,
        () -> new NativeValues(Nd4j.createFromArray(values.get()), true),
        convWeights);
  }

  /**
   * Values read straight from native memory: {@code array} (float, any shape, read in C order);
   * {@code owned} means the caller made it for this copy and it is freed once re-ordered.
   */
  static final class NativeValues {
    final INDArray array;
    final boolean owned;

    NativeValues(INDArray array, boolean owned) {
      this.array = array;
      this.owned = owned;
    }
  }

  /**
   * Whether oneDNN can read (or write) {@code a} in place as a plain float array in C order: a
   * contiguous float C-order array or view, as DL4J's parameter and gradient views are. Its values
   * then start at {@code a.data().addressPointer()}.
   */
  static boolean isDirect(INDArray a) {
    // a vector (DL4J's biases are rank 1, 'f' order) is plain in either order
    return a.dataType() == DataType.FLOAT
        && (a.ordering() == 'c' || a.isVector())
        && a.elementWiseStride() == 1
        && a.offset() == a.data().offset();
  }

  /**
   * As {@link #get}, reading the values from native memory: the re-order reads the array's own
   * buffer (a contiguous float C-order view, as DL4J's parameter views are) or, failing that, one
   * native copy of this parameter alone. No copy of the parameters passes through the Java heap,
   * whose pages would stay resident long after the detector is built.
   */
  synchronized memory getNative(
      String name,
      memory.desc md,
      memory.@Nullable desc plain,
      Supplier<NativeValues> values,
      boolean convWeights) {
    checkState(references > 0, "the weights are closed");
    List<Entry> list = entries.computeIfAbsent(name, k -> new ArrayList<>());
    for (Entry e : list) {
      if (e.md.equals(md)) {
        return e.mem;
      }
    }
    memory m;
    NativeValues given = values.get();
    INDArray v = given.array;
    INDArray c = isDirect(v) ? v : v.castTo(DataType.FLOAT).dup('c');
    // A scope of its own: the plain view and the re-order are freed now, not when the whole plan
    // is compiled.
    try (PointerScope scope = new PointerScope()) {
      long count = c.length();
      m = new memory(md, OneDnnPlan.engine()).retainReference();
      FloatPointer data = new FloatPointer(c.data().addressPointer()).capacity(count).limit(count);
      // the layout the values are in: md itself when plain, else the plain one to re-order from
      memory.desc source = plain == null || md.equals(plain) ? md : plain;
      long wanted = source.get_size();
      if (wanted != 4L * count) {
        m.releaseReference();
        throw new FssdException(
            name + ": oneDNN wants " + wanted + " bytes, have " + count + " floats");
      }
      if (source == md) {
        Pointer.memcpy(new FloatPointer(m.get_data_handle()), data, 4L * count);
      } else {
        stream s = loader;
        if (s == null) {
          s = new stream(OneDnnPlan.engine()).retainReference();
          loader = s;
        }
        memory user = new memory(source, OneDnnPlan.engine(), data);
        new reorder(user, m).execute(s, user, m);
        s._wait();
      }
    } finally {
      if (c != v && c.closeable()) {
        c.close();
      }
      if (given.owned && v.closeable()) {
        v.close();
      }
    }
    list.add(new Entry(retained(md), m));
    nativeBytes += md.get_size();
    if (convWeights) {
      copies++;
    }
    return m;
  }

  private memory.desc retained(memory.desc md) {
    memory.desc copy = new memory.desc(md).retainReference();
    descs.add(copy);
    return copy;
  }

  /** A plan now reads these weights. */
  synchronized void retain() {
    checkState(references > 0, "the weights are closed");
    references++;
  }

  /** A plan no longer reads these weights; the last release frees them. */
  synchronized void release() {
    checkState(references > 0, "released more often than retained");
    if (--references == 0) {
      for (List<Entry> list : entries.values()) {
        for (Entry e : list) {
          e.mem.releaseReference();
        }
      }
      entries.clear();
      choices.clear();
      if (detached != null) {
        detached
            .values()
            .forEach(
                a -> {
                  if (a.closeable()) {
                    a.close();
                  }
                });
        detached.clear();
      }
      descs.forEach(d -> d.releaseReference());
      descs.clear();
      if (loader != null) {
        loader.releaseReference();
        loader = null;
      }
      nativeBytes = 0;
    }
  }

  /** Whether the weights can still be used for compiling plans. */
  public synchronized boolean isOpen() {
    return !closedByOwner;
  }

  /** Drops the creator's reference; the memory goes when no plan holds it. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closedByOwner) {
      closedByOwner = true;
      release();
    }
  }

  @Override
  public synchronized String toString() {
    return "OneDnnWeights{"
        + config
        + ", "
        + options
        + ", "
        + copies
        + " conv copies, "
        + nativeBytes
        + " bytes"
        + (closedByOwner ? ", closed}" : "}");
  }
}
