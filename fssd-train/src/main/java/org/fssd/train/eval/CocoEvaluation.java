package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fssd.data.CocoDataset;
import org.fssd.data.CocoObject;
import org.fssd.detect.Detection;

/**
 * SPEC §10: the official COCO bbox evaluation of a {@link CocoDataset}, as {@code pycocotools}
 * ({@code COCOeval}, iouType "bbox") computes it: every image of the dataset, the annotations as
 * the file holds them ({@link CocoDataset#cocoObjects(int)}: own {@code bbox}, {@code area} and
 * {@code iscrowd}), category ids in ascending order, at most 100 detections per image and category
 * after a stable sort by score. See {@link CocoEvaluator} for the protocol.
 *
 * <p>Stateless and thread-safe.
 */
public final class CocoEvaluation {
  private CocoEvaluation() {}

  /**
   * Scores detections of a results file ({@link CocoResultsFile#read}).
   *
   * @param detections dataset image index -> detections in file order
   */
  public static CocoResult evaluate(CocoDataset dataset, Map<Integer, List<CocoDet>> detections) {
    checkNotNull(dataset, "dataset");
    checkNotNull(detections, "detections");
    for (int i : detections.keySet()) {
      checkArgument(
          i >= 0 && i < dataset.size(), "image index %s is not in 0..%s", i, dataset.size() - 1);
    }
    CocoEvaluator ev = new CocoEvaluator(dataset.labels());
    for (int i = 0; i < dataset.size(); i++) {
      List<CocoObject> objects = dataset.cocoObjects(i);
      List<CocoGt> gts = new ArrayList<>(objects.size());
      for (CocoObject o : objects) {
        gts.add(CocoGt.of(o));
      }
      ev.addImage(dataset.annotation(i).id(), gts, detections.getOrDefault(i, List.of()));
    }
    return ev.result();
  }

  /**
   * Scores a detector's output, converted as {@link CocoResultsFile#write} writes it (so the
   * numbers equal those of the written file).
   *
   * @param detections dataset image id ({@link org.fssd.data.Annotation#id()}) -> detections
   * @throws IllegalArgumentException when an id is not a dataset image
   */
  public static CocoResult evaluateDetections(
      CocoDataset dataset, Map<String, List<Detection>> detections) {
    checkNotNull(dataset, "dataset");
    checkNotNull(detections, "detections");
    Set<String> seen = new HashSet<>();
    Map<Integer, List<CocoDet>> byIndex = new java.util.HashMap<>();
    for (int i = 0; i < dataset.size(); i++) {
      String id = dataset.annotation(i).id();
      List<Detection> ds = detections.get(id);
      if (ds == null) {
        continue;
      }
      seen.add(id);
      List<CocoDet> c = new ArrayList<>(ds.size());
      for (Detection d : ds) {
        c.add(CocoDet.of(ScoredBox.of(d)));
      }
      byIndex.put(i, c);
    }
    for (String id : detections.keySet()) {
      checkArgument(seen.contains(id), "image id %s is not an image of %s", id, dataset.name());
    }
    return evaluate(dataset, byIndex);
  }
}
