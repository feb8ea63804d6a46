package org.fssd.engine.onednn;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Plans of several batch sizes on shared {@link OneDnnWeights}, sharing one arena: what one replica
 * of a detector needs. The arena is sized to the largest plan, so a set of 1, 2, 4 and 8 holds the
 * activations of one batch of 8, not of 15 images; the weights are not copied at all.
 *
 * <pre>{@code
 * try (OneDnnWeights weights = OneDnnWeights.of(config, graph, PlanOptions.defaults());
 *     OneDnnPlanSet set = OneDnnPlanSet.compile(weights, 1, 2, 4, 8)) {
 *   set.plan(2).run(input, loc, conf);
 * }
 * }</pre>
 *
 * <p>All plans are compiled by {@link #compile}: nothing is compiled or allocated when a plan runs.
 *
 * <p>Thread safety: the plans share the arena, so the set is used by one thread at a time (any
 * thread); a run while another thread runs a plan of the same set throws {@link
 * IllegalStateException}. Different sets may run at once, on the same weights too. {@link #close()}
 * frees the plans and the arena (idempotent); the weights stay with their owner.
 */
public final class OneDnnPlanSet implements AutoCloseable {
  private final Map<Integer, OneDnnPlan> plans = new LinkedHashMap<>();
  private final int[] sizes;
  private @Nullable Arena arena;
  private boolean closed;

  private OneDnnPlanSet(int[] sizes) {
    this.sizes = sizes;
  }

  /**
   * Compiles a plan for each of {@code batchSizes} (distinct, ascending, each >= 1) on {@code
   * weights}, the first (smallest) first: it fixes the layouts the others share.
   */
  public static OneDnnPlanSet compile(OneDnnWeights weights, int... batchSizes) {
    checkNotNull(weights, "weights");
    checkArgument(batchSizes.length >= 1, "no batch sizes");
    for (int i = 0; i < batchSizes.length; i++) {
      checkArgument(
          batchSizes[i] >= 1 && (i == 0 || batchSizes[i] > batchSizes[i - 1]),
          "batch sizes must be ascending and >= 1, got %s",
          Arrays.toString(batchSizes));
    }
    OneDnnPlanSet set = new OneDnnPlanSet(batchSizes.clone());
    try {
      long need = 0;
      for (int n : batchSizes) {
        OneDnnPlan p = OneDnnPlan.compileUnbound(weights, n);
        set.plans.put(n, p);
        need = Math.max(need, p.arenaBytes());
      }
      set.arena = Arena.allocate(need);
      for (OneDnnPlan p : set.plans.values()) {
        p.bind(set.arena, false);
      }
    } catch (RuntimeException | Error e) {
      set.close();
      throw e;
    }
    return set;
  }

  /** The batch sizes compiled, ascending. */
  public int[] batchSizes() {
    return sizes.clone();
  }

  /**
   * The plan for batches of {@code n}.
   *
   * @throws IllegalArgumentException when no plan of that size was compiled
   * @throws IllegalStateException after {@link #close()}
   */
  public OneDnnPlan plan(int n) {
    checkState(!closed, "plan() on a closed OneDnnPlanSet");
    OneDnnPlan p = plans.get(n);
    checkArgument(p != null, "no plan for batch %s; compiled: %s", n, Arrays.toString(sizes));
    return p;
  }

  /** Bytes of the shared arena (the largest plan's need). */
  public long arenaBytes() {
    return arena == null ? 0 : arena.bytes();
  }

  /** Frees the plans and the arena; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    plans.values().forEach(OneDnnPlan::close);
    plans.clear();
    if (arena != null) {
      arena.close();
    }
  }

  @Override
  public String toString() {
    return "OneDnnPlanSet{batch sizes "
        + Arrays.toString(sizes)
        + ", arena "
        + arenaBytes()
        + " bytes"
        + (closed ? ", closed}" : "}");
  }
}
