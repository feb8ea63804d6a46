/**
 * The detector API an application uses (SPEC §1 and §9).
 *
 * <p>Entry point: {@link org.fssd.detect.FssdDetector} (builder, {@code detect}, {@code
 * detectBatch}, {@code AutoCloseable}); results are immutable {@link org.fssd.detect.Detection}s
 * (class index, label, score, box in pixels of the ORIGINAL image); class names come from {@link
 * org.fssd.detect.Labels}. {@link org.fssd.detect.DetectionPostprocessor} is the SPEC §9 step
 * (softmax, decode, strict score threshold, per-class greedy NMS, per-image cap) on raw network
 * outputs, usable on its own.
 *
 * <p>Thread safety: {@code FssdDetector} and {@code DetectionPostprocessor} are safe for
 * concurrent use; {@code Detection} and {@code Labels} are immutable. Stability: public API.
 */
@NullMarked
package org.fssd.detect;

import org.jspecify.annotations.NullMarked;
