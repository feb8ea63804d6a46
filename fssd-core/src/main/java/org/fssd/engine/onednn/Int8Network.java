package org.fssd.engine.onednn;

import java.util.List;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.FssdException;
import org.fssd.model.ConvSpec;
import org.fssd.model.ConvSpec.Group;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.Quantization;
import org.fssd.model.Widths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the steps of a {@link PlanOptions.Precision#INT8} {@link OneDnnPlan}: the FSSD network in
 * 8-bit integers with the activation ranges of a {@link Quantization}.
 *
 * <p>The input (fp32) is quantised to s8 by one scaled re-order. Every convolution runs int8 x int8
 * with int32 accumulation ({@code jit:avx512_core_vnni} where the CPU has VNNI): weights s8,
 * symmetric per output channel, from the BN-folded fp32 weights; bias fp32 in accumulator units;
 * per-output-channel output scales {@code s_src * s_w[o] / s_dst} and the ReLU as post-ops, so the
 * convolution writes u8 directly. Max pools, bilinear resizes and the fusion concat run on u8 (a
 * concat cannot rescale, so the three fusion convolutions write with the concat's one scale). The
 * only fp32 detour is the optional fusion BatchNorm (dequantise, BN, quantise to s8); the heads
 * write fp32. So the plan converts between fp32 and int8 only at the input, around the fusion BN
 * and at the heads.
 *
 * <p>Rounding: weights {@code round(w / s)} clamped to [-127, 127]; activations as oneDNN rounds
 * (to nearest) and saturates.
 */
final class Int8Network {
  private static final Logger LOG = LoggerFactory.getLogger(Int8Network.class);

  private final OneDnnPlan plan;
  private final ComputationGraph graph;
  private final FssdConfig config;
  private final Quantization q;

  /**
   * An activation of the int8 plan: its memory and {@code scale}, the real value of one unit
   * ({@code x = q * scale}). For an fp32 tensor the scale is the one its consumer quantises with.
   */
  private static final class T {
    final OneDnnPlan.Act act;
    final float scale;

    T(OneDnnPlan.Act act, float scale) {
      this.act = act;
      this.scale = scale;
    }

    /** The data type (read back from oneDNN: compare with {@link #same}, not ==). */
    memory.data_type type() {
      return act.md.data_type();
    }
  }

  /** Whether two oneDNN data types are the same (the binding makes new enum objects). */
  static boolean same(memory.data_type a, memory.data_type b) {
    return a.value == b.value;
  }

  Int8Network(OneDnnPlan plan, ComputationGraph graph) {
    this.plan = plan;
    this.graph = graph;
    this.config = plan.weights().config();
    this.q =
        com.google.common.base.Preconditions.checkNotNull(
            plan.weights().quantization(), "INT8 weights carry a quantisation");
  }

  /** The unit of a u8 tensor of range {@code r}. */
  static float unsignedScale(float r) {
    return r / 255f;
  }

  /** The unit of an s8 tensor of range {@code r}. */
  static float signedScale(float r) {
    return r / 127f;
  }

  void build(OneDnnPlan.Act input) {
    T x = new T(input, signedScale(q.range(Quantization.INPUT)));
    List<ConvSpec> convs = config.convs();
    T source1 = null;
    ConvSpec previous = null;
    for (int i = 0; i < convs.size() && convs.get(i).group() == Group.BASE; i++) {
      ConvSpec c = convs.get(i);
      if (previous != null) {
        x = new T(plan.maybePool(graph, previous, c, x.act), x.scale);
      }
      x = conv(c, x, unsignedScale(q.range(c.name())), true);
      if (i == Widths.CONV4_3) {
        source1 = x;
      }
      previous = c;
    }
    T source2 = x;
    for (int i = 0; i < 4; i++) {
      ConvSpec c = config.conv(Group.EXTRAS, i);
      x = conv(c, x, unsignedScale(q.range(c.name())), true);
    }
    T[] sources = {source1, source2, x};
    float concatScale = unsignedScale(q.range(FssdGraph.CONCAT));
    OneDnnPlan.Act[] fused = new OneDnnPlan.Act[3];
    for (int i = 0; i < 3; i++) {
      ConvSpec c = config.conv(Group.FUSION, i);
      T y = conv(c, sources[i], concatScale, true);
      if (c.outSize() != config.fusionSize()) {
        y = resize(c.name() + ".up", y, c.out(), c.outSize(), config.fusionSize());
      }
      fused[i] = y.act;
    }
    x = new T(plan.concat(fused), concatScale);
    if (config.fusionBatchNorm()) {
      OneDnnPlan.Act real =
          dequantise(FssdGraph.CONCAT, x, config.widths().fusionConcat(), config.fusionSize());
      x =
          new T(
              plan.batchNorm(graph, FssdGraph.CONCAT_BN, real),
              signedScale(q.range(FssdGraph.CONCAT_BN)));
    }
    int levels = config.widths().levels();
    T[] pyramid = new T[levels];
    for (int i = 0; i < levels; i++) {
      ConvSpec c = config.conv(Group.PYRAMID, i);
      x = conv(c, x, unsignedScale(q.range(c.name())), true);
      pyramid[i] = x;
    }
    heads(Group.LOC, pyramid, plan.locHeads, 4);
    heads(Group.CONF, pyramid, plan.confHeads, config.numClasses());
  }

  /** A bilinear resize on u8 where oneDNN has one; else in fp32 between two conversions. */
  private T resize(String name, T y, int channels, int fromSize, int size) {
    try {
      return new T(plan.resize(name, y.act, channels, size), y.scale);
    } catch (RuntimeException e) {
      LOG.debug(
          "oneDNN refused an int8 resize for {} ({}); resizing in fp32", name, e.getMessage());
    }
    OneDnnPlan.Act real = dequantise(name, y, channels, fromSize);
    OneDnnPlan.Act resized = plan.resize(name, real, channels, size);
    memory.desc md =
        new memory.desc(
            new long[] {plan.batchSize(), channels, size, size},
            memory.data_type.u8,
            memory.format_tag.nhwc);
    memory dst = plan.activation(md);
    scaledReorder(name + " quantise", resized.mem, dst, 1f / y.scale);
    return new T(new OneDnnPlan.Act(dst, md), y.scale);
  }

  /** {@code x} as fp32 real values (NHWC). */
  private OneDnnPlan.Act dequantise(String name, T x, long channels, long size) {
    long[] d = {plan.batchSize(), channels, size, size};
    memory.desc md = new memory.desc(d, memory.data_type.f32, memory.format_tag.nhwc);
    memory dst = plan.activation(md);
    scaledReorder(name + " dequantise", x.act.mem, dst, x.scale);
    return new OneDnnPlan.Act(dst, md);
  }

  private void scaledReorder(String name, memory from, memory to, float scale) {
    primitive_attr attr = plan.userScratchpad();
    attr.set_output_scales(0, new float[] {scale});
    reorder.primitive_desc pd = new reorder.primitive_desc(from, to, attr, false);
    plan.addStep(
        name + " reorder x" + scale,
        "",
        plan.keep(new reorder(pd)),
        dnnl.DNNL_ARG_FROM,
        from,
        dnnl.DNNL_ARG_TO,
        to);
    plan.scratchpad(pd.scratchpad_desc());
  }

  /**
   * The source of a convolution in layout {@code md}: {@code x} itself or a re-ordered copy; fp32
   * tensors are quantised on the way.
   */
  private memory source(String consumer, T x, memory.desc md) {
    if (same(x.type(), md.data_type())) {
      return plan.as(consumer, x.act, md);
    }
    memory dst = plan.activation(md);
    scaledReorder(consumer + " input quantise", x.act.mem, dst, 1f / x.scale);
    return dst;
  }

  /** The weights, bias and scales of one convolution as the int8 kernel runs it. */
  static final class QuantisedConv {
    /** Integer weights (as floats, exact), OIHW. */
    final float[] weights;

    /** Bias in accumulator units: {@code b / (s_src * s_w[o])}. */
    final float[] bias;

    /** Per output channel: {@code s_src * s_w[o] / s_dst}. */
    final float[] outputScales;

    QuantisedConv(float[] w, float[] b, float srcScale, float dstScale) {
      int out = b.length;
      int per = w.length / out;
      weights = new float[w.length];
      bias = new float[out];
      outputScales = new float[out];
      for (int o = 0; o < out; o++) {
        float max = 0;
        for (int i = o * per; i < (o + 1) * per; i++) {
          max = Math.max(max, Math.abs(w[i]));
        }
        // an all-zero channel (e.g. pruned) keeps zero weights under any scale
        float sw = max > 0 ? max / 127f : 1f;
        for (int i = o * per; i < (o + 1) * per; i++) {
          weights[i] = Math.max(-127, Math.min(127, Math.round(w[i] / sw)));
        }
        bias[o] = b[o] / (srcScale * sw);
        outputScales[o] = srcScale * sw / dstScale;
      }
    }
  }

  /**
   * One int8 convolution: u8/s8 source, s8 weights; writes u8 (ReLU) or, for {@code dstScale} NaN,
   * fp32 real values (heads).
   */
  private T conv(ConvSpec c, T src, float dstScale, boolean relu) {
    boolean realOut = Float.isNaN(dstScale);
    long n = plan.batchSize();
    long k = c.kernel();
    memory.data_type srcType =
        same(src.type(), memory.data_type.f32)
            ? memory.data_type.s8
            : same(src.type(), memory.data_type.u8) ? memory.data_type.u8 : memory.data_type.s8;
    memory.data_type dstType =
        realOut ? memory.data_type.f32 : relu ? memory.data_type.u8 : memory.data_type.s8;
    memory.desc srcAny =
        new memory.desc(
            new long[] {n, c.in(), c.inSize(), c.inSize()}, srcType, memory.format_tag.any);
    memory.desc weightsAny =
        new memory.desc(
            new long[] {c.out(), c.in(), k, k}, memory.data_type.s8, memory.format_tag.any);
    memory.desc biasMd =
        new memory.desc(new long[] {c.out()}, memory.data_type.f32, memory.format_tag.x);
    memory.desc dstAny =
        new memory.desc(
            new long[] {n, c.out(), c.outSize(), c.outSize()}, dstType, memory.format_tag.any);
    float[][] params = plan.convParamArrays(graph, c);
    QuantisedConv qc = new QuantisedConv(params[0], params[1], src.scale, realOut ? 1f : dstScale);
    primitive_attr attr = plan.userScratchpad();
    attr.set_output_scales(2, qc.outputScales);
    if (relu) {
      post_ops ops = new post_ops();
      ops.append_eltwise(1f, dnnl.algorithm.eltwise_relu, 0f, 0f);
      attr.set_post_ops(ops);
    }
    convolution_forward.primitive_desc pd = null;
    OneDnnWeights.Choice chosen = plan.weights().choice(c.name());
    if (chosen != null) {
      try {
        pd =
            plan.convPd(
                c,
                dnnl.algorithm.convolution_direct,
                srcAny,
                chosen.weightsMd,
                biasMd,
                dstAny,
                attr);
        if (pd.impl_info_str().getString().startsWith("ref")) {
          pd = null;
        }
      } catch (RuntimeException e) {
        LOG.debug(
            "oneDNN refused {}'s shared int8 weight layout at batch {} ({})", c, n, e.getMessage());
      }
    }
    if (pd == null) {
      try {
        pd =
            plan.convPd(
                c, dnnl.algorithm.convolution_direct, srcAny, weightsAny, biasMd, dstAny, attr);
      } catch (RuntimeException e) {
        throw new FssdException(
            "oneDNN refused int8 convolution "
                + c
                + " ("
                + srcType
                + " -> "
                + dstType
                + "): "
                + e.getMessage(),
            e);
      }
    }
    plan.weights().choose(c.name(), false, pd.weights_desc());
    memory srcMem = source(c.name(), src, pd.src_desc());
    memory.desc plain =
        new memory.desc(
            new long[] {c.out(), c.in(), k, k}, memory.data_type.f32, memory.format_tag.oihw);
    memory w =
        plan.weights().get(c.name() + "_W", pd.weights_desc(), plain, () -> qc.weights, true);
    memory bias = plan.weights().get(c.name() + "_b", pd.bias_desc(), null, () -> qc.bias, false);
    memory.desc dstMd = pd.dst_desc();
    memory dst = plan.activation(dstMd);
    IntMemoryMap args = plan.keep(new IntMemoryMap());
    plan.arg(args, dnnl.DNNL_ARG_SRC, srcMem);
    plan.arg(args, dnnl.DNNL_ARG_WEIGHTS, w);
    plan.arg(args, dnnl.DNNL_ARG_BIAS, bias);
    plan.arg(args, dnnl.DNNL_ARG_DST, dst);
    plan.putScratchpad(args, pd.scratchpad_desc());
    plan.primitives.add(plan.keep(new convolution_forward(pd)));
    plan.arguments.add(args);
    plan.layers.add(
        c
            + ": int8 "
            + pd.impl_info_str().getString()
            + " "
            + srcType
            + "->"
            + dstType
            + (relu ? " +relu" : ""));
    return new T(new OneDnnPlan.Act(dst, dstMd), realOut ? 1f : dstScale);
  }

  private void heads(Group head, T[] pyramid, List<OneDnnPlan.HeadOutput> outs, int perPrior) {
    int offset = 0;
    for (int i = 0; i < pyramid.length; i++) {
      ConvSpec c = config.conv(head, i);
      offset = plan.addHeadOutput(c, conv(c, pyramid[i], Float.NaN, false).act, outs, offset);
    }
    plan.checkHeadValues(head, offset, perPrior);
  }
}
