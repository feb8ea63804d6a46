package org.fssd.model;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.file.Path;
import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.box.PriorBoxes;
import org.jspecify.annotations.Nullable;

/**
 * An FSSD network with everything needed to use it: its {@link FssdConfig}, the DL4J {@link
 * ComputationGraph} holding the parameters (the model of record), the class {@link Labels} and the
 * {@link Provenance} of the weights.
 *
 * <p>Files: {@link #save(Path)} / {@link #load(Path)} (format in {@link ModelFile}).
 *
 * <p>Thread safety: the object itself is immutable, but the graph it holds is not safe for
 * concurrent {@code output} calls; {@code FssdDetector} runs a pool of replicas ({@link
 * #replica()}) for that.
 */
public final class FssdModel {
  private final FssdConfig config;
  private final ComputationGraph graph;
  private final Labels labels;
  private final Provenance provenance;
  private final @Nullable Quantization quantization; // null: not quantised
  private volatile float @Nullable [] priors;

  private FssdModel(
      FssdConfig config, ComputationGraph graph, Labels labels, Provenance provenance) {
    this(config, graph, labels, provenance, null);
  }

  private FssdModel(
      FssdConfig config,
      ComputationGraph graph,
      Labels labels,
      Provenance provenance,
      @Nullable Quantization quantization) {
    this.config = Objects.requireNonNull(config, "config");
    this.graph = Objects.requireNonNull(graph, "graph");
    this.labels = Objects.requireNonNull(labels, "labels");
    this.provenance = Objects.requireNonNull(provenance, "provenance");
    this.quantization = quantization;
    if (quantization != null) {
      quantization.checkCovers(config);
    }
    checkArgument(
        labels.numClasses() == config.numClasses(),
        "labels have %s classes (with background) but the network has %s",
        labels.numClasses(),
        config.numClasses());
  }

  /**
   * Wraps an existing graph built for {@code config} (e.g. by {@link FssdGraph} or an importer).
   */
  public static FssdModel of(
      FssdConfig config, ComputationGraph graph, Labels labels, Provenance provenance) {
    return new FssdModel(config, graph, labels, provenance);
  }

  /** A new randomly initialised model (SPEC §7 initialisation) from {@code seed}. */
  public static FssdModel create(FssdConfig config, Labels labels, long seed) {
    return new FssdModel(
        config, FssdGraph.create(config, seed), labels, Provenance.of("init seed=" + seed));
  }

  /** Reads a native model file. */
  public static FssdModel load(Path file) {
    return ModelFile.read(file);
  }

  /** Writes a native model file atomically (no optimiser state). */
  public void save(Path file) {
    ModelFile.write(this, file, false);
  }

  public FssdConfig config() {
    return config;
  }

  /** The DL4J graph; see the class Javadoc on thread safety. */
  public ComputationGraph graph() {
    return graph;
  }

  public Labels labels() {
    return labels;
  }

  public Provenance provenance() {
    return provenance;
  }

  /** A copy with other provenance (same graph instance). */
  public FssdModel withProvenance(Provenance p) {
    return new FssdModel(config, graph, labels, p, quantization);
  }

  /**
   * The int8 quantisation of the model (from {@code fssd quantize}), or null for a plain fp32
   * model. A quantised model runs in int8 on the oneDNN engine and in fp32 on the graph.
   */
  public @Nullable Quantization quantization() {
    return quantization;
  }

  /**
   * A copy with {@code q} as its quantisation (null: none), same graph instance.
   *
   * @throws IllegalArgumentException when {@code q} lacks a range the network needs
   */
  public FssdModel withQuantization(@Nullable Quantization q) {
    return new FssdModel(config, graph, labels, provenance, q);
  }

  /**
   * The prior boxes (SPEC §3), flat centre-size [P*4]: a fresh copy each call (computed once and
   * kept; a caller changing its copy cannot change what others see).
   */
  public float[] priors() {
    float[] p = priors;
    if (p == null) {
      p = PriorBoxes.generate(config.priors());
      priors = p;
    }
    return p.clone();
  }

  /** An independent copy of the network (parameters copied) for use on another thread. */
  public FssdModel replica() {
    return new FssdModel(config, graph.clone(), labels, provenance, quantization);
  }

  @Override
  public String toString() {
    return "FssdModel{"
        + config
        + ", labels="
        + labels
        + ", provenance="
        + provenance
        + (quantization != null ? ", " + quantization : "")
        + "}";
  }
}
