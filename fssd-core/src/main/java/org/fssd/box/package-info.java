/**
 * Boxes, priors, box coding and non-maximum suppression: the numeric core shared by detection and
 * training.
 *
 * <ul>
 *   <li>{@link org.fssd.box.Box}: an immutable float box in point form with the two IoU conventions
 *       (continuous for matching, +1 pixel for NMS and VOC evaluation);
 *   <li>{@link org.fssd.box.PriorConfig} and {@link org.fssd.box.PriorBoxes} (SPEC §3): the prior
 *       settings with the reference presets, and the generator of the flat centre-size prior array;
 *   <li>{@link org.fssd.box.BoxCoder} (SPEC §4): encode / decode in the float32 order of the
 *       reference, on flat arrays without allocation;
 *   <li>{@link org.fssd.box.Nms} (SPEC §9): greedy float32 NMS, allocation-free in steady state.
 * </ul>
 *
 * <p>Units: priors, offsets and training boxes are relative to the S x S network input ([0, 1]);
 * NMS runs on detection boxes in pixels of the original image.
 *
 * <p>Thread safety: {@code Box}, {@code PriorConfig}, {@code BoxCoder} are immutable and {@code
 * PriorBoxes} is stateless, all thread-safe; an {@code Nms} instance holds reusable buffers and
 * must be confined to one thread.
 *
 * <p>Stability: the public API of this package is stable; package-private members are not.
 */
@NullMarked
package org.fssd.box;

import org.jspecify.annotations.NullMarked;
