package org.fssd.data;

import static com.google.common.base.Preconditions.checkNotNull;

import org.fssd.image.BgrImage;

/**
 * One image of a dataset with its annotation. Owns the image: {@link #close()} closes it.
 *
 * @param annotation the annotation (boxes in pixels of {@code image})
 * @param image the decoded 8-bit BGR image, {@code annotation.width() x annotation.height()}
 */
public record Sample(Annotation annotation, BgrImage image) implements AutoCloseable {

  /** Checks both are present. */
  public Sample {
    checkNotNull(annotation, "annotation");
    checkNotNull(image, "image");
  }

  /** Closes the image. */
  @Override
  public void close() {
    image.close();
  }
}
