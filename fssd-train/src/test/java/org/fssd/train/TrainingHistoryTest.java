package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.fssd.train.TrainingHistory.Evaluation;
import org.fssd.train.TrainingHistory.Step;
import org.junit.jupiter.api.Test;

/** A history is ordered by iteration: steps and evaluations each strictly increasing. */
class TrainingHistoryTest {
  private static Step step(long iteration) {
    return new Step(iteration, 0, 1, 2, 1e-3);
  }

  private static Evaluation evaluation(long iteration) {
    return new Evaluation(iteration, 0, "VOC07_11_POINT", 0.5, Map.of("cat", 0.5));
  }

  @Test
  void increasingIterationsAreAccepted() {
    TrainingHistory h =
        TrainingHistory.of(List.of(step(1), step(2), step(5)), List.of(evaluation(2)));
    assertThat(h.steps()).extracting(Step::iteration).containsExactly(1L, 2L, 5L);
    assertThat(h.evaluations()).extracting(Evaluation::iteration).containsExactly(2L);
  }

  @Test
  void aRepeatedOrFallingIterationIsRefusedNamingTheList() {
    assertThatThrownBy(() -> TrainingHistory.of(List.of(step(1), step(3), step(3)), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("step iterations must increase: 3 after 3");
    assertThatThrownBy(() -> TrainingHistory.of(List.of(), List.of(evaluation(4), evaluation(2))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("evaluation iterations must increase: 2 after 4");
  }
}
