/**
 * Network slimming (SPEC §11): pruning a BN-variant FSSD (SPEC §2.7) by the |gamma| of its
 * BatchNorm channels, and the weight surgery that moves the kept slices into a network of the new
 * widths (SPEC §2.8). Sparsity training (the L1 term) and fine-tuning belong to the trainer.
 *
 * <ul>
 *   <li>{@link org.fssd.prune.Pruner}: entry point — {@code prune(model, options)} selects and
 *       copies; {@code apply(model, selection)} copies a given selection;
 *   <li>{@link org.fssd.prune.PruneOptions}: percent (default 0.5), minimum channels per layer
 *       (default 1, overridable per layer), excluded layers;
 *   <li>{@link org.fssd.prune.ChannelSelection}: the global threshold and the kept channels of
 *       every body convolution, with the producer of every input (concat offsets included);
 *   <li>{@link org.fssd.prune.PruneReport}: widths before/after, parameters, fp32 size, GMACs;
 *   <li>{@link org.fssd.prune.PruneResult}: selection + pruned model + report;
 *   <li>{@link org.fssd.prune.IterativePruner}: R rounds of sparse training -> pruning ->
 *       fine-tuning (training steps as hooks), each round's model saved and measured.
 * </ul>
 *
 * <p>Thread safety: options, selections, reports and results are immutable; {@code Pruner} is
 * stateless. The pruned model's graph is a fresh object owned by the caller.
 *
 * <p>Stability: new in 0.1; the public API may still change.
 */
package org.fssd.prune;
