/**
 * Images in and out: decoding to 8-bit BGR, the network's input preprocessing (SPEC §1), and
 * drawing detections.
 *
 * <ul>
 *   <li>{@link org.fssd.image.ImageLoader} — files, encoded bytes, {@link
 *       java.awt.image.BufferedImage}s and raw BGR bytes to {@link org.fssd.image.BgrImage}, with a
 *       pixel limit checked from the header before decoding; every failure is an {@link
 *       org.fssd.ImageDecodeException} naming the image.
 *   <li>{@link org.fssd.image.BgrImage} — an 8-bit BGR OpenCV {@code Mat} with a name; {@code
 *       AutoCloseable}, use after close fails naming the call.
 *   <li>{@link org.fssd.image.Preprocessor} — SPEC §1: OpenCV {@code INTER_LINEAR} resize of the
 *       8-bit image to S x S, mean subtraction (B 104, G 117, R 123), CHW / NCHW floats with
 *       channel 0 = B, into arrays, {@link java.nio.FloatBuffer}s or ND4J arrays.
 *   <li>{@link org.fssd.image.Annotator} and {@link org.fssd.image.AnnotatedBox} — labelled boxes
 *       drawn on a copy of an image, PNG encoding, atomic file writes.
 *   <li>{@link org.fssd.image.Palette} — the colours and font shared by annotated images and the
 *       charts of fssd-plots.
 * </ul>
 *
 * <p>Decoding, resizing, colour conversion, drawing and encoding are OpenCV's (bytedeco {@code
 * opencv} 4.5.5-1.5.7), as in the PyTorch reference, so that the pixels match it.
 *
 * <p>Thread safety: {@code ImageLoader}, {@code Preprocessor} and {@code Annotator} are immutable
 * and safe to share between threads; a {@code BgrImage} may be read from several threads but must
 * not be closed while in use.
 */
@NullMarked
package org.fssd.image;

import org.jspecify.annotations.NullMarked;
