package org.fssd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Finite-difference gradient checks of layers, vertices and losses, for every module's tests
 * (shared through the fssd-core test-jar): one network set-up and one set of tolerances.
 *
 * <p>The checks run in double precision: a central difference with step {@link #EPSILON} has a
 * truncation error of O(eps^2) = 1e-12 and a rounding error of about 1e-16 / eps = 1e-10, so a
 * correct gradient agrees to far better than {@link #MAX_REL_ERROR}; gradients smaller than {@link
 * #MIN_ABS_ERROR} are compared absolutely, as their relative error is all rounding.
 */
public final class GradientChecks {
  /** Step of the central difference. */
  public static final double EPSILON = 1e-6;

  /** Largest relative error between analytic and numerical gradient. */
  public static final double MAX_REL_ERROR = 1e-5;

  /** Absolute error below which a gradient passes whatever its relative error. */
  public static final double MIN_ABS_ERROR = 1e-9;

  private GradientChecks() {}

  /**
   * A network configuration for a gradient check: double precision, {@code seed}, Xavier weights
   * and no updater (the check must not move the parameters).
   */
  public static NeuralNetConfiguration.Builder doubleNet(long seed) {
    return new NeuralNetConfiguration.Builder()
        .dataType(DataType.DOUBLE)
        .seed(seed)
        .updater(new NoOp())
        .weightInit(WeightInit.XAVIER);
  }

  /**
   * The check of {@code graph} on one input and its labels with this class's tolerances; callers
   * may add settings (e.g. {@code print}) before {@link #assertPasses}.
   */
  public static GradientCheckUtil.GraphConfig of(
      ComputationGraph graph, INDArray input, INDArray labels) {
    return new GradientCheckUtil.GraphConfig()
        .net(graph)
        .inputs(new INDArray[] {input})
        .labels(new INDArray[] {labels})
        .epsilon(EPSILON)
        .maxRelError(MAX_REL_ERROR)
        .minAbsoluteError(MIN_ABS_ERROR);
  }

  /** Runs {@code check}; fails naming {@code what} if a gradient is off. */
  public static void assertPasses(GradientCheckUtil.GraphConfig check, String what) {
    assertThat(GradientCheckUtil.checkGradients(check)).as("gradient check of %s", what).isTrue();
  }

  /**
   * Runs {@code body} with ND4J's default data types set to double (arrays that layers create
   * internally must be double too for the check to hold), restoring the previous default after.
   */
  public static void inDoublePrecision(Runnable body) {
    DataType before = Nd4j.dataType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    try {
      body.run();
    } finally {
      Nd4j.setDefaultDataTypes(before, before);
    }
  }
}
