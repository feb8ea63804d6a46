package org.fssd.train.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.data.ShapesDataset;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.testing.FloatArrays;
import org.fssd.train.FssdTrainer;
import org.fssd.train.TrainTestFixtures;
import org.fssd.train.TrainingGraph;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** SPEC §7 network slimming: one step adds exactly s * sign(gamma) to every BN gamma gradient. */
// trains a network: seconds to a minute on 2 cores
@Tag("slow")
class SparsityTest {

  @Test
  void oneStepAddsExactlySTimesSignOfGammaToTheGammaGradient() {
    ShapesDataset data =
        ShapesDataset.builder().count(2).imageSize(96, 80).seed(3).shapesPerImage(1, 2).build();
    FssdConfig config =
        FssdTestModels.tiny300(ShapesDataset.SHAPES.size() + 1).toBuilder().batchNorm(true).build();
    FssdModel init = FssdModel.create(config, data.labels(), 4);
    // Gammas of both signs (and one zero, whose sign is 0) so that sign() matters.
    Nd4j.getRandom().setSeed(8);
    for (Map.Entry<String, INDArray> e : init.graph().paramTable().entrySet()) {
      if (e.getKey().endsWith("_gamma")) {
        e.getValue().assign(Nd4j.rand(e.getValue().dataType(), e.getValue().shape()).subi(0.5));
      }
    }
    init.graph().getParam("base.0.bn_gamma").putScalar(0, 0f);
    MultiDataSet batch = TrainTestFixtures.firstBatch(data, config);
    double lr = 0.05;
    double s = 1e-2;
    ComputationGraph plain = step(config, init, lr, 0, batch);
    ComputationGraph sparse = step(config, init, lr, s, batch);
    int checked = 0;
    for (String key : init.graph().paramTable().keySet()) {
      INDArray before = init.graph().getParam(key);
      INDArray a = plain.getParam(key);
      INDArray b = sparse.getParam(key);
      if (key.endsWith("_gamma")) {
        // First SGD step with momentum: w -= lr * g, so the difference is -lr * s * sign(gamma).
        INDArray expected = Transforms.sign(before, true).muli(-lr * s);
        FloatArrays.assertClose(b.sub(a), expected, 1e-6, 1e-6, key + ": sparse - plain step");
        checked++;
      } else {
        FloatArrays.assertClose(b, a, 1e-6, 1e-6, key + ": sparse vs plain step");
      }
    }
    assertThat(checked).isEqualTo(28); // one BN per body convolution of FSSD300
  }

  private static ComputationGraph step(
      FssdConfig config, FssdModel init, double lr, double s, MultiDataSet batch) {
    WarmupStepSchedule schedule = new WarmupStepSchedule(lr, 10, Warmup.NONE, new int[0], 0.1);
    ComputationGraph g =
        TrainingGraph.create(config, init.graph(), new PyTorchSgd(0, schedule, 0.9), 5e-4, s);
    g.fit(
        new org.nd4j.linalg.dataset.MultiDataSet(
            batch.getFeatures(), new INDArray[] {TrainingGraph.labels(batch)}));
    return g;
  }

  @Test
  void sparsityNeedsTheBatchNormVariant() {
    ShapesDataset data = ShapesDataset.builder().count(2).imageSize(96, 80).seed(3).build();
    FssdConfig config = FssdTestModels.tiny300(ShapesDataset.SHAPES.size() + 1);
    assertThatThrownBy(() -> FssdTrainer.builder(data).config(config).sparsity(1e-4).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("BN variant");
    assertThatThrownBy(() -> FssdTrainer.builder(data).sparsity(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sparsity");
  }
}
