package org.fssd.serve;

import org.fssd.model.ConvSpec;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.model.Labels;

/**
 * The model the fssd-serve tests serve: a tiny random FSSD300 with 2 object classes, heads tamed.
 */
final class ServeTestModels {
  private ServeTestModels() {}

  /**
   * A tiny FSSD300 ({@link FssdTestModels#tiny300}) with labels "a" and "b" and its head weights
   * scaled by 0.1: unscaled, scores saturate at 1.0 (float ties reorder under batching) and boxes
   * span thousands of pixels (1e-6 relative noise > 1e-3 px).
   */
  static FssdModel tamedTiny300() {
    FssdModel model = FssdModel.create(FssdTestModels.tiny300(3), Labels.of("a", "b"), 1);
    for (int i = 0; i < model.config().widths().levels(); i++) {
      model
          .graph()
          .getLayer(model.config().conv(ConvSpec.Group.CONF, i).name())
          .getParam("W")
          .muli(0.1);
      model
          .graph()
          .getLayer(model.config().conv(ConvSpec.Group.LOC, i).name())
          .getParam("W")
          .muli(0.1);
    }
    return model;
  }
}
