package org.fssd.train.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.fssd.testing.FloatArrays;
import org.fssd.train.TrainTestFixtures.RestoreNd4jDataTypes;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Two SGD steps of a tiny conv + BN graph, checked against PyTorch's update rule computed by hand
 * from DL4J's own gradients: g = dL/dw + wd * w (every conv weight/bias and BN gamma/beta); v = mu
 * * v + g; w -= lr * v. BN running statistics must follow the running average only.
 */
@ExtendWith(RestoreNd4jDataTypes.class)
class PyTorchSgdTest {
  private static final int B = 4;
  private static final double WD = 5e-4;
  private static final double MU = 0.9;
  private static final double DECAY = 0.9;

  private static ComputationGraphConfiguration tinyConf(DataType type) {
    return new NeuralNetConfiguration.Builder()
        .dataType(type)
        .seed(3)
        .weightInit(WeightInit.XAVIER)
        .biasInit(0.1)
        .updater(new NoOp())
        .graphBuilder()
        .addInputs("in")
        .setInputTypes(InputType.convolutional(5, 5, 2))
        .addLayer(
            "c1",
            new ConvolutionLayer.Builder(3, 3)
                .padding(1, 1)
                .nOut(3)
                .activation(Activation.IDENTITY)
                .build(),
            "in")
        .addLayer(
            "bn", new BatchNormalization.Builder().decay(DECAY).useLogStd(false).build(), "c1")
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "bn")
        .addLayer(
            "loss",
            new LossLayer.Builder(LossFunctions.LossFunction.MSE)
                .activation(Activation.IDENTITY)
                .build(),
            "pool")
        .setOutputs("loss")
        .build();
  }

  @ParameterizedTest
  @EnumSource(
      value = DataType.class,
      names = {"DOUBLE", "FLOAT"})
  void twoStepsFollowPyTorchSgdWithWeightDecayEverywhere(DataType type) {
    Nd4j.setDefaultDataTypes(type, type);
    double tol = type == DataType.DOUBLE ? 1e-10 : 1e-6;
    // lr 0.1 at iteration 0, 0.05 at iteration 1
    WarmupStepSchedule schedule = new WarmupStepSchedule(0.1, 1, Warmup.NONE, new int[] {1}, 0.5);
    ComputationGraphConfiguration conf =
        TrainingConfigurer.configure(tinyConf(type), PyTorchSgd.of(schedule), WD);
    ComputationGraph graph = new ComputationGraph(conf);
    graph.init();
    INDArray x = Nd4j.rand(type, B, 2, 5, 5).subi(0.5).muli(3);
    INDArray y = Nd4j.rand(type, B, 3);
    MultiDataSet data = new MultiDataSet(x, y);

    Map<String, INDArray> v = null;
    for (int step = 0; step < 2; step++) {
      double lr = schedule.valueAt(step, 0);
      ComputationGraph probe = graph.clone();
      probe.setInputs(x);
      probe.setLabels(y);
      probe.computeGradientAndScore();
      Map<String, INDArray> grad = probe.gradient().gradientForVariable();
      Map<String, INDArray> before = copyParams(graph);
      INDArray conv =
          probe.feedForward(new INDArray[] {x}, true, false).get("c1").castTo(DataType.DOUBLE);

      graph.fit(data);

      Map<String, INDArray> after = copyParams(graph);
      Map<String, INDArray> nextV = new java.util.HashMap<>();
      for (String p : new String[] {"c1_W", "c1_b", "bn_gamma", "bn_beta"}) {
        INDArray w0 = before.get(p);
        INDArray g =
            grad.get(p).castTo(DataType.DOUBLE).reshape(w0.shape()).div(B).addi(w0.mul(WD));
        INDArray vel = v == null ? g : v.get(p).mul(MU).addi(g);
        nextV.put(p, vel);
        INDArray expected = w0.sub(vel.mul(lr));
        assertClose(after.get(p), expected, tol, type + " step " + step + " " + p);
        assertThat(after.get(p).sub(w0).amaxNumber().doubleValue())
            .as("%s moved", p)
            .isGreaterThan(0);
      }
      v = nextV;
      // running statistics: decay * old + (1 - decay) * batch statistic over N, H, W
      INDArray batchMean = conv.mean(0, 2, 3);
      INDArray biasedVar = conv.var(false, 0, 2, 3);
      assertClose(
          after.get("bn_mean"),
          before
              .get("bn_mean")
              .mul(DECAY)
              .addi(batchMean.reshape(before.get("bn_mean").shape()).mul(1 - DECAY)),
          tol,
          type + " running mean");
      assertClose(
          after.get("bn_var"),
          before
              .get("bn_var")
              .mul(DECAY)
              .addi(biasedVar.reshape(before.get("bn_var").shape()).mul(1 - DECAY)),
          tol,
          type + " running var (DL4J: biased batch variance)");
    }
  }

  @Test
  void configuredGraphSurvivesJsonAndKeepsTheBatchNormDecay() {
    WarmupStepSchedule schedule = new WarmupStepSchedule(0.1, 2, Warmup.LINEAR, new int[] {4}, 0.1);
    ComputationGraph graph =
        new ComputationGraph(
            TrainingConfigurer.configure(tinyConf(DataType.FLOAT), PyTorchSgd.of(schedule), WD));
    // DL4J's reader derives BN's useLogStd from the parameter names registered by init()
    graph.init();
    ComputationGraphConfiguration conf = graph.getConfiguration();
    ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
    assertThat(back.toJson()).isEqualTo(conf.toJson());
    var bn = ((LayerVertex) back.getVertices().get("bn")).getLayerConf().getLayer();
    assertThat(bn).isInstanceOf(DecayedBatchNormalization.class);
    DecayedBatchNormalization d = (DecayedBatchNormalization) bn;
    assertThat(d.getDecay()).isEqualTo(DECAY);
    assertThat(d.isUseLogStd()).isFalse();
    assertThat(d.getRegularizationByParam("gamma")).hasSize(1);
    assertThat(d.getRegularizationByParam("mean")).isNull();
    assertThat(d.getUpdaterByParam("var")).isInstanceOf(NoOp.class);
    assertThat(d.getIUpdater()).isEqualTo(PyTorchSgd.of(schedule));
  }

  private static Map<String, INDArray> copyParams(ComputationGraph g) {
    Map<String, INDArray> m = new java.util.HashMap<>();
    g.paramTable().forEach((k, a) -> m.put(k, a.castTo(DataType.DOUBLE).dup()));
    return m;
  }

  /** The update rule is applied to the same gradients: only the rounding of one step differs. */
  private static void assertClose(INDArray actual, INDArray expected, double tol, String what) {
    FloatArrays.assertClose(
        actual.castTo(DataType.DOUBLE),
        expected.castTo(DataType.DOUBLE).reshape(actual.shape()),
        tol,
        tol,
        what);
  }
}
