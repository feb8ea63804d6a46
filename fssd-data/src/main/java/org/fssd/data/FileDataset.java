package org.fssd.data;

import static com.google.common.base.Preconditions.checkElementIndex;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.nio.file.Path;
import java.util.List;
import org.fssd.ImageDecodeException;
import org.fssd.image.BgrImage;
import org.fssd.image.ImageLoader;
import org.fssd.model.Labels;

/**
 * A dataset whose annotations were read up front and whose images are files ({@link
 * Annotation#image()} is the path). The base of {@link VocDataset}, {@link CocoDataset} and {@link
 * CustomDataset}. Immutable and thread-safe.
 */
public abstract class FileDataset implements DetectionDataset {
  private final String name;
  private final Labels labels;
  private final ImmutableList<Annotation> annotations;
  private final boolean keepDifficult;
  private final DataProblems problems;
  private final ImageLoader loader;

  /** Subclasses pass what they read. */
  protected FileDataset(
      String name,
      Labels labels,
      List<Annotation> annotations,
      boolean keepDifficult,
      DataProblems problems,
      ImageLoader loader) {
    this.name = checkNotNull(name, "name");
    this.labels = checkNotNull(labels, "labels");
    this.annotations = ImmutableList.copyOf(annotations);
    this.keepDifficult = keepDifficult;
    this.problems = checkNotNull(problems, "problems");
    this.loader = checkNotNull(loader, "loader");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Labels labels() {
    return labels;
  }

  @Override
  public int size() {
    return annotations.size();
  }

  @Override
  public Annotation annotation(int index) {
    checkElementIndex(index, annotations.size(), "index");
    return annotations.get(index);
  }

  /** All annotations, in index order. */
  public List<Annotation> annotations() {
    return annotations;
  }

  /**
   * {@inheritDoc}
   *
   * @throws ImageDecodeException also when the decoded size differs from the annotation's
   */
  @Override
  public BgrImage loadImage(int index) {
    Annotation a = annotation(index);
    BgrImage img = loader.load(Path.of(a.image()));
    if (img.width() != a.width() || img.height() != a.height()) {
      int w = img.width();
      int h = img.height();
      img.close();
      throw new ImageDecodeException(
          "image "
              + a.image()
              + ": decoded size "
              + w
              + "x"
              + h
              + " differs from the annotated size "
              + a.width()
              + "x"
              + a.height());
    }
    return img;
  }

  @Override
  public boolean keepDifficult() {
    return keepDifficult;
  }

  @Override
  public DataProblems problems() {
    return problems;
  }

  @Override
  public String toString() {
    return getClass().getSimpleName()
        + "{"
        + name
        + ", "
        + size()
        + " images, "
        + (labels.numClasses() - 1)
        + " classes, "
        + problems
        + "}";
  }
}
