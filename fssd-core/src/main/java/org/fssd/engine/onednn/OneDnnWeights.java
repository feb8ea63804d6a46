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
import org.bytedeco.javacpp.PointerScope;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.FssdException;
import org.fssd.model.FssdConfig;
import org.jspecify.annotations.Nullable;

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
 * copy (and run the same kernel family, see {@link OneDnnPlan}). Only where oneDNN refuses it is
 * a second copy in the layout it wants made; {@link #copies()} counts them.
 *
 * <p><b>Lifetime.</b> Parameters are read from the graph when a plan first needs them: compile
 * every plan before changing the graph's parameters, or before {@link #releaseGraph()}. Reference-counted: the creator holds one
 * reference, released by {@link #close()} (idempotent); every plan compiled from the weights holds
 * another until it is closed; the native memory is freed when the last one goes. So closing the
 * weights while plans still run is safe.
 *
 * <p>Thread-safe: plans on different threads may read the same weights at once (oneDNN only reads
 * them); compilation from several threads is serialised.
 */
public final class OneDnnWeights implements AutoCloseable {
  private final FssdConfig config;
  private @Nullable ComputationGraph graph; // null once released
  private final PlanOptions options;
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

  private OneDnnWeights(FssdConfig config, ComputationGraph graph, PlanOptions options) {
    this.config = config;
    this.graph = graph;
    this.options = options;
  }

  /**
   * Weights for plans of the network of {@code graph} (built by {@code FssdGraph} for {@code
   * config}) compiled with {@code options}. Allocates nothing yet: each parameter is re-ordered
   * when the first plan that needs it is compiled.
   */
  public static OneDnnWeights of(FssdConfig config, ComputationGraph graph, PlanOptions options) {
    return new OneDnnWeights(checkNotNull(config, "config"), checkNotNull(graph, "graph"),
        checkNotNull(options, "options"));
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
    checkState(graph != null, "these weights no longer read the graph (releaseGraph() was called): "
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
   * Native copies of convolution weights made so far: one per convolution when every plan runs
   * on the first plan's layouts, more where oneDNN wanted another layout for another batch size.
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
   * md} itself is plain.
   */
  synchronized memory get(String name, memory.desc md, memory.@Nullable desc plain, Supplier<float[]> values,
      boolean convWeights) {
    checkState(references > 0, "the weights are closed");
    List<Entry> list = entries.computeIfAbsent(name, k -> new ArrayList<>());
    for (Entry e : list) {
      if (e.md.equals(md)) {
        return e.mem;
      }
    }
    memory m;
    // A scope of its own: the plain copy and the re-order are freed now, not when the whole plan
    // is compiled (together they would hold a second copy of all parameters at the peak).
    try (PointerScope scope = new PointerScope()) {
      float[] v = values.get();
      m = new memory(md, OneDnnPlan.engine()).retainReference();
      if (plain == null || md.equals(plain)) {
        if (md.get_size() != 4L * v.length) {
          m.releaseReference();
          throw new FssdException(name + ": oneDNN wants " + md.get_size() + " bytes, have " + v.length + " floats");
        }
        new FloatPointer(m.get_data_handle()).put(v, 0, v.length);
      } else {
        if (loader == null) {
          loader = new stream(OneDnnPlan.engine()).retainReference();
        }
        FloatPointer data = new FloatPointer(v);
        memory user = new memory(plain, OneDnnPlan.engine(), data);
        new reorder(user, m).execute(loader, user, m);
        loader._wait();
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
    return "OneDnnWeights{" + config + ", " + options + ", " + copies + " conv copies, " + nativeBytes + " bytes"
        + (closedByOwner ? ", closed}" : "}");
  }
}
