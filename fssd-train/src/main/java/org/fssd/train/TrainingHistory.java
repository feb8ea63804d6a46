package org.fssd.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.fssd.ModelFormatException;
import org.fssd.train.eval.ClassAp;
import org.fssd.train.eval.EvalResult;

/**
 * What a training run has measured so far, from its first iteration: the losses and learning rate
 * of every parameter update ({@link Step}) and the held-out evaluations made during training
 * ({@link Evaluation}). {@link FssdTrainer} records it and stores it in every checkpoint (entry
 * {@link Checkpoints#HISTORY_ENTRY}), so a resumed run continues the same history and its pictures
 * are those of an uninterrupted run.
 *
 * <p>Values are stored as JSON numbers written with {@link Double#toString(double)}, which reads
 * back to the identical {@code double}; non-finite values are written as {@code null} and read as
 * NaN.
 *
 * <p>Immutable and thread-safe; the lists are unmodifiable.
 */
public final class TrainingHistory {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final TrainingHistory EMPTY = new TrainingHistory(List.of(), List.of());

  /**
   * One parameter update.
   *
   * @param iteration updates done, this one included (1-based)
   * @param epoch the epoch of the update (0-based)
   * @param locLoss localisation loss of the batch
   * @param confLoss confidence loss of the batch
   * @param learningRate the learning rate the update used
   */
  public record Step(
      long iteration, int epoch, double locLoss, double confLoss, double learningRate) {
    /** loc + conf. */
    public double loss() {
      return locLoss + confLoss;
    }
  }

  /**
   * One evaluation on the held-out set.
   *
   * @param iteration updates done when it was made
   * @param epoch the epoch of the last update (0-based)
   * @param method the AP method, e.g. {@code VOC07_11_POINT}
   * @param map the mean AP (NaN when no class has positives)
   * @param classAp AP per class name, in label order (NaN: no positives)
   */
  public record Evaluation(
      long iteration, int epoch, String method, double map, Map<String, Double> classAp) {
    /** Checks and freezes. */
    public Evaluation {
      checkNotNull(method, "method");
      classAp = Collections.unmodifiableMap(new LinkedHashMap<>(checkNotNull(classAp, "classAp")));
    }

    /** The summary of {@code result} made at {@code iteration}. */
    public static Evaluation of(long iteration, int epoch, EvalResult result) {
      Map<String, Double> aps = new LinkedHashMap<>();
      for (ClassAp c : result.classes()) {
        aps.put(c.name(), c.ap());
      }
      return new Evaluation(iteration, epoch, result.method().name(), result.map(), aps);
    }
  }

  private final List<Step> steps;
  private final List<Evaluation> evaluations;

  private TrainingHistory(List<Step> steps, List<Evaluation> evaluations) {
    this.steps = Collections.unmodifiableList(steps);
    this.evaluations = Collections.unmodifiableList(evaluations);
  }

  /** A history without steps or evaluations. */
  public static TrainingHistory empty() {
    return EMPTY;
  }

  /**
   * A history of these steps and evaluations (copied).
   *
   * @throws IllegalArgumentException when the iterations of either list do not increase strictly
   */
  public static TrainingHistory of(List<Step> steps, List<Evaluation> evaluations) {
    List<Step> s = List.copyOf(steps);
    List<Evaluation> e = List.copyOf(evaluations);
    checkIncreasing(s, Step::iteration, "step");
    checkIncreasing(e, Evaluation::iteration, "evaluation");
    return new TrainingHistory(new ArrayList<>(s), new ArrayList<>(e));
  }

  private static <T> void checkIncreasing(
      List<T> entries, ToLongFunction<T> iteration, String what) {
    for (int i = 1; i < entries.size(); i++) {
      long at = iteration.applyAsLong(entries.get(i));
      long before = iteration.applyAsLong(entries.get(i - 1));
      checkArgument(at > before, "%s iterations must increase: %s after %s", what, at, before);
    }
  }

  /** Every recorded update, in order. */
  public List<Step> steps() {
    return steps;
  }

  /** Every evaluation, in order. */
  public List<Evaluation> evaluations() {
    return evaluations;
  }

  /**
   * The part of this history up to and including {@code iteration} (what a checkpoint at that
   * iteration knows).
   */
  public TrainingHistory upTo(long iteration) {
    List<Step> s = new ArrayList<>();
    for (Step x : steps) {
      if (x.iteration() <= iteration) {
        s.add(x);
      }
    }
    List<Evaluation> e = new ArrayList<>();
    for (Evaluation x : evaluations) {
      if (x.iteration() <= iteration) {
        e.add(x);
      }
    }
    return new TrainingHistory(s, e);
  }

  /** The history as JSON bytes (see the class Javadoc). */
  public byte[] toJsonBytes() {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", "fssd4j-training-history");
    root.put("formatVersion", 1);
    ArrayNode it = root.putArray("iteration");
    ArrayNode ep = root.putArray("epoch");
    ArrayNode loc = root.putArray("loc");
    ArrayNode conf = root.putArray("conf");
    ArrayNode lr = root.putArray("lr");
    for (Step s : steps) {
      it.add(s.iteration());
      ep.add(s.epoch());
      number(loc, s.locLoss());
      number(conf, s.confLoss());
      number(lr, s.learningRate());
    }
    ArrayNode evals = root.putArray("evaluations");
    for (Evaluation e : evaluations) {
      ObjectNode n = evals.addObject();
      n.put("iteration", e.iteration());
      n.put("epoch", e.epoch());
      n.put("method", e.method());
      if (Double.isFinite(e.map())) {
        n.put("map", e.map());
      } else {
        n.putNull("map");
      }
      ObjectNode aps = n.putObject("classAp");
      e.classAp()
          .forEach(
              (k, v) -> {
                if (Double.isFinite(v)) {
                  aps.put(k, v);
                } else {
                  aps.putNull(k);
                }
              });
    }
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise the training history", e);
    }
  }

  /**
   * Reads {@link #toJsonBytes()}.
   *
   * @throws ModelFormatException when the bytes are not a training history
   */
  public static TrainingHistory fromJsonBytes(byte[] json) {
    try {
      JsonNode root = MAPPER.readTree(json);
      checkArgument(
          root != null && "fssd4j-training-history".equals(root.path("format").asText()),
          "not a training history (format %s)",
          root == null ? null : root.path("format"));
      JsonNode it = root.path("iteration");
      int n = it.size();
      for (String k : List.of("epoch", "loc", "conf", "lr")) {
        checkArgument(
            root.path(k).size() == n,
            "history column %s has %s values, expected %s",
            k,
            root.path(k).size(),
            n);
      }
      List<Step> steps = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        steps.add(
            new Step(
                it.get(i).asLong(),
                root.get("epoch").get(i).asInt(),
                value(root.get("loc").get(i)),
                value(root.get("conf").get(i)),
                value(root.get("lr").get(i))));
      }
      List<Evaluation> evals = new ArrayList<>();
      for (JsonNode e : root.path("evaluations")) {
        Map<String, Double> aps = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> f = e.path("classAp").fields();
        while (f.hasNext()) {
          Map.Entry<String, JsonNode> x = f.next();
          aps.put(x.getKey(), value(x.getValue()));
        }
        evals.add(
            new Evaluation(
                e.path("iteration").asLong(),
                e.path("epoch").asInt(),
                e.path("method").asText(),
                value(e.get("map")),
                aps));
      }
      return of(steps, evals);
    } catch (IOException | IllegalArgumentException | NullPointerException e) {
      throw new ModelFormatException("invalid training history: " + e.getMessage(), e);
    }
  }

  private static void number(ArrayNode a, double v) {
    if (Double.isFinite(v)) {
      a.add(v);
    } else {
      a.addNull();
    }
  }

  private static double value(JsonNode n) {
    return n == null || n.isNull() ? Double.NaN : n.asDouble();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrainingHistory h
        && h.steps.equals(steps)
        && h.evaluations.equals(evaluations);
  }

  @Override
  public int hashCode() {
    return steps.hashCode() * 31 + evaluations.hashCode();
  }

  @Override
  public String toString() {
    return "TrainingHistory{steps=" + steps.size() + ", evaluations=" + evaluations.size() + "}";
  }
}
