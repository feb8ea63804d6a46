/**
 * fssd4j: FSSD (Feature Fusion Single Shot Multibox Detector) for the JVM.
 *
 * <p>This package holds the exception hierarchy shared by every module: {@link
 * org.fssd.FssdException} and its subclasses {@link org.fssd.ModelFormatException} (model and
 * checkpoint files) and {@link org.fssd.ImageDecodeException} (images), and {@link
 * org.fssd.Checks}, the range checks that settings classes share. The API an application uses lives
 * in {@code org.fssd.detect}; the network in {@code org.fssd.model}; priors, box coding and NMS in
 * {@code org.fssd.box}; PyTorch checkpoint import in {@code org.fssd.io.pytorch}.
 */
@NullMarked
package org.fssd;

import org.jspecify.annotations.NullMarked;
