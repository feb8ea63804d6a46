package org.fssd.train.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.fssd.train.TrainTestFixtures.npy;
import static org.fssd.train.TrainTestFixtures.withMultiBoxLoss;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.Numerical;
import org.fssd.train.TrainTestFixtures.MultiBoxGradientCase;
import org.fssd.train.TrainTestFixtures.MultiBoxReference;
import org.fssd.train.TrainTestFixtures.RestoreNd4jDataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

@ExtendWith(RestoreNd4jDataTypes.class)
class MultiBoxLossTest {

  @Test
  @Numerical
  void matchesPyTorchReferenceLossAndGradient() {
    MultiBoxReference ref = MultiBoxReference.load(); // loc [3, 200, 4], conf [3, 200, 5], float32
    double[] expected = npy(MultiBoxLossTest.class, "loss.npy").toDoubleVector();
    INDArray gradLoc = npy(MultiBoxLossTest.class, "grad_loc.npy");
    INDArray gradConf = npy(MultiBoxLossTest.class, "grad_conf.npy");
    int b = ref.batch();
    int p = ref.priors();
    int c = ref.classes();
    MultiBoxLoss loss = MultiBoxLoss.of(p, c);

    MultiBoxLoss.Result r = loss.compute(ref.loc(), ref.conf(), ref.locT(), ref.confT());
    assertThat(r.numPositives()).isEqualTo(10);
    FloatArrays.assertClose(r.locLoss(), expected[0], 1e-5, 1e-6, "loc loss vs PyTorch");
    FloatArrays.assertClose(r.confLoss(), expected[1], 1e-5, 1e-6, "conf loss vs PyTorch");

    INDArray g = loss.gradient(ref.loc(), ref.conf(), ref.locT(), ref.confT());
    INDArray gl = g.get(NDArrayIndex.all(), NDArrayIndex.interval(0, p * 4));
    INDArray gc = g.get(NDArrayIndex.all(), NDArrayIndex.interval(p * 4, p * (4 + c)));
    // gradients are <= 0.1 (1/N per positive): 1e-4 absolute is the float32 bound of the
    // reference's
    // own rounding at that size, with room
    FloatArrays.assertClose(gl, gradLoc.reshape(b, p * 4L), 1e-4, 1e-4, "loc gradient vs PyTorch");
    FloatArrays.assertClose(
        gc, gradConf.reshape(b, (long) p * c), 1e-4, 1e-4, "conf gradient vs PyTorch");
    // the fixture must exercise both branches and the mining: many conf gradients are exactly 0
    assertThat(gc.eq(0.0).castTo(DataType.INT32).sumNumber().intValue())
        .isGreaterThan(b * p * c / 2);

    // the same numbers through DL4J: score of a LossLayer graph fed by the two outputs
    ComputationGraph graph = lossOnlyGraph(p, c, DataType.FLOAT);
    double score =
        graph.score(
            new MultiDataSet(
                new INDArray[] {ref.loc().reshape(b, p * 4L), ref.conf().reshape(b, (long) p * c)},
                new INDArray[] {ref.labels()}));
    FloatArrays.assertClose(score, expected[0] + expected[1], 1e-5, 1e-6, "DL4J score vs PyTorch");
  }

  @Test
  void dl4jGradientEqualsSpecGradientAfterMinibatchDivision() {
    MultiBoxReference ref = MultiBoxReference.load();
    int b = ref.batch();
    MultiBoxLoss loss = MultiBoxLoss.of(ref.priors(), ref.classes());
    INDArray preOut = ref.preOutput();
    INDArray labels = ref.labels();
    INDArray dl4j =
        loss.computeGradient(labels, preOut, Activation.IDENTITY.getActivationFunction(), null);
    INDArray spec = loss.gradient(ref.loc(), ref.conf(), ref.locT(), ref.confT());
    FloatArrays.assertClose(
        dl4j.castTo(DataType.DOUBLE).div(b),
        spec.castTo(DataType.DOUBLE),
        1e-6,
        1e-6,
        "DL4J gradient / batch vs SPEC gradient");
    double sum =
        loss.computeScoreArray(labels, preOut, Activation.IDENTITY.getActivationFunction(), null)
            .sumNumber()
            .doubleValue();
    FloatArrays.assertClose(
        sum / b,
        loss.compute(ref.loc(), ref.conf(), ref.locT(), ref.confT()).total(),
        5e-7,
        1e-5,
        "score array sum / batch vs total loss");
    FloatArrays.assertClose(
        loss.computeScore(labels, preOut, Activation.IDENTITY.getActivationFunction(), null, true),
        sum / b,
        5e-7,
        1e-5,
        "computeScore vs score array sum / batch");
  }

  @Test
  void gradientCheckOnTinyGraph() {
    MultiBoxGradientCase check = MultiBoxGradientCase.create(5, 7);
    int p = MultiBoxGradientCase.PRIORS;
    INDArray labels = check.labels();
    // image 0: 1 positive (3 negatives kept of 5), image 1: 2 positives (all 4 negatives), image 2:
    // none
    labels.putScalar(0, p * 4 + 2, 1);
    labels.putScalar(1, p * 4 + 0, 2);
    labels.putScalar(1, p * 4 + 5, 1);
    check.assertGradients();
  }

  @Test
  void handComputedSingleImage() {
    // P = 3, C = 2; prior 0 positive (class 1), priors 1 and 2 negatives; ratio 3 keeps both.
    INDArray loc = Nd4j.createFromArray(new double[][] {{0.5, -2.0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9}});
    INDArray locT = Nd4j.zeros(DataType.DOUBLE, 1, 12);
    INDArray conf = Nd4j.createFromArray(new double[][] {{0, 0, 1, 0, 0, 2}});
    INDArray cls = Nd4j.createFromArray(new double[][] {{1, 0, 0}});
    MultiBoxLoss.Result r = MultiBoxLoss.of(3, 2).compute(loc, conf, locT, cls);
    assertThat(r.locLoss()).isCloseTo(0.125 + 1.5, within(1e-12));
    double ce0 = Math.log(2);
    double ce1 = Math.log(Math.exp(1) + 1) - 1;
    double ce2 = Math.log(1 + Math.exp(2));
    assertThat(r.confLoss()).isCloseTo(ce0 + ce1 + ce2, within(1e-12));
    // ratio 1 keeps only the hardest negative (prior 2)
    MultiBoxLoss.Result r1 = new MultiBoxLoss(3, 2, 1).compute(loc, conf, locT, cls);
    assertThat(r1.confLoss()).isCloseTo(ce0 + ce2, within(1e-12));
    // no positive at all: nothing counts, divided by 1
    MultiBoxLoss.Result none =
        MultiBoxLoss.of(3, 2).compute(loc, conf, locT, Nd4j.zeros(DataType.DOUBLE, 1, 3));
    assertThat(none.total()).isZero();
    assertThat(none.numPositives()).isZero();
  }

  @Test
  void equalLossNegativesAreTakenInPriorOrder() {
    int p = 10;
    INDArray loc = Nd4j.zeros(DataType.DOUBLE, 1, p * 4L);
    INDArray conf = Nd4j.zeros(DataType.DOUBLE, 1, p * 2L); // every CE = log 2
    INDArray cls = Nd4j.zeros(DataType.DOUBLE, 1, p);
    cls.putScalar(0, 5, 1);
    INDArray g = MultiBoxLoss.of(p, 2).gradient(loc, conf, loc, cls);
    for (int q = 0; q < p; q++) {
      double gq = g.getDouble(0, p * 4 + q * 2);
      boolean expectSelected = q == 5 || q < 3;
      assertThat(gq != 0).as("prior %s selected", q).isEqualTo(expectSelected);
    }
  }

  @Test
  void rejectsBadShapesAndClassIds() {
    MultiBoxLoss loss = MultiBoxLoss.of(3, 2);
    INDArray loc = Nd4j.zeros(DataType.DOUBLE, 1, 12);
    INDArray conf = Nd4j.zeros(DataType.DOUBLE, 1, 6);
    assertThatThrownBy(() -> loss.compute(loc, conf, loc, Nd4j.zeros(DataType.DOUBLE, 1, 4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("classTargets");
    assertThatThrownBy(
            () -> loss.compute(loc, conf, loc, Nd4j.createFromArray(new double[][] {{0, 2, 0}})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a class id");
    assertThatThrownBy(() -> new MultiBoxLoss(0, 2, 3)).hasMessageContaining("numPriors");
  }

  @Test
  void survivesGraphJsonRoundTrip() {
    ComputationGraph graph = lossOnlyGraph(7, 4, DataType.FLOAT);
    String json = graph.getConfiguration().toJson();
    ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
    LossLayer layer =
        (LossLayer)
            ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices().get("loss"))
                .getLayerConf()
                .getLayer();
    assertThat(layer.getLossFn()).isEqualTo(new MultiBoxLoss(7, 4, 3));
    assertThat(back).isEqualTo(graph.getConfiguration());
  }

  private static ComputationGraph lossOnlyGraph(int p, int c, DataType type) {
    return withMultiBoxLoss(
        new NeuralNetConfiguration.Builder().dataType(type).graphBuilder().addInputs("loc", "conf"),
        p,
        c);
  }
}
