package org.fssd.cli;

import org.fssd.engine.onednn.PlanOptions;
import org.fssd.train.TrainingEngine;
import picocli.CommandLine.Option;

/**
 * Shared options of the commands that train ({@code fssd train}, {@code fssd prune}'s sparse
 * training and fine-tuning): {@code --engine graph|plan} and {@code --conv-algorithm auto|direct}.
 */
final class EngineOptions {
  @Option(
      names = "--engine",
      paramLabel = "graph|plan",
      description =
          "how updates are computed: plan = oneDNN training plan (several times faster on the CPU), graph = DL4J's own fit (the reference; the path for a CUDA backend); the same loss, updater and schedule either way (default: plan on the CPU backend, else graph)")
  TrainingEngine engine;

  @Option(
      names = "--conv-algorithm",
      defaultValue = "auto",
      paramLabel = "auto|direct",
      description =
          "convolutions of --engine plan: auto = Winograd on large maps (fastest), direct = the gradients of --engine graph to fp32 rounding (default: ${DEFAULT-VALUE})")
  PlanOptions.Algorithm convAlgorithm = PlanOptions.Algorithm.AUTO;

  /** The engine given, else the default of this backend. */
  TrainingEngine engine() {
    return engine != null ? engine : TrainingEngine.defaultEngine();
  }
}
