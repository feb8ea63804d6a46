package org.fssd.prune;

import java.util.Objects;
import org.fssd.model.FssdModel;

/**
 * SPEC §11: the outcome of {@link Pruner#prune}: the channel selection, the pruned model (ready for
 * fine-tuning) and the report. Immutable holder (the model's graph itself is mutable).
 */
public final class PruneResult {
  private final ChannelSelection selection;
  private final FssdModel model;
  private final PruneReport report;

  PruneResult(ChannelSelection selection, FssdModel model, PruneReport report) {
    this.selection = Objects.requireNonNull(selection, "selection");
    this.model = Objects.requireNonNull(model, "model");
    this.report = Objects.requireNonNull(report, "report");
  }

  /** Which channels every layer kept, and the new widths. */
  public ChannelSelection selection() {
    return selection;
  }

  /** The pruned model. */
  public FssdModel model() {
    return model;
  }

  /** Widths, parameters, size and GMACs before and after. */
  public PruneReport report() {
    return report;
  }

  @Override
  public String toString() {
    return "PruneResult{" + selection + "}\n" + report;
  }
}
