package org.fssd.train.optim;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * The {@link GradientUpdater} of {@link PyTorchSgd}: state {@value #V_STATE} (the velocity, one
 * value per parameter, a view into DL4J's updater state array so that it is saved with the model).
 * {@link #applyUpdater} turns the gradient into the step {@code lr * v} in place. Used by one
 * thread.
 */
public final class PyTorchSgdUpdater implements GradientUpdater<PyTorchSgd> {
  /** Name of the velocity state. */
  public static final String V_STATE = "V";

  private final PyTorchSgd config;
  private INDArray v;

  /** An updater for {@code config}; DL4J sets its state view before use. */
  public PyTorchSgdUpdater(PyTorchSgd config) {
    this.config = config;
  }

  @Override
  public PyTorchSgd getConfig() {
    return config;
  }

  @Override
  public void setState(Map<String, INDArray> stateMap, boolean initialize) {
    checkArgument(
        stateMap != null && stateMap.size() == 1 && stateMap.containsKey(V_STATE),
        "PyTorchSgd state must be exactly {%s}, got %s",
        V_STATE,
        stateMap == null ? null : stateMap.keySet());
    this.v = stateMap.get(V_STATE);
    if (initialize) {
      v.assign(0);
    }
  }

  @Override
  public Map<String, INDArray> getState() {
    return Map.of(V_STATE, v);
  }

  @Override
  public void setStateViewArray(
      INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
    checkArgument(
        viewArray.isRowVector() || viewArray.rank() == 1,
        "state view must be a vector, got shape %s",
        java.util.Arrays.toString(viewArray.shape()));
    if (initialize) {
      viewArray.assign(0);
    }
    this.v = viewArray.reshape(viewArray.length());
  }

  @Override
  public void applyUpdater(INDArray gradient, int iteration, int epoch) {
    checkState(v != null, "updater state not set");
    checkArgument(
        gradient.length() == v.length(),
        "gradient has %s values, the velocity %s",
        gradient.length(),
        v.length());
    double lr = config.getLearningRate(iteration, epoch);
    INDArray g = gradient.reshape(v.length());
    v.muli(config.getMomentum()).addi(g);
    gradient.assign(v.reshape(gradient.shape())).muli(lr);
  }
}
