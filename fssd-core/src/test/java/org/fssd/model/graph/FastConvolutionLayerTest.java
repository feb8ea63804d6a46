package org.fssd.model.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.GradientChecks;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link FastConvolutionLayer}: finite-difference gradient checks (double), equality with the stock
 * {@link ConvolutionLayer} on the same parameters (float: outputs and every gradient), and a {@code
 * ModelSerializer} round trip.
 */
class FastConvolutionLayerTest {

  /** One convolution geometry under test. */
  private record Case(
      int kernel, int stride, int padding, int dilation, boolean bias, Activation activation) {}

  private static final List<Case> CASES =
      List.of(
          new Case(1, 1, 0, 1, true, Activation.RELU),
          new Case(3, 1, 1, 1, true, Activation.RELU),
          new Case(3, 2, 1, 1, false, Activation.IDENTITY),
          new Case(3, 1, 6, 6, true, Activation.RELU),
          new Case(4, 1, 1, 1, true, Activation.TANH),
          new Case(4, 2, 0, 1, false, Activation.RELU),
          new Case(3, 2, 0, 1, true, Activation.IDENTITY));

  private static final int SIZE = 14;
  private static final int IN = 3;
  private static final int OUT = 4;

  private static ConvolutionLayer.Builder convBuilder(Case c) {
    return new ConvolutionLayer.Builder(c.kernel(), c.kernel())
        .stride(c.stride(), c.stride())
        .padding(c.padding(), c.padding())
        .dilation(c.dilation(), c.dilation())
        .nIn(IN)
        .nOut(OUT)
        .hasBias(c.bias())
        .activation(c.activation());
  }

  /** in -> conv (case) -> conv 1x1 tanh -> MSE output; fast or stock convolutions. */
  private static ComputationGraph graph(Case c, boolean fast, DataType type) {
    ConvolutionLayer.Builder second =
        new ConvolutionLayer.Builder(1, 1).nIn(OUT).nOut(2).activation(Activation.TANH);
    int outSize = (SIZE + 2 * c.padding() - ((c.kernel() - 1) * c.dilation() + 1)) / c.stride() + 1;
    ComputationGraphConfiguration conf =
        GradientChecks.doubleNet(42)
            .dataType(type) // float too, for the comparison with the stock layer
            .convolutionMode(ConvolutionMode.Truncate)
            .graphBuilder()
            .addInputs("in")
            .setInputTypes(InputType.convolutional(SIZE, SIZE, IN))
            .addLayer(
                "c1",
                fast ? new FastConvolutionLayer(convBuilder(c)) : convBuilder(c).build(),
                "in")
            .addLayer("c2", fast ? new FastConvolutionLayer(second) : second.build(), "c1")
            .addLayer(
                "out",
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                    .nIn(2L * outSize * outSize)
                    .nOut(3)
                    .activation(Activation.IDENTITY)
                    .build(),
                "c2")
            .setOutputs("out")
            .build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    if (c.bias()) {
      // non-zero biases so that the bias path is exercised
      g.getParam("c1_b")
          .assign(Nd4j.createFromArray(-0.2, -0.05, 0.1, 0.25).castTo(type).reshape(1, OUT));
    }
    return g;
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    GradientChecks.inDoublePrecision(
        () -> {
          for (Case c : CASES) {
            Nd4j.getRandom().setSeed(7);
            ComputationGraph g = graph(c, true, DataType.DOUBLE);
            assertThat(g.getLayer("c1").conf().getLayer()).isInstanceOf(FastConvolutionLayer.class);
            INDArray in = Nd4j.rand(DataType.DOUBLE, 2, IN, SIZE, SIZE).subi(0.5);
            INDArray labels = Nd4j.rand(DataType.DOUBLE, 2, 3);
            GradientChecks.assertPasses(GradientChecks.of(g, in, labels), c.toString());
          }
        });
  }

  /**
   * Float32, summed in other orders by the two layers: activations are O(1) sums of <= 48 products,
   * so they agree to ~1e-6 and are held to 1e-5; each gradient to 1e-4 of its largest element (a
   * gradient sums over the whole batch and map, and small ones would otherwise be held to ulps).
   */
  @Test
  @Numerical
  void outputsAndGradientsEqualTheStockLayer() {
    for (Case c : CASES) {
      Nd4j.getRandom().setSeed(11);
      ComputationGraph stock = graph(c, false, DataType.FLOAT);
      ComputationGraph fast = graph(c, true, DataType.FLOAT);
      fast.setParams(stock.params());
      INDArray in = Nd4j.rand(DataType.FLOAT, 3, IN, SIZE, SIZE).subi(0.5);
      INDArray labels = Nd4j.rand(DataType.FLOAT, 3, 3);

      Map<String, INDArray> a = stock.feedForward(in, false);
      Map<String, INDArray> b = fast.feedForward(in, false);
      for (String name : List.of("c1", "c2", "out")) {
        FloatArrays.assertClose(
            b.get(name), a.get(name), 1e-5, 1e-5, name + " of " + c + " fast vs stock");
      }

      stock.setInputs(in);
      stock.setLabels(labels);
      stock.computeGradientAndScore();
      fast.setInputs(in);
      fast.setLabels(labels);
      fast.computeGradientAndScore();
      FloatArrays.assertClose(
          fast.score(), stock.score(), 1e-5, 1e-5, "score of " + c + " fast vs stock");
      Gradient gs = stock.gradient();
      Gradient gf = fast.gradient();
      assertThat(gf.gradientForVariable().keySet()).isEqualTo(gs.gradientForVariable().keySet());
      for (String key : gs.gradientForVariable().keySet()) {
        INDArray s = gs.getGradientFor(key);
        INDArray f = gf.getGradientFor(key);
        double scale = Math.max(1e-3, FloatArrays.maxAbs(s));
        FloatArrays.assertClose(
            f, s, 1e-4, 1e-4 * scale, "gradient " + key + " of " + c + " fast vs stock");
      }
    }
  }

  @Test
  void survivesModelSerializerWithIdenticalOutputs() throws Exception {
    Case c = CASES.get(3); // dilated, bias
    ComputationGraph g = graph(c, true, DataType.FLOAT);
    INDArray in = Nd4j.rand(DataType.FLOAT, 2, IN, SIZE, SIZE);
    INDArray before = g.outputSingle(in);
    ComputationGraph back = SerializedGraphs.roundTrip(g);
    org.deeplearning4j.nn.conf.layers.Layer layer = back.getLayer("c1").conf().getLayer();
    assertThat(layer)
        .isInstanceOf(FastConvolutionLayer.class)
        .isEqualTo(g.getLayer("c1").conf().getLayer());
    FastConvolutionLayer f = (FastConvolutionLayer) layer;
    assertThat(f.getDilation()).containsExactly(6, 6);
    assertThat(f.getPadding()).containsExactly(6, 6);
    assertThat(f.hasBias()).isTrue();
    assertThat(back.getParam("c1_W").shape()).containsExactly(OUT, IN, 3, 3);
    assertThat(back.getParam("c1_b").shape())
        .isEqualTo(graph(c, false, DataType.FLOAT).getParam("c1_b").shape());
    assertThat(back.outputSingle(in)).isEqualTo(before);
  }

  @Test
  void fastAndStockConfigurationsDiffer() {
    Case c = CASES.get(1);
    assertThat(new FastConvolutionLayer(convBuilder(c))).isNotEqualTo(convBuilder(c).build());
    assertThat(new FastConvolutionLayer(convBuilder(c)))
        .isEqualTo(new FastConvolutionLayer(convBuilder(c)));
  }
}
