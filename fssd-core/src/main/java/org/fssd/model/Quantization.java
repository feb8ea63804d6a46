package org.fssd.model;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The int8 post-training quantisation of a model: the clipping range of every activation tensor the
 * int8 plan stores, found by calibration, and how it was found. Saved in the model file ({@link
 * ModelFile}, format version 2) and run by the oneDNN plan at precision INT8.
 *
 * <p>Scheme (the plan's, recorded here so a reader knows what the numbers mean):
 *
 * <ul>
 *   <li>Weights: symmetric int8 per output channel, after folding BatchNorm into the convolution:
 *       {@code q = round(w / s[o])}, {@code s[o] = max |w[o]| / 127}. They are derived from the
 *       stored fp32 parameters when the plan is compiled, so the file keeps one set of weights and
 *       still runs in fp32 on the graph engine.
 *   <li>Activations: one scale per tensor, {@code x = q * range / 255} for the unsigned (u8)
 *       outputs of ReLU convolutions, pools, resizes and the fusion concat, {@code x = q * range /
 *       127} for the signed (s8) network input and the fusion BatchNorm's output. Values beyond
 *       {@code range} saturate.
 *   <li>The three fusion convolutions share the concat's range (a concat cannot rescale); the
 *       heads' outputs are fp32.
 * </ul>
 *
 * <p>Tensor names are the graph's vertex names: {@value #INPUT}, each non-head convolution block's
 * name ({@code base.0}, {@code extras.1}, {@code pyramid.3}, ...), {@link FssdGraph#CONCAT} and,
 * when the network has one, {@link FssdGraph#CONCAT_BN}.
 *
 * <p>Immutable.
 */
public final class Quantization {
  /** The tensor name of the network input. */
  public static final String INPUT = "input";

  private final String method;
  private final String calibration;
  private final ImmutableMap<String, Float> ranges;

  private Quantization(String method, String calibration, Map<String, Float> ranges) {
    this.method = Objects.requireNonNull(method, "method");
    this.calibration = Objects.requireNonNull(calibration, "calibration");
    Objects.requireNonNull(ranges, "ranges");
    for (Map.Entry<String, Float> e : ranges.entrySet()) {
      float r = e.getValue();
      checkArgument(
          Float.isFinite(r) && r > 0, "range of %s must be finite and > 0, got %s", e.getKey(), r);
    }
    this.ranges = ImmutableMap.copyOf(ranges);
  }

  /**
   * A quantisation with these per-tensor ranges ({@code name -> range > 0}), made by calibration
   * {@code method} (e.g. {@code minmax}, {@code percentile-99.99}, {@code mse}) on {@code
   * calibration} (a description of the images).
   */
  public static Quantization of(String method, String calibration, Map<String, Float> ranges) {
    return new Quantization(method, calibration, ranges);
  }

  /** The calibration method that chose the ranges. */
  public String method() {
    return method;
  }

  /** The calibration images, as described by whoever calibrated. */
  public String calibration() {
    return calibration;
  }

  /** All ranges, name to range. */
  public Map<String, Float> ranges() {
    return ranges;
  }

  /**
   * The range of tensor {@code name}.
   *
   * @throws IllegalArgumentException when the quantisation has none for it
   */
  public float range(String name) {
    Float r = ranges.get(name);
    checkArgument(r != null, "the quantisation has no range for tensor %s", name);
    return r;
  }

  /** The tensor names a network of {@code config} needs ranges for, in network order. */
  public static List<String> tensorNames(FssdConfig config) {
    List<String> names = new ArrayList<>();
    names.add(INPUT);
    for (ConvSpec c : config.convs()) {
      if (!c.isHead() && c.group() != ConvSpec.Group.FUSION) {
        names.add(c.name());
      }
    }
    names.add(FssdGraph.CONCAT);
    if (config.fusionBatchNorm()) {
      names.add(FssdGraph.CONCAT_BN);
    }
    return names;
  }

  /**
   * Checks that every tensor {@code config} needs has a range.
   *
   * @throws IllegalArgumentException naming the first one missing
   */
  public void checkCovers(FssdConfig config) {
    for (String n : tensorNames(config)) {
      checkArgument(ranges.containsKey(n), "the quantisation has no range for tensor %s", n);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Quantization q
        && q.method.equals(method)
        && q.calibration.equals(calibration)
        && q.ranges.equals(ranges);
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, calibration, ranges);
  }

  @Override
  public String toString() {
    return "Quantization{int8, "
        + method
        + ", "
        + ranges.size()
        + " tensors, calibration "
        + calibration
        + "}";
  }
}
