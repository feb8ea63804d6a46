/**
 * SPEC §6: the MultiBox training loss. {@link org.fssd.train.loss.MultiBoxLoss} is both a plain
 * function of a batch's loc/conf outputs and targets ({@code compute}, {@code gradient}) and a DL4J
 * {@code ILossFunction} for the {@code LossLayer} of a training graph. Immutable and thread-safe.
 */
package org.fssd.train.loss;
