package org.fssd.model;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Calibration statistics for int8 quantisation: runs the fp32 graph on calibration batches and
 * keeps, for every tensor a {@link Quantization} needs, its exact maximum magnitude and a random
 * sample of its values; {@link #quantization} turns them into ranges by one of three {@link
 * Method}s.
 *
 * <pre>{@code
 * ActivationRanges stats = new ActivationRanges(model.config(), 7);
 * for (INDArray batch : calibrationBatches) stats.add(model.graph(), batch);
 * Quantization q = stats.quantization(ActivationRanges.Method.MSE, "200 shapes images");
 * }</pre>
 *
 * <p>Signed tensors (the network input, the fusion BatchNorm's output) are measured by {@code |x|}
 * and quantised to 127 levels a side; the others are ReLU outputs (>= 0), quantised to 255 levels.
 * Not thread-safe.
 */
public final class ActivationRanges {
  /** How a range is chosen from the observed values. */
  public enum Method {
    /** The largest value seen: nothing saturates, small values get coarse steps. */
    MINMAX("minmax"),
    /** The 99.99th percentile of the values: the rare largest ones saturate. */
    PERCENTILE("percentile-99.99"),
    /** The range that minimises the mean squared quantisation error (rounding plus saturation). */
    MSE("mse");

    private final String label;

    Method(String label) {
      this.label = label;
    }

    /** The name recorded in the model file. */
    public String label() {
      return label;
    }
  }

  /** Values sampled from each tensor per image. */
  static final int SAMPLES_PER_IMAGE = 4096;

  /** Most values kept per tensor (a uniform reservoir beyond that). */
  static final int MAX_SAMPLES = 1 << 18;

  private static final int MSE_CANDIDATES = 96;

  private final FssdConfig config;
  private final List<String> names;
  private final Map<String, Stats> stats = new LinkedHashMap<>();
  private final SplittableRandom random;
  private int images;

  private static final class Stats {
    final boolean signed;
    float max;
    float[] sample = new float[1024];
    int size;
    long seen;

    Stats(boolean signed) {
      this.signed = signed;
    }
  }

  /** Statistics for a network of {@code config}; {@code seed} fixes the sampling. */
  public ActivationRanges(FssdConfig config, long seed) {
    this.config = config;
    this.names = Quantization.tensorNames(config);
    this.random = new SplittableRandom(seed);
    for (String n : names) {
      stats.put(n, new Stats(n.equals(Quantization.INPUT) || n.equals(FssdGraph.CONCAT_BN)));
    }
  }

  /**
   * Runs {@code graph} (inference mode) on {@code input} (N x 3 x S x S) and records its tensors.
   */
  public void add(ComputationGraph graph, INDArray input) {
    Map<String, INDArray> acts = graph.feedForward(input, false);
    long n = input.size(0);
    for (String name : names) {
      INDArray a = name.equals(Quantization.INPUT) ? input : acts.get(name);
      checkState(a != null, "the graph has no vertex %s", name);
      float[] v = a.castTo(DataType.FLOAT).dup('c').data().asFloat();
      int perImage = (int) (v.length / n);
      for (int i = 0; i < n; i++) {
        record(stats(name), v, i * perImage, perImage);
      }
    }
    images += (int) n;
  }

  /** Images recorded so far. */
  public int images() {
    return images;
  }

  private void record(Stats s, float[] v, int from, int len) {
    for (int i = from; i < from + len; i++) {
      float x = s.signed ? Math.abs(v[i]) : Math.max(0f, v[i]);
      if (x > s.max) {
        s.max = x;
      }
    }
    int step = Math.max(1, len / SAMPLES_PER_IMAGE);
    for (int i = from + random.nextInt(step); i < from + len; i += step) {
      float x = s.signed ? Math.abs(v[i]) : Math.max(0f, v[i]);
      s.seen++;
      if (s.size < MAX_SAMPLES) {
        if (s.size == s.sample.length) {
          s.sample = Arrays.copyOf(s.sample, Math.min(MAX_SAMPLES, 2 * s.size));
        }
        s.sample[s.size++] = x;
      } else {
        long j = random.nextLong(s.seen);
        if (j < MAX_SAMPLES) {
          s.sample[(int) j] = x;
        }
      }
    }
  }

  /**
   * The ranges by {@code method}, as a quantisation described by {@code calibration}.
   *
   * @throws IllegalStateException before any image was added
   */
  /**
   * The statistics of tensor {@code name} (one of {@code names}, each given its own at
   * construction).
   */
  private Stats stats(String name) {
    Stats s = stats.get(name);
    if (s == null) {
      throw new IllegalStateException("no statistics for " + name);
    }
    return s;
  }

  public Quantization quantization(Method method, String calibration) {
    checkState(images > 0, "no calibration images added");
    Map<String, Float> ranges = new LinkedHashMap<>();
    for (String name : names) {
      Stats s = stats(name);
      float r =
          switch (method) {
            case MINMAX -> s.max;
            case PERCENTILE -> percentile(s, 0.9999);
            case MSE -> mse(s);
          };
      // a tensor that is zero on every calibration image still needs a positive scale
      ranges.put(name, r > 0 && Float.isFinite(r) ? r : Math.max(s.max, 1e-6f));
    }
    return Quantization.of(method.label(), calibration, ranges);
  }

  private static float percentile(Stats s, double p) {
    float[] sorted = Arrays.copyOf(s.sample, s.size);
    Arrays.sort(sorted);
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return Math.min(s.max, sorted[Math.max(0, i)]);
  }

  private static float mse(Stats s) {
    int levels = s.signed ? 127 : 255;
    float best = s.max;
    double bestErr = Double.MAX_VALUE;
    for (int c = 1; c <= MSE_CANDIDATES; c++) {
      float t = s.max * c / MSE_CANDIDATES;
      double err = squaredError(s.sample, s.size, t, levels);
      if (err < bestErr) {
        bestErr = err;
        best = t;
      }
    }
    return best;
  }

  /** Sum of squared errors of quantising {@code x[0..n)} (all >= 0) to range {@code t}. */
  static double squaredError(float[] x, int n, float t, int levels) {
    checkArgument(t > 0, "range %s", t);
    float step = t / levels;
    double err = 0;
    for (int i = 0; i < n; i++) {
      float q = Math.min(levels, Math.round(x[i] / step)) * step;
      float d = x[i] - q;
      err += d * d;
    }
    return err;
  }
}
