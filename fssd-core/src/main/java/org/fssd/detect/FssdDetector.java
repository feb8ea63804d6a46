package org.fssd.detect;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;
import static org.fssd.Checks.atLeast;

import com.google.common.collect.ImmutableList;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.FssdException;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.OneDnnWeights;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.image.BgrImage;
import org.fssd.image.ImageInput;
import org.fssd.image.ImageLoader;
import org.fssd.image.Preprocessor;
import org.fssd.model.FssdGraph;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC §1 + §9: the object detector an application embeds. Decode an image, preprocess it (BGR,
 * OpenCV INTER_LINEAR resize, mean subtraction), run the FSSD network, decode the boxes and apply
 * per-class NMS.
 *
 * <pre>{@code
 * try (FssdDetector detector = FssdDetector.builder()
 *         .model(Path.of("fssd300_voc.zip"))
 *         .scoreThreshold(0.3f)
 *         .build()) {
 *   List<Detection> found = detector.detect(Path.of("dog.jpg"));
 * }
 * }</pre>
 *
 * <p><b>Coordinates.</b> Every {@link Detection#box()} is in pixels of the ORIGINAL image: x to the
 * right, y down, (x1, y1) the top-left and (x2, y2) the bottom-right corner, as floats. Boxes are
 * not clipped to the image unless {@link Builder#clipToImage(boolean)} is set (the reference does
 * not clip, so a box may extend slightly past the border). Results are sorted by score, highest
 * first; class 0 (background) is never reported.
 *
 * <p><b>Engines.</b> On the ND4J CPU backend the network runs as a compiled oneDNN plan ({@link
 * Engine#ONEDNN}: weights re-ordered once, Winograd where it wins, BN folded); elsewhere (CUDA) as
 * the DL4J graph ({@link Engine#GRAPH}). Both give the same numbers within 1e-4. See {@link
 * Builder#engine(Engine)}.
 *
 * <p><b>Int8.</b> A quantised model (from {@code fssd quantize}, {@link FssdModel#quantization()})
 * runs on the oneDNN engine in int8 ({@link PlanOptions.Precision#INT8}) whatever precision the
 * options ask, and on the graph engine in fp32. Asking INT8 ({@link Builder#precision}) for a model
 * that is not quantised fails in {@link Builder#build()}.
 *
 * <p><b>Batches.</b> {@link #detectBatch} runs a list in chunks of the sizes {@link #batchSizes()},
 * largest first (11 images with sizes 1, 2, 4, 8: 8 + 2 + 1), borrowing a replica for each chunk's
 * forward pass; its buffers hold one chunk, so a long list costs the decoded images plus one
 * chunk's tensors. On the oneDNN engine the default is one batch-1 plan run once per image, so
 * <b>an image's detections are exactly the same whatever batch it comes in</b>; with {@link
 * Builder#batchedPlans(boolean)} the sizes are 1, 2, 4, ... and {@link Builder#maxBatch(int)}
 * (default 8), each a plan compiled in {@link Builder#build()}, and the results of one image may
 * differ between batch sizes by float rounding: raw outputs within {@link
 * OneDnnPlan#BATCH_TOLERANCE} relative, boxes within 1e-2 px of a 300 px input (scaled to the
 * original image), scores within 1e-5 (README, "Coordinate contract"). The graph engine runs chunks
 * of up to maxBatch. Either way a call never compiles a plan or allocates native memory.
 *
 * <p><b>Memory.</b> The detector owns all native memory of its networks and frees it in {@link
 * #close()}. On the oneDNN engine that is one copy of the re-ordered weights, shared by every batch
 * size and every replica, plus per replica one arena for the activations and scratchpad of its
 * largest batch (placed by liveness: buffers of layers no longer needed are reused, and each
 * primitive's scratchpad lives during that primitive only) and small input and output buffers. For
 * the full FSSD300 the weights are ~280 MB (Winograd layouts are larger than the parameters) and a
 * batch-1 arena ~89 MB; see docs/performance.md for measured peak RSS. A model the detector loaded
 * itself (from a file or a supplier) has its DL4J parameters freed ({@link #model()}): with the
 * default single plan size they are copied apart before compiling and each copy is freed once
 * re-ordered, so parameters and re-ordered weights are never both whole in memory; with {@link
 * Builder#batchedPlans(boolean)} they are freed after all plans are compiled. A model given by the
 * caller is left untouched.
 *
 * <p><b>Threads.</b> All {@code detect} methods are safe to call from many threads at once, and a
 * detector may be built on one thread and used on others. The detector owns a pool of {@link
 * Builder#replicas(int)} independent networks (default 1); each forward pass (one chunk of a batch)
 * borrows one and waits while all are busy. A replica is used by one thread at a time, any thread:
 * it owns its activation arena and scratchpad, and holds no thread-local state. More replicas give
 * more parallelism at the cost of one arena each (oneDNN) or one parameter copy each (graph).
 *
 * <p><b>Lifecycle.</b> {@link #close()} waits for calls in flight, then releases the networks and
 * their native memory, exactly once; closing twice is harmless; any call after close throws {@link
 * IllegalStateException}.
 *
 * <p><b>Errors.</b> A missing, unreadable, corrupt or zero-sized image, or one above the pixel
 * limit ({@link Builder#maxPixels(long)}, default 100 megapixels) throws {@link
 * org.fssd.ImageDecodeException} naming the image; a bad model file throws {@link
 * org.fssd.ModelFormatException} from {@link Builder#build()}.
 */
public final class FssdDetector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FssdDetector.class);

  private final FssdModel model;
  private final ImageLoader loader;
  private final Preprocessor preprocessor;
  private final DetectionPostprocessor postprocessor;
  private final BlockingQueue<NetworkRunner> replicas;
  private final java.util.List<NetworkRunner> allReplicas = new ArrayList<>();
  private final Engine engine;

  @SuppressWarnings("NullAway.Init") // set by resolveEngine, which the constructor calls first
  private int[] batchSizes;

  /** The oneDNN engine's weights, shared by all replicas; null on the graph engine. */
  private @Nullable OneDnnWeights weights;

  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final DetectorSettings settings;

  /** The builder's settings in words, for toString and the log. */
  private final String description;

  private volatile boolean closed;

  private FssdDetector(Builder b, FssdModel model, boolean ownsModel) {
    DetectorSettings s = b.settings.build();
    this.settings = s;
    this.loader = ImageLoader.builder().maxPixels(s.maxPixels()).build();
    this.preprocessor = new Preprocessor(model.config().inputSize());
    Labels labels = b.labels != null ? b.labels : model.labels();
    checkArgument(
        labels.numClasses() == model.config().numClasses(),
        "labels have %s classes (with background), the model has %s",
        labels.numClasses(),
        model.config().numClasses());
    double[] v = model.config().priors().variances();
    this.postprocessor =
        DetectionPostprocessor.builder(model.priors(), labels)
            .variances(v[0], v[1])
            .settings(s)
            .build();
    this.replicas = new ArrayBlockingQueue<>(s.replicas());
    this.engine = resolveEngine(b, model, ownsModel);
    try {
      for (int i = 0; i < s.replicas(); i++) {
        NetworkRunner r =
            engine == Engine.ONEDNN
                ? (i == 0
                    ? checkNotNull(firstPlan)
                    : new NetworkRunner.OneDnn(checkNotNull(weights), batchSizes))
                // A caller's model may be given to several detectors, or used by the caller; its
                // ComputationGraph is not safe to run from two threads at once, so the graph engine
                // only ever runs a graph of its own: the one it loaded, or a copy of the caller's.
                : new NetworkRunner.Graph(i == 0 && ownsModel ? model : model.replica());
        allReplicas.add(r);
        replicas.add(r);
      }
    } catch (RuntimeException | Error e) {
      releaseNetworks();
      throw e;
    }
    firstPlan = null;
    this.model = ownsModel && engine == Engine.ONEDNN ? releaseParameters(model) : model;
    if (engine == Engine.ONEDNN) {
      NativeHeap.trim();
    }
    this.description = b.toString();
    LOG.info(
        "FssdDetector ready: FSSD{} with {} classes, engine {}, {} replica(s), provenance {}",
        model.config().inputSize(),
        model.config().numClasses(),
        engine,
        s.replicas(),
        model.provenance().get("source"));
    LOG.debug("FssdDetector settings: {}", description);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The batch sizes a detector with {@code batchedPlans(true)} compiles for a bound of {@code
   * maxBatch} (and the graph engine runs): 1, 2, 4, ... (powers of two below it) and {@code
   * maxBatch} itself, ascending.
   */
  public static int[] batchSizes(int maxBatch) {
    atLeast("maxBatch", 1, maxBatch);
    List<Integer> sizes = new ArrayList<>();
    for (int n = 1; n < maxBatch; n *= 2) {
      sizes.add(n);
    }
    sizes.add(maxBatch);
    return sizes.stream().mapToInt(Integer::intValue).toArray();
  }

  /** How {@code n} images are split: the largest compiled size that fits, repeatedly. */
  static List<Integer> chunks(int n, int[] sizes) {
    List<Integer> out = new ArrayList<>();
    int left = n;
    while (left > 0) {
      int k = sizes[0];
      for (int size : sizes) {
        if (size <= left) {
          k = size;
        }
      }
      out.add(k);
      left -= k;
    }
    return out;
  }

  /**
   * Frees the DL4J parameters of a model this detector loaded itself, once every plan is compiled
   * (the plans run on their own re-ordered copy): returns a model with the same configuration,
   * labels and provenance whose graph is not initialised (it holds no parameters).
   */
  private FssdModel releaseParameters(FssdModel loaded) {
    checkNotNull(weights, "the oneDNN engine has weights").releaseGraph();
    FssdModel kept =
        FssdModel.of(
                loaded.config(),
                new ComputationGraph(FssdGraph.configuration(loaded.config())),
                loaded.labels(),
                loaded.provenance())
            .withQuantization(loaded.quantization());
    freeGraphParameters(loaded);
    return kept;
  }

  /** Frees the flat parameter buffer of {@code loaded}'s graph (idempotent); its layers stay. */
  private static void freeGraphParameters(FssdModel loaded) {
    INDArray params = loaded.graph().params();
    // The graph hands out a view of its flat parameter buffer; free that buffer now, rather than
    // whenever a GC finds the graph unreachable. Nothing else reads it: the detector loaded it.
    DataBuffer buffer = params == null || params.isEmpty() ? null : params.data();
    if (buffer != null && buffer.originalDataBuffer() != null) {
      buffer = buffer.originalDataBuffer();
    }
    boolean freed = buffer != null && buffer.closeable() && !buffer.wasClosed();
    if (freed && buffer != null) {
      buffer.close();
    }
    LOG.debug(
        "DL4J parameters of the loaded model released ({} values, freed {})",
        params == null ? 0 : params.length(),
        freed ? "now" : "by the garbage collector");
  }

  /** Set by resolveEngine when it compiled (and so proved) a oneDNN replica; becomes replica 0. */
  private NetworkRunner.@Nullable OneDnn firstPlan;

  private Engine resolveEngine(Builder b, FssdModel model, boolean ownsModel) {
    batchSizes = batchSizes(b.maxBatch); // the graph runs any size
    if (b.planOptions.precision() == PlanOptions.Precision.INT8 && model.quantization() == null) {
      throw new FssdException(
          "precision INT8 needs a quantised model (see fssd quantize); this model is not quantised");
    }
    if (b.engine == Engine.GRAPH) {
      return Engine.GRAPH;
    }
    boolean cpu =
        Nd4j.getBackend()
            .getClass()
            .getSimpleName()
            .toLowerCase(java.util.Locale.ROOT)
            .contains("cpu");
    if (b.engine == Engine.AUTO && !cpu) {
      LOG.info(
          "engine AUTO: ND4J backend {} is not the CPU backend; using the graph",
          Nd4j.getBackend().getClass().getSimpleName());
      return Engine.GRAPH;
    }
    // A model the detector loaded itself, run on one plan size: its parameters are copied apart
    // and the graph's buffer freed before compiling, and each copy is freed once re-ordered, so
    // the parameters and the re-ordered weights are never both whole in memory at once.
    // (Not for a quantised model: its int8 plan reads the parameters again for every replica.)
    boolean consume = ownsModel && !b.batchedPlans && model.quantization() == null;
    try {
      batchSizes = b.batchedPlans ? batchSizes(b.maxBatch) : new int[] {1};
      if (consume) {
        OneDnnPlan.loadNative(); // while the graph could still run instead
        weights = OneDnnWeights.consuming(model.config(), model.graph(), b.planOptions);
        freeGraphParameters(model);
      } else {
        PlanOptions options =
            model.quantization() == null
                ? b.planOptions
                : PlanOptions.builder()
                    .algorithm(b.planOptions.algorithm())
                    .precision(PlanOptions.Precision.INT8)
                    .build();
        weights = OneDnnWeights.of(model.config(), model.graph(), options, model.quantization());
      }
      firstPlan = new NetworkRunner.OneDnn(weights, batchSizes);
      return Engine.ONEDNN;
    } catch (LinkageError | RuntimeException e) {
      if (consume && weights != null) {
        weights.close();
        weights = null;
        throw new FssdException(
            "oneDNN could not compile "
                + model.config()
                + " (its parameters are already "
                + "freed, so no fallback to the graph): "
                + e,
            e);
      }
      if (weights != null) {
        weights.close();
        weights = null;
      }
      batchSizes = batchSizes(b.maxBatch);
      if (b.engine == Engine.ONEDNN) {
        throw new FssdException("the oneDNN engine is not available here: " + e, e);
      }
      LOG.warn("engine AUTO: oneDNN unavailable ({}); using the graph", e.toString());
      return Engine.GRAPH;
    }
  }

  /**
   * Detects objects in an image file (any format OpenCV decodes: JPEG, PNG, BMP, TIFF, WebP, ...).
   */
  public List<Detection> detect(Path image) {
    return detectOne(ImageInput.of(image));
  }

  /** Detects objects in encoded image bytes (JPEG, PNG, ...). */
  public List<Detection> detect(byte[] encodedImage) {
    return detectOne(ImageInput.of(encodedImage));
  }

  /** Detects objects in a decoded image of any type (gray, RGB, ARGB, ...). */
  public List<Detection> detect(BufferedImage image) {
    return detectOne(ImageInput.of(image));
  }

  /** Detects objects in an 8-bit BGR image; the caller keeps ownership of {@code image}. */
  public List<Detection> detect(BgrImage image) {
    return detectOne(ImageInput.of(image));
  }

  /** Detects objects in one image given in any of the {@link ImageInput} forms. */
  public List<Detection> detect(ImageInput image) {
    return detectOne(Objects.requireNonNull(image, "image"));
  }

  private List<Detection> detectOne(ImageInput image) {
    return detectBatch(List.of(image)).get(0);
  }

  /**
   * Detects objects in several images, in forward passes of up to {@link Builder#maxBatch(int)}
   * images (see "Batches" above). Each element is an {@link ImageInput} (a file, encoded bytes, a
   * {@link BufferedImage} or a {@link BgrImage}, which is not closed here); the forms may be mixed,
   * and a {@code List<BgrImage>} is accepted as it is. The result has one list per input, in order,
   * each equal to what {@link #detect(ImageInput)} gives for that image. Decoding fails fast: a bad
   * image throws before the network runs.
   *
   * @throws NullPointerException when {@code images} or one of its elements is null (naming its
   *     index)
   */
  public List<List<Detection>> detectBatch(List<? extends ImageInput> images) {
    Objects.requireNonNull(images, "images");
    if (images.isEmpty()) {
      return List.of();
    }
    lifecycle.readLock().lock();
    try {
      checkState(!closed, "detect called on a closed FssdDetector");
      List<BgrImage> decoded = new ArrayList<>(images.size());
      List<BgrImage> owned = new ArrayList<>(images.size());
      try {
        for (int i = 0; i < images.size(); i++) {
          ImageInput in = images.get(i);
          if (in == null) {
            throw new NullPointerException("images[" + i + "] is null");
          }
          if (in instanceof BgrImage) {
            decoded.add((BgrImage) in);
          } else {
            BgrImage img = decode(in, i);
            owned.add(img);
            decoded.add(img);
          }
        }
        return run(decoded);
      } finally {
        owned.forEach(BgrImage::close);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Decodes a non-BGR input; the sealed interface leaves exactly these three forms. */
  private BgrImage decode(ImageInput in, int index) {
    // Unnamed bytes and images are told apart in messages by their place in the batch.
    String name =
        in.name().startsWith("<") ? in.name().replace(">", " #" + index + ">") : in.name();
    if (in instanceof ImageInput.FromPath) {
      return loader.load(((ImageInput.FromPath) in).path());
    } else if (in instanceof ImageInput.FromBytes) {
      return loader.load(((ImageInput.FromBytes) in).bytes(), name);
    } else if (in instanceof ImageInput.FromBufferedImage) {
      return loader.fromBufferedImage(((ImageInput.FromBufferedImage) in).image(), name);
    }
    throw new AssertionError("unknown ImageInput " + in.getClass().getName());
  }

  private List<List<Detection>> run(List<BgrImage> images) {
    int n = images.size();
    int p = model.config().numPriors();
    int c = model.config().numClasses();
    int tensor = preprocessor.tensorLength();
    // Buffers for one chunk, reused: sized for the whole list they would overflow int (and the
    // heap) for lists of a few thousand images.
    int most = Math.min(n, batchSizes[batchSizes.length - 1]);
    float[] input = new float[most * tensor];
    float[] loc = new float[most * p * 4];
    float[] conf = new float[most * p * c];
    ImmutableList.Builder<List<Detection>> result = ImmutableList.builderWithExpectedSize(n);
    int first = 0;
    for (int k : chunks(n, batchSizes)) {
      for (int i = 0; i < k; i++) {
        preprocessor.toTensor(images.get(first + i), input, i * tensor);
      }
      NetworkRunner replica = borrow();
      try {
        replica.run(input, 0, k, loc, conf);
      } finally {
        replicas.add(replica);
      }
      for (int i = 0; i < k; i++) {
        BgrImage img = images.get(first + i);
        result.add(
            postprocessor.process(
                loc, i * p * 4, conf, i * p * c, true, img.width(), img.height()));
      }
      first += k;
    }
    return result.build();
  }

  private NetworkRunner borrow() {
    try {
      return replicas.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FssdException("interrupted while waiting for a free network replica", e);
    }
  }

  /**
   * The model this detector was built from. On the oneDNN engine, a detector that loaded its model
   * itself ({@link Builder#model(Path)} or {@link Builder#model(Supplier, String)}) frees the
   * model's DL4J parameters once its plans are compiled in {@link Builder#build()}: the model
   * returned then has the configuration, labels, priors and provenance, but its {@link
   * FssdModel#graph() graph} is not initialised (no parameters). A model given with {@link
   * Builder#model(FssdModel)} stays the caller's and is returned as it is, parameters included (the
   * detector runs its own plans or graph copies, never this model's graph).
   */
  public FssdModel model() {
    return model;
  }

  /** The engine that runs the network ({@link Engine#AUTO} resolved). */
  public Engine engine() {
    return engine;
  }

  /** The batch sizes the network runs (compiled plans on the oneDNN engine), ascending. */
  public int[] batchSizes() {
    return batchSizes.clone();
  }

  /** The oneDNN weights shared by the replicas (tests), or null on the graph engine. */
  @Nullable OneDnnWeights oneDnnWeights() {
    return weights;
  }

  /** The replicas (tests). */
  List<NetworkRunner> networks() {
    return List.copyOf(allReplicas);
  }

  /** The class names reported in detections. */
  public Labels labels() {
    return postprocessor.labels();
  }

  /**
   * The detection settings this detector was built with (thresholds, caps, pixel limit, replicas).
   */
  public DetectorSettings settings() {
    return settings;
  }

  /** The image loader (pixel limit) this detector decodes with. */
  public ImageLoader imageLoader() {
    return loader;
  }

  /** Waits for calls in flight, then releases the networks. Idempotent. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        releaseNetworks();
        LOG.debug("FssdDetector closed");
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /** Frees the replicas, then the weights they share. */
  private void releaseNetworks() {
    replicas.clear();
    if (firstPlan != null && !allReplicas.contains(firstPlan)) {
      firstPlan.close(); // built, but the constructor failed before it joined the pool
    }
    firstPlan = null;
    allReplicas.forEach(NetworkRunner::close);
    allReplicas.clear();
    if (weights != null) {
      weights.close();
      weights = null;
    }
  }

  @Override
  public String toString() {
    return "FssdDetector" + description + (closed ? " (closed)" : "");
  }

  /**
   * Builds a detector. Set exactly one model source: {@link #model(Path)} (native file) or {@link
   * #model(FssdModel)}. Defaults: score threshold 0.3 (applications; evaluation uses 0.01), NMS IoU
   * 0.45, 40 per class, 200 per image, no clipping, 1 replica, batches of up to 8, 100-megapixel
   * limit.
   */
  public static final class Builder {
    // Exactly one model source is set (the setters clear the others); labels are optional.
    private @Nullable Path modelFile;
    private @Nullable FssdModel model;
    private @Nullable Supplier<FssdModel> modelSupplier;
    private @Nullable String modelSourceName;
    private @Nullable Labels labels;
    private DetectorSettings.Builder settings = DetectorSettings.builder();
    private int maxBatch = 8;
    private boolean batchedPlans;
    private Engine engine = Engine.AUTO;
    private PlanOptions planOptions = PlanOptions.defaults();

    private Builder() {}

    /**
     * Which implementation runs the network. Default {@link Engine#AUTO}: the oneDNN plan on the
     * CPU backend, the graph elsewhere (CUDA) or when oneDNN cannot load. An explicit {@link
     * Engine#ONEDNN} that cannot run fails in {@link #build()} naming the reason.
     */
    public Builder engine(Engine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
      return this;
    }

    /**
     * Options of the oneDNN plan (convolution algorithm, FP32 or BF16). BF16 needs a CPU with
     * AVX512_BF16 and is refused elsewhere. The plan snapshots the parameters when it is built:
     * after changing a model's weights, build a new detector.
     */
    public Builder planOptions(PlanOptions options) {
      this.planOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * The precision of the oneDNN plan, keeping the options' algorithm (see {@link #planOptions}).
     * {@link PlanOptions.Precision#INT8} needs a quantised model; a quantised model runs in INT8
     * anyway.
     */
    public Builder precision(PlanOptions.Precision precision) {
      this.planOptions =
          PlanOptions.builder()
              .algorithm(planOptions.algorithm())
              .precision(Objects.requireNonNull(precision, "precision"))
              .build();
      return this;
    }

    /**
     * A native model file written by {@link FssdModel#save(Path)}, loaded in {@link #build()} and
     * owned by the detector (on the oneDNN engine its DL4J parameters are freed once the plans are
     * compiled; see {@link FssdDetector#model()}).
     */
    public Builder model(Path file) {
      this.modelFile = Objects.requireNonNull(file, "file");
      this.model = null;
      this.modelSupplier = null;
      return this;
    }

    /**
     * A model already in memory; it stays the caller's. The detector never runs the caller's {@link
     * org.deeplearning4j.nn.graph.ComputationGraph} (which is not thread-safe): the oneDNN engine
     * compiles its own plans from the parameters in {@link #build()}, the graph engine runs copies
     * ({@link FssdModel#replica()}). So one model may be given to several detectors, and used by
     * the caller, at the same time. Build a new detector after changing its weights.
     */
    public Builder model(FssdModel model) {
      this.model = Objects.requireNonNull(model, "model");
      this.modelFile = null;
      this.modelSupplier = null;
      return this;
    }

    /**
     * A model made on {@link #build()} by {@code supplier} (e.g. a PyTorch import); {@code name}
     * appears in {@link #toString()}. The supplier must return a new model, which the detector then
     * owns: on the oneDNN engine its DL4J parameters are freed once the plans are compiled (see
     * {@link FssdDetector#model()}); to keep using a model, pass it with {@link #model(FssdModel)}.
     */
    public Builder model(Supplier<FssdModel> supplier, String name) {
      this.modelSupplier = Objects.requireNonNull(supplier, "supplier");
      this.modelSourceName = Objects.requireNonNull(name, "name");
      this.modelFile = null;
      this.model = null;
      return this;
    }

    /** Class names to report instead of the model's own (same number of classes). */
    public Builder labels(Labels labels) {
      this.labels = Objects.requireNonNull(labels, "labels");
      return this;
    }

    /**
     * All of the detection settings at once (score and NMS thresholds, caps, pixel limit, clipping,
     * replicas), replacing whatever was set before; the single setters below change one of them.
     * Default {@link DetectorSettings#defaults()}.
     */
    public Builder settings(DetectorSettings settings) {
      this.settings = Objects.requireNonNull(settings, "settings").toBuilder();
      return this;
    }

    /** Minimum score, exclusive, in [0, 1). Default 0.3. See {@link DetectorSettings}. */
    public Builder scoreThreshold(float t) {
      settings.scoreThreshold(t);
      return this;
    }

    /** NMS IoU above which a box is suppressed, in (0, 1]. Default 0.45. */
    public Builder nmsIouThreshold(float t) {
      settings.nmsIouThreshold(t);
      return this;
    }

    /** Boxes kept per class after NMS, at least 1. Default 40. */
    public Builder perClassTopK(int k) {
      settings.perClassTopK(k);
      return this;
    }

    /** Detections per image (ties at the cut may keep more, as the reference does). Default 200. */
    public Builder maxDetections(int max) {
      settings.maxDetections(max);
      return this;
    }

    /** Clip boxes to the image (the reference does not). Default false. */
    public Builder clipToImage(boolean clip) {
      settings.clipToImage(clip);
      return this;
    }

    /** Independent network copies for concurrent callers, in [1, 64]. Default 1. */
    public Builder replicas(int n) {
      settings.replicas(n);
      return this;
    }

    /**
     * Most images per forward pass, in 1..128. Default 8. The detector runs batches of 1, 2, 4, ...
     * (the powers of two below {@code n}) and {@code n}, compiled (oneDNN) in {@link #build()};
     * {@code detectBatch} splits a longer list into chunks of those sizes. Each replica holds an
     * arena for the activations of a batch of {@code n}: lower it where memory matters more than
     * batch throughput.
     */
    public Builder maxBatch(int n) {
      checkArgument(n >= 1 && n <= 128, "maxBatch must be in 1..128, got %s", n);
      this.maxBatch = n;
      return this;
    }

    /**
     * Whether the oneDNN engine runs a batch as one forward pass of a plan compiled for that size
     * (true), or as one batch-1 pass per image on a single plan (false, the default).
     *
     * <p>Default false: every image gives exactly the same result whatever batch it comes in, and a
     * replica holds one plan and the activations of one image (full FSSD300: peak RSS ~1.3 GB for
     * the whole JVM). True: plans of 1, 2, 4, ... and {@link #maxBatch(int)} images, all compiled
     * in {@link #build()}; up to ~16% more images/s at batch 8 (docs/performance.md), but each
     * replica holds the activations and scratchpad of a whole batch (full FSSD300 at maxBatch 8:
     * peak RSS ~2.1 GB), the Winograd weights of some layers get a second layout for larger batches
     * (oneDNN blocks them by batch size), and an image's raw outputs may differ between batch sizes
     * by up to {@link OneDnnPlan#BATCH_TOLERANCE} relative (boxes by ~1e-2 px). The graph engine
     * always runs batches of up to maxBatch.
     */
    public Builder batchedPlans(boolean batched) {
      this.batchedPlans = batched;
      return this;
    }

    /** Largest image accepted, in pixels (checked from the header before decoding). */
    public Builder maxPixels(long maxPixels) {
      settings.maxPixels(maxPixels);
      return this;
    }

    /** Loads the model and builds the detector; a bad model file throws here. */
    public FssdDetector build() {
      FssdModel m;
      if (model != null) {
        m = model;
      } else if (modelFile != null) {
        m = FssdModel.load(modelFile);
      } else if (modelSupplier != null) {
        m = Objects.requireNonNull(modelSupplier.get(), "model supplier returned null");
      } else {
        throw new IllegalStateException(
            "no model: call model(Path), model(FssdModel) or model(Supplier, name)");
      }
      return new FssdDetector(this, m, model == null);
    }

    @Override
    public String toString() {
      String src =
          modelFile != null
              ? modelFile.toString()
              : model != null ? "<in memory>" : modelSourceName;
      DetectorSettings s = settings.build();
      return "{model="
          + src
          + ", scoreThreshold="
          + s.scoreThreshold()
          + ", nmsIouThreshold="
          + s.nmsIouThreshold()
          + ", perClassTopK="
          + s.perClassTopK()
          + ", maxDetections="
          + s.maxDetections()
          + ", clipToImage="
          + s.clipToImage()
          + ", replicas="
          + s.replicas()
          + ", maxBatch="
          + maxBatch
          + ", batchedPlans="
          + batchedPlans
          + ", maxPixels="
          + s.maxPixels()
          + ", engine="
          + engine
          + ", planOptions="
          + planOptions
          + (labels != null ? ", labels=" + labels : "")
          + "}";
    }
  }
}
