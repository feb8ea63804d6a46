/**
 * SPEC §7: the reference's optimisation on DL4J. {@link org.fssd.train.optim.PyTorchSgd} (PyTorch
 * heavy-ball momentum SGD, an {@code IUpdater} with its {@code GradientUpdater} {@link
 * org.fssd.train.optim.PyTorchSgdUpdater}), {@link org.fssd.train.optim.WarmupStepSchedule}
 * (warm-up then step decay, an {@code ISchedule}), and {@link
 * org.fssd.train.optim.TrainingConfigurer}, which installs updater and weight decay on a graph
 * configuration (BN gamma/beta included, through {@link
 * org.fssd.train.optim.DecayedBatchNormalization}). Configuration classes are immutable or copied;
 * updaters are used by one training thread.
 */
package org.fssd.train.optim;
