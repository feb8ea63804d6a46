/**
 * The FSSD network (SPEC §2): configuration, topology and model files.
 *
 * <p>{@link org.fssd.model.FssdConfig} (immutable, validated; presets {@code voc300()}, {@code
 * voc512()}, {@code coco300()}, {@code coco512()}) holds input size, classes, BN variant, every
 * convolution width ({@link org.fssd.model.Widths}, SPEC §2.8) and the priors; its {@link
 * org.fssd.model.ConvSpec} list is the layer table every other part (graph builder, importer,
 * pruner) walks. {@link org.fssd.model.FssdGraph} builds the DL4J {@code ComputationGraph} with
 * vertex names equal to the reference's state_dict names. {@link org.fssd.model.FssdModel} = config
 * + graph + labels + {@link org.fssd.model.Provenance}; {@link org.fssd.model.ModelFile} is the
 * native file format (versioned, written atomically).
 *
 * <p>Thread safety: configs, widths and provenance are immutable; a {@code ComputationGraph} is not
 * safe for concurrent use (see {@code FssdDetector} for a replica pool).
 */
@NullMarked
package org.fssd.model;

import org.jspecify.annotations.NullMarked;
