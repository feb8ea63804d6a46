/**
 * The oneDNN engine (SPEC §2, DESIGN "Speed"): the FSSD network of a DL4J graph compiled into
 * oneDNN CPU primitives for fast inference, and its training computation for fast training steps.
 *
 * <ul>
 *   <li>{@link org.fssd.engine.onednn.OneDnnPlan}: compile a plan from an {@code FssdConfig} and
 *       its {@code ComputationGraph} for one batch size, then {@code run(input, loc, conf)}; gives
 *       the graph's two outputs; activations placed by liveness in one arena;
 *   <li>{@link org.fssd.engine.onednn.OneDnnWeights}: the re-ordered parameters of one model,
 *       shared (reference-counted) by all plans compiled from them;
 *   <li>{@link org.fssd.engine.onednn.OneDnnPlanSet}: plans of several batch sizes sharing one
 *       arena (one detector replica);
 *   <li>{@link org.fssd.engine.onednn.OneDnnTrainingPlan}: the training computation (forward in
 *       training mode, backward to every parameter's gradient as DL4J computes it) for one batch
 *       size; reads the graph's parameters in place at each forward; FP32, or BF16 mixed precision
 *       (bfloat16 activations and weight copies, fp32 master weights and gradients);
 *   <li>{@link org.fssd.engine.onednn.PlanOptions}: convolution algorithm (AUTO = Winograd where it
 *       applies, DIRECT, WINOGRAD) and precision (FP32; BF16 on CPUs with AVX512_BF16; INT8 for
 *       quantised models, inference only).
 * </ul>
 *
 * <p>Uses the JavaCPP bindings {@code org.bytedeco:dnnl} (oneDNN 2.5, independent of the oneDNN
 * linked into ND4J). Threads: OpenMP, {@code OMP_NUM_THREADS} set before the JVM starts.
 *
 * <p>Thread safety: {@code PlanOptions} is immutable; {@code OneDnnWeights} may be read by many
 * plans on many threads at once. A plan (or plan set) writes its arena when it runs, so it is used
 * by one thread at a time, but by any thread: it uses no oneDNN per-thread state (user-managed
 * scratchpads), so compiling on one thread and running on others is fine. Two threads running plans
 * of one arena at once get an {@code IllegalStateException}.
 */
@NullMarked
package org.fssd.engine.onednn;

import org.jspecify.annotations.NullMarked;
