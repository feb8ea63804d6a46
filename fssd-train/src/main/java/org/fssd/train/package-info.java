/**
 * SPEC §6-7: training. {@link org.fssd.train.FssdTrainer} (entry point: builder, {@code train()},
 * {@code resume}) runs epochs over {@code FssdDataSetIterator} on a {@link
 * org.fssd.train.TrainingGraph} (inference graph + MultiBox loss layer), reports to {@link
 * org.fssd.train.TrainingListener}s and writes atomic {@link org.fssd.train.Checkpoints} holding
 * the optimiser state, the {@link org.fssd.train.TrainingState} and the {@link
 * org.fssd.train.TrainingHistory} (losses per iteration, evaluations on a held-out set made by
 * {@link org.fssd.train.EvalDuringTraining}). Subpackages: {@code loss} (SPEC §6), {@code optim}
 * (SPEC §7). A trainer is used by one thread; value classes are immutable.
 */
package org.fssd.train;
