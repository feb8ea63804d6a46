package org.fssd.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import org.fssd.data.DetectionDataset;
import org.fssd.detect.FssdDetector;
import org.fssd.model.FssdModel;
import org.fssd.train.eval.ApMethod;
import org.fssd.train.eval.DetectorEvaluation;
import org.fssd.train.eval.EvalResult;

/**
 * Evaluation on a held-out dataset while training (set with {@link
 * FssdTrainer.Builder#evaluateEvery}): every {@code every} iterations, and once more when the
 * planned epochs are done, the current parameters are run as an {@link FssdDetector} (score
 * threshold 0.01, as for {@code fssd eval}) over every image of the held-out set and scored with
 * {@link DetectorEvaluation} (default VOC07 11-point AP).
 *
 * <p>A run stopped early by {@link FssdTrainer.Builder#maxIterations} is treated as interrupted: it
 * evaluates only at multiples of {@code every}, so that stopping and resuming gives the same
 * evaluations as an uninterrupted run.
 *
 * <p>Immutable; {@link #evaluate} may run on any thread but uses the CPU heavily.
 *
 * @param dataset the held-out images (labels as the training set's)
 * @param every iterations between evaluations ({@code >= 1})
 * @param method the AP method
 * @param batchSize images per forward pass
 */
public record EvalDuringTraining(
    DetectionDataset dataset, int every, ApMethod method, int batchSize) {

  /** The score threshold of evaluation (as the reference's test script). */
  public static final float SCORE_THRESHOLD = 0.01f;

  /** Checks the settings. */
  public EvalDuringTraining {
    checkNotNull(dataset, "dataset");
    checkNotNull(method, "method");
    checkArgument(every >= 1, "evaluation interval must be >= 1 iteration, got %s", every);
    checkArgument(batchSize >= 1, "evaluation batch size must be >= 1, got %s", batchSize);
    checkArgument(dataset.size() >= 1, "held-out dataset %s is empty", dataset.name());
  }

  /** Whether an evaluation is due after {@code iteration} updates. */
  public boolean dueAt(long iteration) {
    return iteration > 0 && iteration % every == 0;
  }

  /** Runs {@code model} over the held-out set and scores it. */
  public EvalResult evaluate(FssdModel model) {
    checkArgument(
        model.labels().equals(dataset.labels()),
        "the model's labels %s differ from the held-out set's %s",
        model.labels(),
        dataset.labels());
    try (FssdDetector detector =
        FssdDetector.builder().model(model).scoreThreshold(SCORE_THRESHOLD).build()) {
      return DetectorEvaluation.evaluate(detector, dataset, method, batchSize, null, null);
    }
  }
}
