package org.fssd.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.fssd.data.ShapesDataset;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.model.FssdConfig;
import org.fssd.train.TrainingGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One fixed training batch for the training-step benchmarks: images of the synthetic shapes dataset
 * (seed {@value #DATA_SEED}, 400 x 300 px) through the real training pipeline ({@link
 * FssdDataSetIterator}: SPEC §8 augmentation, SPEC §5 matching), the first batch of epoch 0.
 *
 * <p>It can be written as {@code .npy} files for {@code tools/reference/train_step_timing.py}, so
 * that PyTorch trains on exactly the same tensors: {@value #INPUT} (float32 [B, 3, S, S], BGR,
 * means subtracted), {@value #LOC_TARGETS} (float32 [B, P, 4]) and {@value #CLASS_TARGETS} (float32
 * [B, P], integer class ids, 0 = background). Immutable.
 */
public final class TrainBatch {
  /** Seed of the shapes dataset and of the iterator. */
  public static final long DATA_SEED = 7;

  /** File name of the images. */
  public static final String INPUT = "train_input.npy";

  /** File name of the loc targets. */
  public static final String LOC_TARGETS = "train_loc_t.npy";

  /** File name of the class targets. */
  public static final String CLASS_TARGETS = "train_conf_t.npy";

  private final INDArray features;
  private final INDArray locTargets;
  private final INDArray classTargets;

  private TrainBatch(INDArray features, INDArray locTargets, INDArray classTargets) {
    this.features = features;
    this.locTargets = locTargets;
    this.classTargets = classTargets;
  }

  /** The first batch of {@code batch} shapes images matched to {@code config}'s priors. */
  public static TrainBatch shapes(FssdConfig config, int batch) {
    Objects.requireNonNull(config, "config");
    checkArgument(batch >= 1, "batch must be >= 1, got %s", batch);
    ShapesDataset shapes =
        ShapesDataset.builder().count(batch).imageSize(400, 300).seed(DATA_SEED).build();
    try (FssdDataSetIterator it =
        FssdDataSetIterator.builder(shapes, config.priors())
            .batchSize(batch)
            .seed(DATA_SEED)
            .shuffle(false)
            .workers(1)
            .build()) {
      MultiDataSet m = it.next();
      return new TrainBatch(m.getFeatures(0), m.getLabels(0), m.getLabels(1));
    }
  }

  /** Reads a batch written by {@link #write(Path)} from {@code dir}. */
  public static TrainBatch read(Path dir) {
    INDArray x = Nd4j.createFromNpyFile(dir.resolve(INPUT).toFile()).castTo(DataType.FLOAT);
    INDArray loc = Nd4j.createFromNpyFile(dir.resolve(LOC_TARGETS).toFile()).castTo(DataType.FLOAT);
    INDArray cls =
        Nd4j.createFromNpyFile(dir.resolve(CLASS_TARGETS).toFile()).castTo(DataType.FLOAT);
    checkArgument(
        x.rank() == 4 && loc.rank() == 3 && cls.rank() == 2,
        "batch in %s has shapes %s, %s, %s; expected [B,3,S,S], [B,P,4], [B,P]",
        dir,
        Arrays.toString(x.shape()),
        Arrays.toString(loc.shape()),
        Arrays.toString(cls.shape()));
    long b = x.size(0);
    return new TrainBatch(x, loc.reshape('c', b, loc.size(1) * 4), cls);
  }

  /** Writes the three {@code .npy} files into {@code dir}. */
  public void write(Path dir) {
    long b = features.size(0);
    long p = classTargets.size(1);
    try {
      Nd4j.writeAsNumpy(features.dup('c'), file(dir, INPUT));
      Nd4j.writeAsNumpy(locTargets.dup('c').reshape('c', b, p, 4), file(dir, LOC_TARGETS));
      Nd4j.writeAsNumpy(classTargets.dup('c'), file(dir, CLASS_TARGETS));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the training batch to " + dir, e);
    }
  }

  private static File file(Path dir, String name) {
    return dir.resolve(name).toFile();
  }

  /** Images, [B, 3, S, S]. */
  public INDArray features() {
    return features;
  }

  /** Batch size B. */
  public int size() {
    return (int) features.size(0);
  }

  /** Number of positive priors (class target > 0) over the batch. */
  public int positives() {
    return classTargets.gt(0).castTo(DataType.INT).sumNumber().intValue();
  }

  /** The batch as the training graph takes it: features and {@link TrainingGraph#labels} labels. */
  public MultiDataSet toTrainingData() {
    MultiDataSet m =
        new MultiDataSet(new INDArray[] {features}, new INDArray[] {locTargets, classTargets});
    return new MultiDataSet(new INDArray[] {features}, new INDArray[] {TrainingGraph.labels(m)});
  }
}
