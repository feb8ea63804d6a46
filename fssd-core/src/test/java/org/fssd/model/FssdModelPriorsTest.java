package org.fssd.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.fssd.box.PriorBoxes;
import org.junit.jupiter.api.Test;

/** {@link FssdModel#priors()} hands out copies: a caller cannot change another's priors. */
class FssdModelPriorsTest {

  @Test
  void priorsAreACopyThatCallersCannotCorrupt() {
    FssdModel model = FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1);
    float[] first = model.priors();
    float[] expected = PriorBoxes.generate(model.config().priors());
    assertThat(first).containsExactly(expected);
    first[0] = -1f;
    assertThat(model.priors())
        .as("a second call after the first copy was changed")
        .containsExactly(expected);
    assertThat(model.priors()).isNotSameAs(model.priors());
  }
}
