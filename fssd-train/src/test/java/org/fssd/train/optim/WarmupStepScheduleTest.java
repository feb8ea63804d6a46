package org.fssd.train.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.databind.ObjectMapper;

class WarmupStepScheduleTest {
  private static final double START = 1e-6;

  @Test
  void linearWarmupThenSteps() {
    WarmupStepSchedule s =
        new WarmupStepSchedule(1e-3, 100, Warmup.LINEAR, new int[] {150, 200}, 0.1);
    assertThat(s.valueAt(0, 0)).isEqualTo(START);
    assertThat(s.valueAt(50, 0)).isCloseTo(START + (1e-3 - START) * 0.5, within(1e-15));
    assertThat(s.valueAt(99, 0)).isCloseTo(START + (1e-3 - START) * 0.99, within(1e-15));
    assertThat(s.valueAt(100, 1)).isEqualTo(1e-3);
    assertThat(s.valueAt(149 * 100 + 99, 149)).isEqualTo(1e-3);
    assertThat(s.valueAt(150 * 100, 150)).isCloseTo(1e-4, within(1e-15));
    assertThat(s.valueAt(199 * 100 + 99, 199)).isCloseTo(1e-4, within(1e-15));
    assertThat(s.valueAt(200 * 100, 200)).isCloseTo(1e-5, within(1e-15));
    // the epoch argument is ignored: the iteration decides
    assertThat(s.valueAt(200 * 100, 0)).isCloseTo(1e-5, within(1e-15));
  }

  @Test
  void referenceQuirkReachesAFifthThenJumps() {
    WarmupStepSchedule s =
        new WarmupStepSchedule(1e-3, 10, Warmup.REFERENCE, new int[] {150, 200}, 0.1);
    assertThat(s.valueAt(0, 0)).isEqualTo(START);
    assertThat(s.valueAt(5, 0)).isCloseTo(START + (1e-3 - START) * 5 / 50.0, within(1e-15));
    assertThat(s.valueAt(9, 0)).isCloseTo(START + (1e-3 - START) * 9 / 50.0, within(1e-15));
    assertThat(s.valueAt(9, 0)).isLessThan(2.0e-4);
    assertThat(s.valueAt(10, 1)).isEqualTo(1e-3);
  }

  @Test
  void noWarmup() {
    WarmupStepSchedule s = new WarmupStepSchedule(0.01, 10, Warmup.NONE, new int[] {2}, 0.5);
    assertThat(s.valueAt(0, 0)).isEqualTo(0.01);
    assertThat(s.valueAt(20, 0)).isEqualTo(0.005);
  }

  @Test
  void rejectsBadSettings() {
    assertThatThrownBy(() -> new WarmupStepSchedule(1e-3, 0, Warmup.LINEAR, null, 0.1))
        .hasMessageContaining("iterationsPerEpoch");
    assertThatThrownBy(() -> new WarmupStepSchedule(1e-3, 10, Warmup.LINEAR, new int[] {5, 5}, 0.1))
        .hasMessageContaining("decayEpochs");
  }

  @Test
  void jsonRoundTripThroughDl4jMapper() throws Exception {
    ObjectMapper m = NeuralNetConfiguration.mapper();
    WarmupStepSchedule s = new WarmupStepSchedule(1e-3, 7, Warmup.REFERENCE, new int[] {3, 9}, 0.2);
    ISchedule back =
        m.readValue(m.writeValueAsString(new PyTorchSgd(0, s, 0.9)), PyTorchSgd.class)
            .getLearningRateSchedule();
    assertThat(back).isEqualTo(s);
  }
}
