package org.fssd.cli;

import org.fssd.engine.onednn.PlanOptions;
import org.fssd.train.TrainingEngine;
import picocli.CommandLine.Option;

/**
 * Shared options of the commands that train ({@code fssd train}, {@code fssd prune}'s sparse
 * training and fine-tuning): {@code --engine graph|plan}, {@code --conv-algorithm auto|direct} and
 * {@code --precision fp32|bf16}.
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

  @Option(
      names = "--precision",
      defaultValue = "fp32",
      paramLabel = "fp32|bf16",
      description =
          "arithmetic of --engine plan: fp32, or bf16 = mixed precision (bfloat16 activations and weight copies, fp32 master weights, gradients, loss and optimiser; needs a CPU with AVX512_BF16) (default: ${DEFAULT-VALUE})")
  PlanOptions.Precision precision = PlanOptions.Precision.FP32;

  /** The engine given, else the default of this backend. */
  TrainingEngine engine() {
    return engine != null ? engine : TrainingEngine.defaultEngine();
  }
}
