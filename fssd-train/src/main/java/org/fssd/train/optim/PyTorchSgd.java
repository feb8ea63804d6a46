package org.fssd.train.optim;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * SPEC §7: stochastic gradient descent with PyTorch's heavy-ball momentum ({@code torch.optim.SGD},
 * dampening 0, not Nesterov): {@code v = momentum * v + g; w -= lr * v}, with {@code v} starting at
 * 0 (so the first step is {@code w -= lr * g}). DL4J's {@code Nesterovs} differs.
 *
 * <p>Weight decay is not part of this updater (a DL4J {@code GradientUpdater} never sees the
 * parameters): PyTorch's {@code weight_decay} — {@code g += wd * w} before the momentum — is DL4J's
 * {@code L2Regularization}, which DL4J applies just before the updater. {@link TrainingConfigurer}
 * installs both.
 *
 * <p>The learning rate is {@link #getLearningRate(int, int)}: the schedule's value when one is set,
 * else the fixed rate. Immutable (DL4J may call {@link #setLrAndSchedule}, which mutates, on its
 * own copies only); serialisable to DL4J's configuration JSON.
 */
public final class PyTorchSgd implements IUpdater {
  private static final long serialVersionUID = 1L;

  /** The reference's momentum. */
  public static final double DEFAULT_MOMENTUM = 0.9;

  private double learningRate;
  private ISchedule learningRateSchedule;
  private final double momentum;

  /**
   * An updater with a fixed {@code learningRate} or, when {@code schedule} is non-null, a scheduled
   * one.
   */
  @JsonCreator
  public PyTorchSgd(
      @JsonProperty("learningRate") double learningRate,
      @JsonProperty("learningRateSchedule") ISchedule schedule,
      @JsonProperty("momentum") double momentum) {
    checkArgument(
        learningRate >= 0 && Double.isFinite(learningRate),
        "learningRate must be finite and >= 0, got %s",
        learningRate);
    checkArgument(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got %s", momentum);
    this.learningRate = learningRate;
    this.learningRateSchedule = schedule;
    this.momentum = momentum;
  }

  /** A scheduled updater with the reference's momentum 0.9. */
  public static PyTorchSgd of(ISchedule schedule) {
    return new PyTorchSgd(0, Objects.requireNonNull(schedule, "schedule"), DEFAULT_MOMENTUM);
  }

  /** A fixed-rate updater. */
  public static PyTorchSgd of(double learningRate, double momentum) {
    return new PyTorchSgd(learningRate, null, momentum);
  }

  /** The fixed learning rate (unused when a schedule is set). */
  @JsonProperty("learningRate")
  public double getLearningRate() {
    return learningRate;
  }

  /** The schedule, or null. */
  @JsonProperty("learningRateSchedule")
  public ISchedule getLearningRateSchedule() {
    return learningRateSchedule;
  }

  /** The momentum factor. */
  @JsonProperty("momentum")
  public double getMomentum() {
    return momentum;
  }

  /** One velocity value per parameter. */
  @Override
  public long stateSize(long numParams) {
    return numParams;
  }

  @Override
  public GradientUpdater<PyTorchSgd> instantiate(INDArray viewArray, boolean initializeViewArray) {
    PyTorchSgdUpdater u = new PyTorchSgdUpdater(this);
    u.setStateViewArray(viewArray, viewArray.shape(), viewArray.ordering(), initializeViewArray);
    return u;
  }

  @Override
  public GradientUpdater<PyTorchSgd> instantiate(
      Map<String, INDArray> updaterState, boolean initializeStateArrays) {
    PyTorchSgdUpdater u = new PyTorchSgdUpdater(this);
    u.setState(updaterState, initializeStateArrays);
    return u;
  }

  @Override
  public PyTorchSgd clone() {
    return new PyTorchSgd(
        learningRate, learningRateSchedule == null ? null : learningRateSchedule.clone(), momentum);
  }

  @Override
  public double getLearningRate(int iteration, int epoch) {
    return learningRateSchedule != null
        ? learningRateSchedule.valueAt(iteration, epoch)
        : learningRate;
  }

  @Override
  public boolean hasLearningRate() {
    return true;
  }

  @Override
  public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
    this.learningRate = lr;
    this.learningRateSchedule = lrSchedule;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PyTorchSgd s
        && s.learningRate == learningRate
        && s.momentum == momentum
        && Objects.equals(s.learningRateSchedule, learningRateSchedule);
  }

  @Override
  public int hashCode() {
    return Objects.hash(learningRate, learningRateSchedule, momentum);
  }

  @Override
  public String toString() {
    return "PyTorchSgd(lr="
        + (learningRateSchedule != null ? learningRateSchedule : learningRate)
        + ", momentum="
        + momentum
        + ")";
  }
}
