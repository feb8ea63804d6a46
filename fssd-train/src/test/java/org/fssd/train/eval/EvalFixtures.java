package org.fssd.train.eval;

import java.util.List;
import org.fssd.box.Box;
import org.fssd.data.Annotation;
import org.fssd.data.BadInputPolicy;
import org.fssd.data.DataProblems;
import org.fssd.data.DetectionDataset;
import org.fssd.data.FileDataset;
import org.fssd.data.GtBox;
import org.fssd.image.ImageLoader;
import org.fssd.model.Labels;

/** Small helpers for the evaluation tests. */
final class EvalFixtures {
  private EvalFixtures() {}

  static Box box(float x1, float y1, float x2, float y2) {
    return Box.of(x1, y1, x2, y2);
  }

  static GtBox gt(int label, Box b) {
    return GtBox.of(b, label);
  }

  static GtBox difficult(int label, Box b) {
    return new GtBox(b, label, true, false);
  }

  static GtBox crowd(int label, Box b) {
    return new GtBox(b, label, false, true);
  }

  static ScoredBox det(int label, double score, Box b) {
    return new ScoredBox(label, score, b);
  }

  /**
   * A dataset of annotations only: a {@link FileDataset} whose image paths are never read (the
   * evaluation tests only look at annotations). Keeps difficult objects, as the default does.
   */
  static DetectionDataset dataset(Labels labels, List<Annotation> annotations) {
    return new FileDataset(
        "test",
        labels,
        annotations,
        true,
        new DataProblems(BadInputPolicy.FAIL),
        ImageLoader.defaults()) {};
  }
}
