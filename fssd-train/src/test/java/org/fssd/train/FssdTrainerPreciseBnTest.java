package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fssd.train.TrainTestFixtures.shapes;
import static org.fssd.train.TrainTestFixtures.tinyShapesConfig;

import java.nio.file.Path;
import java.util.Map;
import org.fssd.data.ShapesDataset;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.testing.FloatArrays;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link FssdTrainer.Builder#preciseBnBatches(int)}: the returned model's BN running statistics are
 * those {@link PreciseBatchNorm} measures on the first k batches of the run's data, every other
 * parameter is the trained one, the checkpoints keep the raw running averages, the provenance
 * records it, and a network without BN is left alone.
 */
// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class FssdTrainerPreciseBnTest {
  // the seed and batch size of TrainTestFixtures.tinyRun, for the iterator that replays its batches
  private static final int SEED = 11;
  private static final int BATCH = 2;

  private static FssdConfig tiny(boolean bn) {
    return tinyShapesConfig().toBuilder().batchNorm(bn).build();
  }

  private static FssdTrainer.Builder tinyRun(ShapesDataset data, boolean bn) {
    return TrainTestFixtures.tinyRun(data, tiny(bn))
        .epochs(1)
        .warmup(Warmup.NONE)
        .decayEpochs()
        .workers(2);
  }

  private static boolean isStat(String param) {
    return param.endsWith("_mean") || param.endsWith("_var");
  }

  /** max |a - b| over all entries, in double. */
  private static double maxDiff(INDArray a, INDArray b) {
    return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
  }

  @Test
  void finalModelHasPreciseBnStatisticsAndTheTrainedWeights(@TempDir Path dir) {
    ShapesDataset data = shapes(6); // 3 batches per epoch
    Path ckpt = dir.resolve("run");
    FssdTrainer trainer = tinyRun(data, true).preciseBnBatches(2).checkpointDir(ckpt).build();
    FssdModel precise = trainer.train();

    // The checkpoint keeps the raw running averages: it is the model without precise BN.
    FssdModel raw = CheckpointModels.load(Checkpoints.latest(ckpt).orElseThrow());
    assertThat(raw.provenance().asMap()).doesNotContainKey("bn.recalibrated");

    // Expected: PreciseBatchNorm on the same 2 batches (epoch 0 of the run's seed and batch size,
    // default transform), applied to the raw model.
    FssdModel expected;
    try (FssdDataSetIterator it =
        FssdDataSetIterator.builder(data, tiny(true).priors())
            .batchSize(BATCH)
            .seed(SEED)
            .workers(1)
            .build()) {
      expected = PreciseBatchNorm.recalibrate(raw, PreciseBatchNorm.features(it, 2), "expected");
    }

    Map<String, INDArray> got = precise.graph().paramTable();
    Map<String, INDArray> rawParams = raw.graph().paramTable();
    Map<String, INDArray> want = expected.graph().paramTable();
    assertThat(got.keySet()).isEqualTo(rawParams.keySet());
    int stats = 0;
    for (Map.Entry<String, INDArray> e : got.entrySet()) {
      String k = e.getKey();
      if (isStat(k)) {
        stats++;
        // Same batches through the same code on the same weights: equal up to float summation
        // order, 1e-5 relative to max(1, max |expected|).
        double scale = Math.max(1, FloatArrays.maxAbs(want.get(k)));
        FloatArrays.assertClose(e.getValue(), want.get(k), 1e-5, 1e-5 * scale, k);
      } else {
        assertThat(e.getValue()).as(k).isEqualTo(rawParams.get(k));
      }
    }
    assertThat(stats).isGreaterThan(10);
    // ... and they are not the running averages of training (momentum 0.01 over 3 updates).
    assertThat(
            maxDiff(
                precise.graph().getParam("base.0.bn_var"), raw.graph().getParam("base.0.bn_var")))
        .isGreaterThan(1e-3);

    // Provenance: recalibrated, over how many batches; the rest is the run's.
    assertThat(precise.provenance().get("train.preciseBn")).isEqualTo("2");
    assertThat(precise.provenance().get("bn.recalibrated")).startsWith("2 batches of 2 from ");
    assertThat(precise.provenance().get("train.iterations")).isEqualTo("3");
    assertThat(raw.provenance().asMap()).doesNotContainKey("train.preciseBn");

    // model() after train() gives (a copy of) the same model.
    FssdModel again = trainer.model();
    assertThat(again.graph().params()).isEqualTo(precise.graph().params());
    assertThat(again.provenance()).isEqualTo(precise.provenance());

    // The same run without the option trains the same weights (1e-5 as straight vs resumed in
    // FssdTrainerTest: multi-threaded float reductions).
    FssdModel plainRun = tinyRun(data, true).build().train();
    assertThat(plainRun.provenance().asMap()).doesNotContainKey("train.preciseBn");
    assertThat(plainRun.provenance().asMap()).doesNotContainKey("bn.recalibrated");
    for (Map.Entry<String, INDArray> e : plainRun.graph().paramTable().entrySet()) {
      if (!isStat(e.getKey())) {
        FloatArrays.assertClose(
            e.getValue(),
            got.get(e.getKey()),
            1e-5,
            1e-5,
            e.getKey() + " without vs with preciseBn");
      }
    }
  }

  @Test
  void aNetworkWithoutBnIsLeftAlone() {
    ShapesDataset data = shapes(4);
    FssdTrainer trainer = tinyRun(data, false).preciseBnBatches(2).build();
    FssdModel m = trainer.train();
    FssdModel current =
        FssdModel.of(
            m.config(),
            TrainingGraph.toInference(m.config(), trainer.trainingGraph()),
            m.labels(),
            m.provenance());
    assertThat(m.graph().params()).isEqualTo(current.graph().params());
    assertThat(m.provenance().asMap()).doesNotContainKey("train.preciseBn");
    assertThat(m.provenance().asMap()).doesNotContainKey("bn.recalibrated");
    Map<String, String> expected =
        new java.util.HashMap<>(CheckpointModels.provenance(trainer.state()).asMap());
    Map<String, String> got = new java.util.HashMap<>(m.provenance().asMap());
    expected.remove("created");
    got.remove("created");
    assertThat(got).isEqualTo(expected);
  }

  @Test
  void usesAtMostOneEpochAndRecordsTheBatchesUsed() {
    ShapesDataset data = shapes(2); // one batch per epoch
    FssdModel m = tinyRun(data, true).preciseBnBatches(4).build().train();
    assertThat(m.provenance().get("train.preciseBn")).isEqualTo("1");
    assertThat(m.provenance().get("bn.recalibrated")).startsWith("1 batches of 2 from ");
  }

  @Test
  void negativeBatchCountIsRejected() {
    assertThatThrownBy(() -> FssdTrainer.builder(shapes(2)).preciseBnBatches(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("preciseBnBatches")
        .hasMessageContaining("-1");
  }
}
