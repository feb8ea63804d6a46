package org.fssd.train.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.fssd.train.TrainTestFixtures.MultiBoxGradientCase;
import org.fssd.train.TrainTestFixtures.MultiBoxReference;
import org.fssd.train.TrainTestFixtures.RestoreNd4jDataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Per-prior weights (Mixup) in the MultiBox loss. */
@ExtendWith(RestoreNd4jDataTypes.class)
class MultiBoxLossWeightsTest {
  private static final IActivation IDENTITY = Activation.IDENTITY.getActivationFunction();

  @Test
  void allWeightsOneIsThePlainLossExactly() {
    MultiBoxReference ref = MultiBoxReference.load();
    INDArray loc = ref.loc();
    INDArray conf = ref.conf();
    INDArray locT = ref.locT();
    INDArray confT = ref.confT();
    MultiBoxLoss loss = MultiBoxLoss.of(ref.priors(), ref.classes());
    INDArray ones = Nd4j.ones(DataType.FLOAT, ref.batch(), ref.priors());
    assertThat(loss.compute(loc, conf, locT, confT, ones))
        .isEqualTo(loss.compute(loc, conf, locT, confT));
    assertThat(loss.gradient(loc, conf, locT, confT, ones))
        .isEqualTo(loss.gradient(loc, conf, locT, confT));
    // through the DL4J entry points: labels [B, P*4 + P] and [B, P*4 + 2P] with ones
    INDArray preOut = ref.preOutput();
    INDArray plain = ref.labels();
    INDArray weighted = Nd4j.hstack(plain, ones);
    assertThat(loss.computeScore(weighted, preOut, IDENTITY, null, true))
        .isEqualTo(loss.computeScore(plain, preOut, IDENTITY, null, true));
    assertThat(loss.computeGradient(weighted, preOut, IDENTITY, null))
        .isEqualTo(loss.computeGradient(plain, preOut, IDENTITY, null));
    assertThat(loss.computeScoreArray(weighted, preOut, IDENTITY, null))
        .isEqualTo(loss.computeScoreArray(plain, preOut, IDENTITY, null));
  }

  /**
   * Image 0 has box A (priors 0-2, class 1) and box B (priors 3-4, class 2); image 1 has box C
   * (prior 7, class 1). A's priors predict background confidently, so without A they would be the
   * easiest negatives and never mined: weight 0 on A must then equal the targets without A.
   */
  @Test
  void weightZeroRemovesThatBoxExactly() {
    int p = 16;
    int c = 3;
    Random r = new Random(3);
    INDArray loc = Nd4j.randn(r.nextLong(), new long[] {2, p * 4L}).castTo(DataType.DOUBLE);
    INDArray locT = Nd4j.randn(r.nextLong(), new long[] {2, p * 4L}).castTo(DataType.DOUBLE);
    INDArray conf = Nd4j.randn(r.nextLong(), new long[] {2, (long) p * c}).castTo(DataType.DOUBLE);
    for (int q = 0; q < 3; q++) {
      conf.putScalar(0, q * c, 20.0); // background logit: CE as background ~ 1e-9
    }
    INDArray with = Nd4j.zeros(DataType.DOUBLE, 2, p);
    INDArray without = Nd4j.zeros(DataType.DOUBLE, 2, p);
    for (int q = 0; q < 3; q++) {
      with.putScalar(0, q, 1);
    }
    for (INDArray t : new INDArray[] {with, without}) {
      t.putScalar(0, 3, 2);
      t.putScalar(0, 4, 2);
      t.putScalar(1, 7, 1);
    }
    INDArray w = Nd4j.ones(DataType.DOUBLE, 2, p);
    for (int q = 0; q < 3; q++) {
      w.putScalar(0, q, 0.0);
    }
    MultiBoxLoss loss = MultiBoxLoss.of(p, c);
    MultiBoxLoss.Result a = loss.compute(loc, conf, locT, with, w);
    MultiBoxLoss.Result b = loss.compute(loc, conf, locT, without);
    assertThat(a.locLoss()).isEqualTo(b.locLoss());
    assertThat(a.confLoss()).isEqualTo(b.confLoss());
    assertThat(a.numPositives()).isEqualTo(b.numPositives() + 3); // still counted as positives
    assertThat(loss.gradient(loc, conf, locT, with, w))
        .isEqualTo(loss.gradient(loc, conf, locT, without));
    // and the weight does matter: with weight 1 the loss differs
    assertThat(loss.compute(loc, conf, locT, with).total()).isNotEqualTo(b.total());
  }

  @Test
  void handComputedWeightedImage() {
    // P = 4, C = 2: prior 0 positive with weight 0.5, prior 1 positive with weight 1, priors 2, 3
    // negatives. N = 1.5; ratio 3 mines round(4.5) = 5, capped to the 2 negatives there are.
    INDArray loc =
        Nd4j.createFromArray(
            new double[][] {{0.5, -2.0, 0, 0, 0, 0, 0, 3, 9, 9, 9, 9, 9, 9, 9, 9}});
    INDArray locT = Nd4j.zeros(DataType.DOUBLE, 1, 16);
    INDArray conf = Nd4j.createFromArray(new double[][] {{0, 0, 1, 0, 0, 2, 0, 1}});
    INDArray cls = Nd4j.createFromArray(new double[][] {{1, 1, 0, 0}});
    INDArray w =
        Nd4j.createFromArray(new double[][] {{0.5, 1, 7, 7}}); // negatives' weights ignored
    MultiBoxLoss.Result r = MultiBoxLoss.of(4, 2).compute(loc, conf, locT, cls, w);
    double sl0 = 0.125 + 1.5;
    double sl1 = 2.5;
    assertThat(r.locLoss()).isCloseTo((0.5 * sl0 + sl1) / 1.5, within(1e-12));
    double ce0 = Math.log(2);
    double ce1 = Math.log(Math.exp(1) + 1); // logits (1, 0), target class 1
    double ce2 = Math.log(1 + Math.exp(2));
    double ce3 = Math.log(1 + Math.exp(1));
    assertThat(r.confLoss()).isCloseTo((0.5 * ce0 + ce1 + ce2 + ce3) / 1.5, within(1e-12));
    assertThat(r.numPositives()).isEqualTo(2);
    // weights 0.2 + 0.2: N = max(1, 0.4) = 1, ratio 1 mines round(0.4) = 0 negatives
    INDArray small = Nd4j.createFromArray(new double[][] {{0.2, 0.2, 1, 1}});
    MultiBoxLoss.Result s = new MultiBoxLoss(4, 2, 1).compute(loc, conf, locT, cls, small);
    assertThat(s.locLoss()).isCloseTo(0.2 * sl0 + 0.2 * sl1, within(1e-12));
    assertThat(s.confLoss()).isCloseTo(0.2 * ce0 + 0.2 * ce1, within(1e-12));
  }

  @Test
  void gradientCheckWithWeightsOnTinyGraph() {
    MultiBoxGradientCase check = MultiBoxGradientCase.create(6, 9);
    int p = MultiBoxGradientCase.PRIORS;
    INDArray labels = check.labels();
    for (int i = 0; i < MultiBoxGradientCase.BATCH; i++) {
      for (int q = 0; q < p; q++) {
        labels.putScalar(i, p * 5 + q, 1);
      }
    }
    labels.putScalar(0, p * 4 + 2, 1);
    labels.putScalar(0, p * 5 + 2, 0.35);
    labels.putScalar(1, p * 4, 2);
    labels.putScalar(1, p * 5, 0.8);
    labels.putScalar(1, p * 4 + 5, 1);
    labels.putScalar(1, p * 5 + 5, 0.6);
    check.assertGradients();
  }

  @Test
  void rejectsNegativeOrNonFiniteWeights() {
    MultiBoxLoss loss = MultiBoxLoss.of(3, 2);
    INDArray loc = Nd4j.zeros(DataType.DOUBLE, 1, 12);
    INDArray conf = Nd4j.zeros(DataType.DOUBLE, 1, 6);
    INDArray cls = Nd4j.createFromArray(new double[][] {{1, 0, 0}});
    assertThatThrownBy(
            () ->
                loss.compute(
                    loc, conf, loc, cls, Nd4j.createFromArray(new double[][] {{-1, 1, 1}})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1.0");
    assertThatThrownBy(
            () ->
                loss.compute(
                    loc, conf, loc, cls, Nd4j.createFromArray(new double[][] {{Double.NaN, 1, 1}})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> loss.compute(loc, conf, loc, cls, Nd4j.ones(DataType.DOUBLE, 1, 4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weights");
  }
}
