package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fssd.data.Annotation;
import org.fssd.data.DetectionDataset;

/**
 * SPEC §10: scores detections given per image id against a dataset with the VOC rules of {@link
 * ApAccumulator}, e.g. the result files of any detector ({@link #evaluateFiles}).
 *
 * <p>Dataset images are added in dataset order (this decides the order of equal scores); images
 * without detections still contribute their positives. Stateless and thread-safe.
 */
public final class VocEvaluation {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(VocEvaluation.class);

  private VocEvaluation() {}

  /**
   * Evaluates detections keyed by file image id ({@link VocResultFiles#fileImageId}).
   *
   * @throws EvalException when an id matches no dataset image, or two dataset images share a file
   *     id
   */
  public static EvalResult evaluate(
      DetectionDataset dataset,
      Map<String, ? extends List<ScoredBox>> detections,
      ApMethod method) {
    checkNotNull(dataset, "dataset");
    checkNotNull(detections, "detections");
    checkNotNull(method, "method");
    Map<String, String> byFileId = new HashMap<>();
    for (int i = 0; i < dataset.size(); i++) {
      String id = dataset.annotation(i).id();
      String before = byFileId.put(VocResultFiles.fileImageId(id), id);
      if (before != null) {
        throw new EvalException(
            "dataset "
                + dataset.name()
                + ": images '"
                + before
                + "' and '"
                + id
                + "' share the result-file id '"
                + VocResultFiles.fileImageId(id)
                + "'");
      }
    }
    for (String id : detections.keySet()) {
      if (!byFileId.containsKey(id)) {
        throw new EvalException(
            "detections name image '"
                + id
                + "', which dataset "
                + dataset.name()
                + " does not have");
      }
    }
    ApAccumulator acc = new ApAccumulator(dataset.labels());
    for (int i = 0; i < dataset.size(); i++) {
      Annotation a = dataset.annotation(i);
      List<ScoredBox> d = detections.get(VocResultFiles.fileImageId(a.id()));
      acc.add(a.id(), a.boxes(), d == null ? List.of() : d);
    }
    return acc.result(method);
  }

  /**
   * Reads {@code comp4_det_<imageSet>_<class>.txt} for every class of the dataset from {@code dir}
   * and evaluates them. Boxes with swapped corners are scored as the reference scores them, with
   * one logged warning ({@link VocResultFiles.Read#warning()}).
   *
   * @throws EvalException when a file is missing or malformed, or names an unknown image
   */
  public static EvalResult evaluateFiles(
      DetectionDataset dataset, Path dir, String imageSet, ApMethod method) {
    VocResultFiles.Read read = VocResultFiles.readFiles(dir, imageSet, dataset.labels());
    if (read.warning() != null) {
      LOG.warn("{}: {}", dir, read.warning());
    }
    return evaluate(dataset, read.detections(), method);
  }
}
