package org.fssd.prune;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.FssdModel;
import org.fssd.model.Provenance;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC §11 steps 2-4: prunes a BN-variant FSSD by its BN gammas and copies the kept weight slices
 * into a network of the new widths (fine-tuning, step 5, is the trainer's job).
 *
 * <pre>{@code
 * PruneResult r = Pruner.prune(model, PruneOptions.builder().percent(0.5).build());
 * r.model().save(Path.of("pruned.fssd"));
 * log.info("\n{}", r.report());
 * }</pre>
 *
 * <p>Weight surgery ({@link #apply}): every convolution keeps its kept output channels (heads: all)
 * and, as input channels, the kept output channels of its producer ({@link
 * ChannelSelection#keptInputs}); biases and the four BN tensors (gamma, beta, running mean, running
 * variance) keep the kept output slices; the optional {@code ft_bn} keeps the slices of the kept
 * concat channels. The result has the same labels and a provenance recording the pruning ({@code
 * prune.*} entries, the parent's entries under {@code parent.*}).
 *
 * <p>Removing a channel is exact when its ReLU output is always zero (gamma = 0 and beta &lt;= 0
 * after BN); otherwise the channel's contribution is dropped, as the reference does. With {@code
 * ft_bn}, a removed fusion channel's constant after that BN is dropped too.
 *
 * <p>Stateless and thread-safe; the input model is only read (not while another thread uses its
 * graph for training).
 */
public final class Pruner {
  private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);

  private Pruner() {}

  /** Selects channels by {@code options} (SPEC §11) and applies the selection to {@code model}. */
  public static PruneResult prune(FssdModel model, PruneOptions options) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(options, "options");
    ChannelSelection selection = ChannelSelection.select(model, options);
    for (String w : selection.warnings()) {
      LOG.warn("prune: {}", w);
    }
    FssdModel pruned = apply(model, selection);
    PruneReport report = PruneReport.compare(model.config(), pruned.config());
    LOG.info(
        "pruned {} of {} BN channels (percent {}, threshold {}): {} -> {} parameters",
        selection.channelsBefore() - selection.channelsAfter(),
        selection.channelsBefore(),
        options.percent(),
        selection.threshold(),
        report.paramsBefore(),
        report.paramsAfter());
    return new PruneResult(selection, pruned, report);
  }

  /**
   * A new model of {@code selection.config()} holding the kept slices of {@code model}'s weights.
   *
   * @throws IllegalArgumentException if the selection was made for another configuration
   */
  public static FssdModel apply(FssdModel model, ChannelSelection selection) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(selection, "selection");
    FssdConfig config = model.config();
    checkArgument(
        selection.original().equals(config),
        "the selection was made for %s, not for this model's %s",
        selection.original(),
        config);
    FssdConfig target = selection.config();
    ComputationGraph src = model.graph();
    ComputationGraph dst = new ComputationGraph(FssdGraph.configuration(target));
    dst.init();
    long copied = 0;
    for (ConvSpec c : config.convs()) {
      int[] out = selection.kept(c.name());
      int[] in = selection.keptInputs(c.name());
      boolean bn = config.batchNorm() && !c.isHead();
      String conv = bn ? c.name() + ".conv" : c.name();
      copied += copyConv(src.getParam(conv + "_W"), dst.getParam(conv + "_W"), c, out, in);
      if (!bn) {
        copied += copySlice(src.getParam(conv + "_b"), dst.getParam(conv + "_b"), out);
      } else {
        copied += copyBatchNorm(src, dst, c.name() + ".bn", out);
      }
    }
    if (config.fusionBatchNorm()) {
      copied += copyBatchNorm(src, dst, FssdGraph.CONCAT_BN, selection.keptConcat());
    }
    checkState(
        copied == dst.numParams(),
        "copied %s of the pruned network's %s parameters",
        copied,
        dst.numParams());
    Provenance p = Provenance.of("prune of " + model.provenance().get("source"));
    if (!Double.isNaN(selection.percent())) {
      p =
          p.with("prune.percent", Double.toString(selection.percent()))
              .with("prune.threshold", Double.toString(selection.threshold()));
    } else {
      p = p.with("prune.selection", "by hand");
    }
    p =
        p.with("prune.channels.before", Integer.toString(selection.channelsBefore()))
            .with("prune.channels.after", Integer.toString(selection.channelsAfter()))
            .with("prune.params.before", Long.toString(src.numParams()))
            .with("prune.params.after", Long.toString(dst.numParams()));
    for (Map.Entry<String, String> e : model.provenance().asMap().entrySet()) {
      p = p.with("parent." + e.getKey(), e.getValue());
    }
    return FssdModel.of(target, dst, model.labels(), p);
  }

  private static long copyConv(INDArray from, INDArray to, ConvSpec c, int[] out, int[] in) {
    float[] w = flat(from);
    int kk = c.kernel() * c.kernel();
    checkState(
        w.length == (long) c.out() * c.in() * kk,
        "%s: weight has %s values, expected %s",
        c.name(),
        w.length,
        (long) c.out() * c.in() * kk);
    float[] r = new float[out.length * in.length * kk];
    for (int o = 0; o < out.length; o++) {
      for (int i = 0; i < in.length; i++) {
        System.arraycopy(w, (out[o] * c.in() + in[i]) * kk, r, (o * in.length + i) * kk, kk);
      }
    }
    return assign(to, r);
  }

  private static long copyBatchNorm(
      ComputationGraph src, ComputationGraph dst, String bn, int[] keep) {
    long n = 0;
    for (String p : new String[] {"_gamma", "_beta", "_mean", "_var"}) {
      n += copySlice(src.getParam(bn + p), dst.getParam(bn + p), keep);
    }
    return n;
  }

  private static long copySlice(INDArray from, INDArray to, int[] keep) {
    float[] v = flat(from);
    float[] r = new float[keep.length];
    for (int i = 0; i < keep.length; i++) {
      r[i] = v[keep[i]];
    }
    return assign(to, r);
  }

  private static float[] flat(INDArray a) {
    return a.castTo(DataType.FLOAT).dup('c').reshape(a.length()).toFloatVector();
  }

  private static long assign(INDArray to, float[] values) {
    checkState(
        to.length() == values.length,
        "parameter of shape %s gets %s values",
        java.util.Arrays.toString(to.shape()),
        values.length);
    to.assign(Nd4j.create(values, to.shape(), 'c').castTo(to.dataType()));
    return values.length;
  }
}
