/**
 * The oneDNN inference engine (SPEC §2, DESIGN "Speed"): the FSSD network of a DL4J graph compiled
 * into oneDNN CPU primitives for fast inference.
 *
 * <ul>
 *   <li>{@link org.fssd.engine.onednn.OneDnnPlan}: compile a plan from an {@code FssdConfig} and its
 *       {@code ComputationGraph} for one batch size, then {@code run(input, loc, conf)}; gives the
 *       graph's two outputs;
 *   <li>{@link org.fssd.engine.onednn.PlanOptions}: convolution algorithm (AUTO = Winograd where it
 *       applies, DIRECT, WINOGRAD) and precision (FP32; BF16 on CPUs with AVX512_BF16).
 * </ul>
 *
 * <p>Uses the JavaCPP bindings {@code org.bytedeco:dnnl} (oneDNN 2.5, independent of the oneDNN
 * linked into ND4J). Threads: OpenMP, {@code OMP_NUM_THREADS} set before the JVM starts.
 *
 * <p>Thread safety: {@code PlanOptions} is immutable; a {@code OneDnnPlan} holds its buffers and
 * must be confined to one thread (one plan per thread).
 */
package org.fssd.engine.onednn;
