/**
 * The training computation of an FSSD network as the trainer sees it: {@link
 * org.fssd.model.training.TrainingPass} (training-mode forward to the loss input, backward to
 * DL4J-convention parameter gradients) and {@link org.fssd.model.training.TrainingPasses}, which
 * makes one on the oneDNN engine. Other modules train through these, never through the engine
 * package itself, so the engine stays core's inside.
 */
@NullMarked
package org.fssd.model.training;

import org.jspecify.annotations.NullMarked;
