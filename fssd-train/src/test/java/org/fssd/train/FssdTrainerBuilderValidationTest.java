package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.fssd.data.ShapesDataset;
import org.junit.jupiter.api.Test;

/**
 * The optimiser settings of {@link FssdTrainer.Builder} are refused at the setter, named with their
 * range.
 */
class FssdTrainerBuilderValidationTest {
  private static FssdTrainer.Builder builder() {
    return FssdTrainer.builder(ShapesDataset.builder().count(2).imageSize(32, 32).seed(1).build());
  }

  @Test
  void momentumMustBeInZeroToOne() {
    assertThatThrownBy(() -> builder().momentum(1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("momentum must be in [0, 1), got 1.0");
    assertThatThrownBy(() -> builder().momentum(-0.1))
        .hasMessageContaining("momentum must be in [0, 1)");
    assertThatThrownBy(() -> builder().momentum(Double.NaN)).hasMessageContaining("got NaN");
    builder().momentum(0.0).momentum(0.99); // the ends that are allowed
  }

  @Test
  void weightDecayMustBeFiniteAndNotNegative() {
    assertThatThrownBy(() -> builder().weightDecay(-1e-4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("weightDecay must be finite and >= 0, got -1.0E-4");
    assertThatThrownBy(() -> builder().weightDecay(Double.POSITIVE_INFINITY))
        .hasMessageContaining("weightDecay");
    builder().weightDecay(0.0);
  }

  @Test
  void decayFactorMustBeInZeroToOne() {
    assertThatThrownBy(() -> builder().decayFactor(0.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("decayFactor must be in (0, 1], got 0.0");
    assertThatThrownBy(() -> builder().decayFactor(1.5)).hasMessageContaining("decayFactor");
    assertThatThrownBy(() -> builder().decayFactor(Double.NaN)).hasMessageContaining("decayFactor");
    builder().decayFactor(1.0);
  }
}
