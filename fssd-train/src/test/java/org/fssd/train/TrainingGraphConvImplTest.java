package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.data.ShapesDataset;
import org.fssd.model.ConvImpl;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.FssdTestModels;
import org.fssd.model.graph.FastConvolutionLayer;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.Numerical;
import org.fssd.train.optim.PyTorchSgd;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * The training graph uses fast convolutions by default, with the stock graph's score and gradients.
 */
@Numerical
class TrainingGraphConvImplTest {

  @Test
  void fastTrainingGraphHasTheStockGradientsPlain() {
    check(FssdTestModels.narrow300(ShapesDataset.SHAPES.size() + 1, false));
  }

  @Test
  void fastTrainingGraphHasTheStockGradientsBatchNorm() {
    check(
        FssdTestModels.tiny300(ShapesDataset.SHAPES.size() + 1).toBuilder()
            .batchNorm(true)
            .build());
  }

  private static void check(FssdConfig config) {
    ShapesDataset data =
        ShapesDataset.builder().count(2).imageSize(96, 80).seed(5).shapesPerImage(1, 3).build();
    MultiDataSet batch = TrainTestFixtures.firstBatch(data, config);
    ComputationGraph init = FssdGraph.create(config, 7);
    ComputationGraph fast = TrainingGraph.create(config, init, PyTorchSgd.of(1e-3, 0.9), 5e-4);
    ComputationGraph stock =
        new ComputationGraph(
            TrainingGraph.configuration(config, PyTorchSgd.of(1e-3, 0.9), 5e-4, ConvImpl.STOCK));
    stock.init();
    TrainingGraph.copyParams(init, stock);
    assertThat(
            Arrays.stream(fast.getLayers())
                .filter(l -> l.conf().getLayer() instanceof FastConvolutionLayer)
                .count())
        .isEqualTo(config.convs().size());

    INDArray features = batch.getFeatures(0);
    INDArray labels = TrainingGraph.labels(batch);
    for (ComputationGraph g : new ComputationGraph[] {stock, fast}) {
      g.setInputs(features);
      g.setLabels(labels);
      g.computeGradientAndScore();
    }
    FloatArrays.assertClose(fast.score(), stock.score(), 1e-4, 1e-4, "score fast vs stock");
    Gradient gs = stock.gradient();
    Gradient gf = fast.gradient();
    assertThat(gf.gradientForVariable().keySet()).isEqualTo(gs.gradientForVariable().keySet());
    for (String key : gs.gradientForVariable().keySet()) {
      INDArray s = gs.getGradientFor(key).castTo(DataType.DOUBLE);
      INDArray f = gf.getGradientFor(key).castTo(DataType.DOUBLE);
      double scale = Math.max(1e-4, FloatArrays.maxAbs(s));
      FloatArrays.assertClose(f, s, 1e-3, 1e-3 * scale, "gradient " + key + " fast vs stock");
    }
  }
}
