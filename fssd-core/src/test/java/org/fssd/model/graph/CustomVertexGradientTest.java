package org.fssd.model.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.testing.GradientChecks;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Gradient checks (double precision, finite differences) and exact-value checks of the custom
 * vertices.
 */
class CustomVertexGradientTest {

  /** conv -> resize 3x5 -> 6x4 -> flatten ; conv -> flatten ; merge -> MSE output. */
  private static ComputationGraph tinyGraph() {
    ComputationGraphConfiguration conf =
        GradientChecks.doubleNet(12345)
            .convolutionMode(ConvolutionMode.Truncate)
            .graphBuilder()
            .addInputs("in")
            .setInputTypes(InputType.convolutional(3, 5, 2))
            .addLayer(
                "c1",
                new ConvolutionLayer.Builder(1, 1)
                    .nIn(2)
                    .nOut(3)
                    .activation(Activation.TANH)
                    .build(),
                "in")
            .addVertex("up", new BilinearResizeVertex(6, 4), "c1")
            .addVertex("f1", new HeadFlattenVertex(), "up")
            .addLayer(
                "c2",
                new ConvolutionLayer.Builder(3, 3)
                    .padding(1, 1)
                    .nIn(2)
                    .nOut(2)
                    .activation(Activation.TANH)
                    .build(),
                "in")
            .addVertex("f2", new HeadFlattenVertex(), "c2")
            .addVertex("m", new MergeVertex(), "f1", "f2")
            .addLayer(
                "out",
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                    .nIn(6 * 4 * 3 + 3 * 5 * 2)
                    .nOut(4)
                    .activation(Activation.IDENTITY)
                    .build(),
                "m")
            .setOutputs("out")
            .build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    return g;
  }

  @Test
  void gradientsOfResizeAndFlattenAreExact() {
    Nd4j.getRandom().setSeed(1);
    GradientChecks.inDoublePrecision(
        () -> {
          ComputationGraph g = tinyGraph();
          INDArray in = Nd4j.rand(DataType.DOUBLE, 2, 2, 3, 5);
          INDArray labels = Nd4j.rand(DataType.DOUBLE, 2, 4);
          GradientChecks.assertPasses(GradientChecks.of(g, in, labels), "resize and flatten");
        });
  }

  @Test
  void resizeMatchesTheAlignCornersFalseFormula() {
    // 1-D: in 2 -> out 4, scale 0.5: src = max(0, (o+0.5)*0.5-0.5) = 0, 0.25, 0.75, 1.25 -> clamp
    // i1.
    double[][] m = BilinearResizeVertex.interpolationMatrix(2, 4);
    assertThat(m[0]).containsExactly(1.0, 0.0);
    assertThat(m[1]).containsExactly(0.75, 0.25);
    assertThat(m[2]).containsExactly(0.25, 0.75);
    assertThat(m[3]).containsExactly(0.0, 1.0); // src 1.25: i0 = 1, i1 = min(2, 1) = 1
    // 19 -> 38 rows sum to 1
    for (double[] row : BilinearResizeVertex.interpolationMatrix(19, 38)) {
      assertThat(java.util.Arrays.stream(row).sum()).isCloseTo(1.0, within(1e-12));
    }
  }

  @Test
  void flattenIsNhwcOrder() {
    ComputationGraph g = tinyGraph();
    INDArray in = Nd4j.rand(DataType.DOUBLE, 2, 2, 3, 5);
    java.util.Map<String, INDArray> acts = g.feedForward(in, false);
    INDArray c2 = acts.get("c2"); // [2, 2, 3, 5]
    INDArray f2 = acts.get("f2"); // [2, 3*5*2]
    for (int n = 0; n < 2; n++) {
      for (int c = 0; c < 2; c++) {
        for (int i = 0; i < 3; i++) {
          for (int j = 0; j < 5; j++) {
            assertThat(f2.getDouble(n, (i * 5 + j) * 2 + c)).isEqualTo(c2.getDouble(n, c, i, j));
          }
        }
      }
    }
  }

  @Test
  void resizeOfAConstantMapIsConstantAndCornersCopy() {
    ComputationGraph g = tinyGraph();
    INDArray in = Nd4j.rand(DataType.DOUBLE, 1, 2, 3, 5);
    java.util.Map<String, INDArray> acts = g.feedForward(in, false);
    INDArray c1 = acts.get("c1");
    INDArray up = acts.get("up");
    assertThat(up.shape()).containsExactly(1, 3, 6, 4);
    // Output (0,0) samples src (max(0,(0.5)*0.5-0.5), max(0, 0.5*1.25-0.5)) = (0, 0.125)
    double expected = c1.getDouble(0, 1, 0, 0) * 0.875 + c1.getDouble(0, 1, 0, 1) * 0.125;
    assertThat(up.getDouble(0, 1, 0, 0)).isCloseTo(expected, within(1e-12));
  }

  @Test
  void survivesModelSerializerWithIdenticalOutputs() throws Exception {
    ComputationGraph g = tinyGraph();
    INDArray in = Nd4j.rand(DataType.DOUBLE, 2, 2, 3, 5);
    INDArray before = g.outputSingle(in);
    ComputationGraph back = SerializedGraphs.roundTrip(g);
    assertThat(back.getConfiguration().getVertices().get("up"))
        .isEqualTo(new BilinearResizeVertex(6, 4));
    assertThat(back.outputSingle(in)).isEqualTo(before);
  }
}
