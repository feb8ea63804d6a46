/**
 * SPEC §8: the reference's training augmentation, one small class per step — {@link
 * org.fssd.data.augment.RandomIoUCrop}, {@link org.fssd.data.augment.PhotometricDistort}, {@link
 * org.fssd.data.augment.Expand}, {@link org.fssd.data.augment.Mirror}, {@link
 * org.fssd.data.augment.RandomResize} — composed by {@link org.fssd.data.augment.TrainTransform};
 * {@link org.fssd.data.augment.EvalTransform} is the deterministic SPEC §1 transform. Steps work on
 * an {@link org.fssd.data.augment.AugmentedImage} (8-bit BGR Mat + pixel boxes); the result is an
 * {@link org.fssd.data.augment.AugmentedSample} (CHW floats + relative boxes + per-box weights).
 * {@link org.fssd.data.augment.Mixup} (settings {@link org.fssd.data.augment.MixupOptions}) blends
 * two samples after their geometric steps, beyond the reference (Zhang et al. 2019); its per-box
 * weights reach the loss through the matcher.
 *
 * <p>All randomness comes from a {@link java.util.SplittableRandom} passed in, made by {@link
 * org.fssd.data.augment.Rng#forSample(long, long, long)} from (seed, epoch, index), so a sample is
 * reproducible regardless of threads. Step objects are immutable and thread-safe; an {@code
 * AugmentedImage} belongs to one thread.
 */
package org.fssd.data.augment;
