package org.fssd.train;

import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Path;
import java.util.Arrays;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.FssdModel;
import org.fssd.model.Provenance;

/**
 * Turns training checkpoints into inference models: for evaluating or shipping an intermediate
 * checkpoint of a run (the best one need not be the last), without resuming the run. Also the one
 * place that writes a trained model's provenance, shared with {@link FssdTrainer#model()}.
 */
public final class CheckpointModels {
  private CheckpointModels() {}

  /**
   * The inference model (parameters, config, labels) of checkpoint {@code file}, with the run's
   * provenance and {@code train.checkpoint} naming the file.
   *
   * @throws org.fssd.ModelFormatException when the file is not a readable checkpoint
   */
  public static FssdModel load(Path file) {
    checkNotNull(file, "file");
    Checkpoints.Loaded c = Checkpoints.read(file);
    TrainingState s = c.state();
    ComputationGraph inference = TrainingGraph.toInference(s.config(), c.graph());
    Provenance p = provenance(s).with("train.checkpoint", file.getFileName().toString());
    return FssdModel.of(s.config(), inference, s.labels(), p);
  }

  /** The provenance entries of a model trained up to {@code state}. */
  static Provenance provenance(TrainingState state) {
    return Provenance.of("fssd4j train")
        .with("train.dataset", state.dataset() + " (" + state.datasetSize() + " images)")
        .with("train.iterations", Long.toString(state.iteration()))
        .with("train.epoch", state.epoch() + " of " + state.epochs())
        .with("train.batchSize", Integer.toString(state.batchSize()))
        .with("train.seed", Long.toString(state.seed()))
        .with(
            "train.optimizer",
            "SGD momentum " + state.momentum() + ", weight decay " + state.weightDecay())
        .with(
            "train.lr",
            "base "
                + state.baseLr()
                + ", warmup "
                + state.warmup()
                + ", x"
                + state.decayFactor()
                + " at epochs "
                + Arrays.toString(state.decayEpochs()))
        .with("train.init", state.initSource());
  }
}
