package org.fssd.train.optim;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link FastBatchNormHelper} against DL4J's own batch-norm code: the same network (conv, BN, ReLU
 * conv, MSE) built twice, once with the helper and once without, must give the same outputs in
 * training and inference mode, the same gradients and the same parameters (running mean and
 * variance included) after a few SGD steps.
 */
@Numerical
class FastBatchNormHelperTest {
  private static MultiLayerNetwork net(boolean fast) {
    DecayedBatchNormalization bn = new DecayedBatchNormalization();
    BatchNormalization.Builder b = new BatchNormalization.Builder().nOut(6).eps(1e-5).decay(0.9);
    bn = copy(b.build(), bn);
    bn.setFastHelper(fast);
    MultiLayerConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(3)
            .dataType(DataType.FLOAT)
            .updater(new Sgd(0.002))
            .list()
            .layer(
                new ConvolutionLayer.Builder(3, 3)
                    .nOut(6)
                    .padding(1, 1)
                    .activation(Activation.IDENTITY)
                    .build())
            .layer(bn)
            .layer(
                new ConvolutionLayer.Builder(3, 3)
                    .nOut(2)
                    .padding(1, 1)
                    .activation(Activation.RELU)
                    .build())
            .layer(
                new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                    .activation(Activation.IDENTITY)
                    .build())
            .setInputType(InputType.convolutional(7, 9, 3))
            .build();
    MultiLayerNetwork n = new MultiLayerNetwork(conf);
    n.init();
    return n;
  }

  private static DecayedBatchNormalization copy(
      BatchNormalization from, DecayedBatchNormalization to) {
    to.setNOut(from.getNOut());
    to.setEps(from.getEps());
    to.setDecay(from.getDecay());
    return to;
  }

  @Test
  void matchesDl4jBatchNormInTrainingAndInference() {
    MultiLayerNetwork fast = net(true);
    MultiLayerNetwork slow = net(false);
    assertThat(fast.params()).isEqualTo(slow.params());
    INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 7, 9).muli(3).subi(1);
    INDArray y = Nd4j.rand(DataType.FLOAT, 4, 2, 7, 9);

    // One forward in training mode: identical up to float rounding.
    INDArray outFast = fast.output(x, true);
    INDArray outSlow = slow.output(x, true);
    assertClose(outFast, outSlow, 1e-5);

    // Gradients of one batch.
    fast.setInput(x);
    fast.setLabels(y);
    fast.computeGradientAndScore();
    slow.setInput(x);
    slow.setLabels(y);
    slow.computeGradientAndScore();
    FloatArrays.assertClose(fast.score(), slow.score(), 1e-6, 1e-6, "score fast vs DL4J");
    assertClose(fast.getGradientsViewArray(), slow.getGradientsViewArray(), 1e-4);

    // A few SGD steps: parameters (running statistics included) stay together.
    for (int i = 0; i < 5; i++) {
      INDArray xi = Nd4j.rand(DataType.FLOAT, 4, 3, 7, 9).muli(2).addi(0.1 * i);
      fast.fit(xi, y);
      slow.fit(xi, y);
    }
    assertClose(fast.params(), slow.params(), 1e-4);
    assertThat(fast.getLayer(1).getParam("mean").maxNumber().doubleValue())
        .isNotEqualTo(0.0); // the running mean did move
    assertClose(fast.output(x, false), slow.output(x, false), 1e-4);
  }

  /** |a - b| <= tol * max(1, max |b|): float32 sums in other orders (see FloatArrays). */
  private static void assertClose(INDArray a, INDArray b, double tol) {
    FloatArrays.assertClose(
        a, b, tol, tol * Math.max(1, FloatArrays.maxAbs(b)), "fast vs DL4J batch norm");
  }
}
