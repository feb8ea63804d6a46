package org.fssd.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.fssd.data.Annotation;
import org.fssd.data.DetectionDataset;
import org.fssd.data.Sample;
import org.fssd.detect.FssdDetector;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.image.BgrImage;
import org.fssd.image.Preprocessor;
import org.fssd.model.ActivationRanges;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;
import org.fssd.model.Quantization;
import org.fssd.train.eval.ApMethod;
import org.fssd.train.eval.DetectorEvaluation;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Post-training static int8 quantisation of a model: calibrates the activation ranges on images of
 * a dataset with each {@link ActivationRanges.Method}, evaluates the int8 model of each on the same
 * calibration images, and keeps the one that loses the least mAP (ties: the first in {@link
 * ActivationRanges.Method} order). BatchNorm is folded and weights are quantised per output channel
 * by the plan ({@link Quantization}).
 *
 * <pre>{@code
 * FssdQuantizer.Result r = FssdQuantizer.builder()
 *     .calibration(trainSet).calibrationImages(200)
 *     .heldOut(testSet)               // optional: mAP before / after on other images
 *     .build()
 *     .quantize(model);
 * r.model().save(Path.of("m-int8.zip"));
 * }</pre>
 *
 * <p>The quantised model keeps the fp32 parameters and adds the {@link Quantization}; its
 * provenance records the calibration images, the method and the mAPs. Evaluations run on the oneDNN
 * engine (the int8 one needs it), so the CPU backend is required.
 */
public final class FssdQuantizer {
  private final DetectionDataset calibration;
  private final int calibrationImages;
  private final DetectionDataset heldOut;
  private final ApMethod apMethod;
  private final int batch;
  private final long seed;
  private final List<ActivationRanges.Method> methods;
  private final Consumer<String> log;

  /** The outcome: the quantised model and the mAPs that chose it. */
  public record Result(
      FssdModel model,
      ActivationRanges.Method method,
      double calibrationMapFp32,
      Map<ActivationRanges.Method, Double> calibrationMapInt8,
      Double heldOutMapFp32,
      Double heldOutMapInt8) {

    /**
     * Lines for a console: the mAPs of fp32 and of each method, the choice, held-out before/after.
     */
    public String summary() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format("calibration mAP fp32: %.4f%n", calibrationMapFp32));
      calibrationMapInt8.forEach(
          (m, v) ->
              sb.append(String.format("calibration mAP int8 %-16s %.4f%n", m.label() + ":", v)));
      sb.append("chosen: ").append(method.label()).append('\n');
      if (heldOutMapFp32 != null) {
        sb.append(String.format("held-out mAP fp32: %.4f%n", heldOutMapFp32));
        sb.append(String.format("held-out mAP int8: %.4f%n", heldOutMapInt8));
        sb.append(String.format("held-out mAP drop: %.4f%n", heldOutMapFp32 - heldOutMapInt8));
      }
      return sb.toString();
    }
  }

  private FssdQuantizer(Builder b) {
    this.calibration = Objects.requireNonNull(b.calibration, "calibration dataset");
    checkArgument(
        calibration.size() > 0, "the calibration dataset %s is empty", calibration.name());
    this.calibrationImages = Math.min(b.calibrationImages, calibration.size());
    this.heldOut = b.heldOut;
    this.apMethod = b.apMethod;
    this.batch = b.batch;
    this.seed = b.seed;
    this.methods = List.copyOf(b.methods);
    this.log = b.log;
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Quantises {@code model} (fp32; a quantised one is re-calibrated from its fp32 parameters).
   *
   * @throws IllegalArgumentException when the labels of model and datasets differ
   */
  public Result quantize(FssdModel model) {
    Objects.requireNonNull(model, "model");
    FssdModel fp32 = model.withQuantization(null);
    checkLabels(fp32.labels(), calibration);
    DetectionDataset calib = first(calibration, calibrationImages);
    String description = calibrationImages + " images of " + calibration.name();
    log.accept("calibrating on " + description);
    ActivationRanges stats = collect(fp32, calib);
    double fp32Map = map(fp32, calib);
    log.accept(String.format("calibration mAP fp32: %.4f", fp32Map));
    Map<ActivationRanges.Method, Double> maps = new EnumMap<>(ActivationRanges.Method.class);
    ActivationRanges.Method best = null;
    Quantization bestQ = null;
    for (ActivationRanges.Method m : methods) {
      Quantization q = stats.quantization(m, description);
      double v = map(fp32.withQuantization(q), calib);
      maps.put(m, v);
      log.accept(String.format("calibration mAP int8 %s: %.4f", m.label(), v));
      if (best == null || v > maps.get(best)) {
        best = m;
        bestQ = q;
      }
    }
    FssdModel quantised =
        fp32.withQuantization(bestQ)
            .withProvenance(
                fp32.provenance()
                    .with("quantize.calibration", description)
                    .with("quantize.method", best.label())
                    .with("quantize.methods", methodsSummary(maps))
                    .with("quantize.calibrationMapFp32", String.format("%.4f", fp32Map)));
    Double heldFp32 = null;
    Double heldInt8 = null;
    if (heldOut != null) {
      checkLabels(fp32.labels(), heldOut);
      heldFp32 = map(fp32, heldOut);
      heldInt8 = map(quantised, heldOut);
      quantised =
          quantised.withProvenance(
              quantised
                  .provenance()
                  .with("quantize.heldOut", heldOut.size() + " images of " + heldOut.name())
                  .with("quantize.heldOutMapFp32", String.format("%.4f", heldFp32))
                  .with("quantize.heldOutMapInt8", String.format("%.4f", heldInt8)));
    }
    return new Result(quantised, best, fp32Map, maps, heldFp32, heldInt8);
  }

  private static String methodsSummary(Map<ActivationRanges.Method, Double> maps) {
    List<String> parts = new ArrayList<>();
    maps.forEach((m, v) -> parts.add(m.label() + "=" + String.format("%.4f", v)));
    return String.join(" ", parts);
  }

  private static void checkLabels(Labels labels, DetectionDataset ds) {
    checkArgument(
        labels.equals(ds.labels()),
        "the model's labels %s differ from those of %s: %s",
        labels,
        ds.name(),
        ds.labels());
  }

  private ActivationRanges collect(FssdModel model, DetectionDataset ds) {
    int s = model.config().inputSize();
    Preprocessor pre = new Preprocessor(s);
    ActivationRanges stats = new ActivationRanges(model.config(), seed);
    int image = 3 * s * s;
    for (int start = 0; start < ds.size(); start += batch) {
      int n = Math.min(batch, ds.size() - start);
      float[] input = new float[n * image];
      for (int i = 0; i < n; i++) {
        try (BgrImage img = ds.loadImage(start + i)) {
          pre.toTensor(img, input, i * image);
        }
      }
      stats.add(model.graph(), Nd4j.create(input, new long[] {n, 3, s, s}, 'c'));
    }
    return stats;
  }

  /** mAP of {@code model} on {@code ds} with the evaluation score threshold (0.01). */
  private double map(FssdModel model, DetectionDataset ds) {
    FssdDetector.Builder b =
        FssdDetector.builder()
            .model(model)
            .scoreThreshold(0.01f)
            .engine(org.fssd.detect.Engine.ONEDNN);
    if (model.quantization() != null) {
      b.precision(PlanOptions.Precision.INT8);
    }
    try (FssdDetector d = b.build()) {
      return DetectorEvaluation.evaluate(d, ds, apMethod, batch, null, null).map();
    }
  }

  /** The first {@code n} images of {@code ds}. */
  static DetectionDataset first(DetectionDataset ds, int n) {
    if (n >= ds.size()) {
      return ds;
    }
    return range(ds, 0, n, ds.name() + " [0, " + n + ")");
  }

  /** Images {@code from .. from+n-1} of {@code ds}, as a dataset named {@code name}. */
  public static DetectionDataset range(DetectionDataset ds, int from, int n, String name) {
    checkArgument(
        from >= 0 && n >= 1 && from + n <= ds.size(),
        "images [%s, %s) of %s, which has %s",
        from,
        from + n,
        ds.name(),
        ds.size());
    return new DetectionDataset() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Labels labels() {
        return ds.labels();
      }

      @Override
      public int size() {
        return n;
      }

      @Override
      public Annotation annotation(int index) {
        java.util.Objects.checkIndex(index, n);
        return ds.annotation(from + index);
      }

      @Override
      public BgrImage loadImage(int index) {
        java.util.Objects.checkIndex(index, n);
        return ds.loadImage(from + index);
      }

      @Override
      public Sample sample(int index) {
        java.util.Objects.checkIndex(index, n);
        return ds.sample(from + index);
      }

      @Override
      public boolean keepDifficult() {
        return ds.keepDifficult();
      }
    };
  }

  /** Builder of {@link FssdQuantizer}; not thread-safe. */
  public static final class Builder {
    private DetectionDataset calibration;
    private int calibrationImages = 200;
    private DetectionDataset heldOut;
    private ApMethod apMethod = ApMethod.VOC07_11_POINT;
    private int batch = 8;
    private long seed = 1;
    private List<ActivationRanges.Method> methods = List.of(ActivationRanges.Method.values());
    private Consumer<String> log = s -> {};

    private Builder() {}

    /** The dataset whose first images calibrate (required). */
    public Builder calibration(DetectionDataset ds) {
      this.calibration = Objects.requireNonNull(ds, "ds");
      return this;
    }

    /** How many of its first images (default 200; fewer if it has fewer). */
    public Builder calibrationImages(int n) {
      checkArgument(n >= 1, "calibrationImages must be >= 1, got %s", n);
      this.calibrationImages = n;
      return this;
    }

    /** Images to report the mAP before and after on (optional; should not overlap calibration). */
    public Builder heldOut(DetectionDataset ds) {
      this.heldOut = ds;
      return this;
    }

    /** The AP protocol of the evaluations (default VOC07 11-point). */
    public Builder apMethod(ApMethod m) {
      this.apMethod = Objects.requireNonNull(m, "m");
      return this;
    }

    /** Images per forward pass (default 8). */
    public Builder batch(int n) {
      checkArgument(n >= 1, "batch must be >= 1, got %s", n);
      this.batch = n;
      return this;
    }

    /** Seed of the activation sampling (default 1). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The calibration methods to try (default all three). */
    public Builder methods(ActivationRanges.Method... m) {
      checkArgument(m.length >= 1, "no methods");
      this.methods = List.of(m);
      return this;
    }

    /** Where progress lines go (default nowhere). */
    public Builder log(Consumer<String> log) {
      this.log = Objects.requireNonNull(log, "log");
      return this;
    }

    /** The quantiser. */
    public FssdQuantizer build() {
      return new FssdQuantizer(this);
    }
  }
}
