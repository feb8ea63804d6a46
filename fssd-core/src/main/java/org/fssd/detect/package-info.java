/**
 * The detector API an application uses (SPEC §1 and §9).
 *
 * <p>Entry point: {@link org.fssd.detect.FssdDetector} (builder, {@code detect}, {@code
 * detectBatch}, {@code AutoCloseable}); results are immutable {@link org.fssd.detect.Detection}s
 * (class index, label, score, box in pixels of the ORIGINAL image); class names come from {@link
 * org.fssd.model.Labels}. {@link org.fssd.detect.DetectionPostprocessor} is the SPEC §9 step
 * (softmax, decode, strict score threshold, per-class greedy NMS, per-image cap) on raw network
 * outputs, usable on its own. {@link org.fssd.detect.DetectorSettings} is the one settings value
 * (thresholds, caps, pixel limit, clipping, replicas) the detector, the service, Spark and the CLI
 * take; {@link org.fssd.detect.DetectionJson} writes the per-image detection JSON they share.
 *
 * <p>Thread safety: {@code FssdDetector} and {@code DetectionPostprocessor} are safe for concurrent
 * use; {@code Detection} and {@code Labels} are immutable. Stability: public API.
 */
@NullMarked
package org.fssd.detect;

import org.jspecify.annotations.NullMarked;
