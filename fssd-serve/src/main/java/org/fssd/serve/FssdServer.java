package org.fssd.serve;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import io.javalin.Javalin;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.fssd.detect.DetectorSettings;
import org.fssd.detect.FssdDetector;
import org.fssd.image.BgrImage;
import org.fssd.model.FssdModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FSSD HTTP detection service: a Javalin (Jetty) server around one {@link FssdDetector}, with
 * dynamic batching.
 *
 * <pre>{@code
 * try (FssdServer server = FssdServer.builder()
 *         .model(Path.of("fssd300_voc.zip"))
 *         .host("127.0.0.1").port(8080)
 *         .maxBatch(8).maxDelayMs(5)
 *         .build().start()) {
 *   server.awaitClose();
 * }
 * }</pre>
 *
 * <p><b>API.</b>
 *
 * <ul>
 *   <li>{@code POST /v1/detect}: the body is the encoded image (JPEG, PNG, ...), or a {@code
 *       multipart/form-data} body with the image in the field {@code image}. Query {@code
 *       threshold} (score threshold, exclusive, in [0, 1]; default {@link Builder#scoreThreshold})
 *       and {@code max} (at most this many detections, highest scores first). Answers the CLI's
 *       JSON ({@link org.fssd.detect.DetectionJson}) {@code {"image": "upload", "width": W,
 *       "height": H, "detections": [{"class": k, "label": "dog", "score": s, "box": [x1, y1, x2,
 *       y2]}]}} (boxes in pixels of the uploaded image), or with {@code Accept: image/png} the
 *       image with the boxes drawn as a PNG.
 *   <li>{@code GET /v1/models}: {@code {"models": [{config summary, labels, provenance, serving
 *       settings}]}}.
 *   <li>{@code GET /health}: 200 {@code {"status": "ok"}} once the model is loaded and warmed up;
 *       503 before that and while shutting down.
 *   <li>{@code GET /metrics}: Prometheus text through the Prometheus Java client (requests by
 *       endpoint and status, latency and batch size histograms, queue depth, native memory, build
 *       info, JVM and process metrics; see {@link ServeMetrics}).
 *   <li>{@code GET /openapi.json}: the OpenAPI 3 document of these endpoints (resource {@code
 *       org/fssd/serve/openapi.json}).
 *   <li>{@code GET /}: a self-contained web page to try the detector.
 *   <li>The Open Inference Protocol (KServe v2): {@code GET /v2}, {@code /v2/health/live} (200
 *       whenever the process answers: the port opens before the model loads), {@code
 *       /v2/health/ready} (503 until ready), {@code /v2/models/{name}} (metadata), {@code
 *       /v2/models/{name}/ready} and {@code POST /v2/models/{name}/infer} (images as a BYTES tensor
 *       of base64 strings; see {@link V2Protocol}); another model name gets 404 {@code
 *       model_not_found}. The name is {@link Builder#modelName}.
 * </ul>
 *
 * <p><b>Errors</b> are JSON {@code {"error": code, "detail": text}}, Jetty's own included (see
 * {@link JsonErrorHandler}): 400 {@code bad_request} or {@code bad_image} (not an image, corrupt,
 * empty) or {@code incomplete_body} (the body ended before its declared length; no answer when the
 * client has gone), 408 {@code upload_timeout} (no body data for {@link Builder#bodyIdleTimeoutMs},
 * or the body not complete within {@link Builder#bodyTimeoutMs}), 413 {@code payload_too_large}
 * (body over {@link Builder#maxUploadBytes}; refused from {@code Content-Length} before reading,
 * and the read is capped) or {@code image_too_large} (the decoder's {@link
 * org.fssd.ImageTooLargeException}: more pixels than {@link Builder#maxPixels}), 503 {@code
 * queue_full} or {@code too_many_uploads} (more than {@link Builder#maxUploads} uploads in
 * progress) with {@code Retry-After: 1}, 503 {@code shutting_down}, 404 {@code not_found}, 405
 * {@code method_not_allowed} with {@code Allow} (a known path, another method), and 500 {@code
 * internal_error} whose detail carries an error id that is also logged. Jetty's refusals use the
 * status's name ({@code uri_too_long}, {@code headers_too_large}, ...). The server keeps serving
 * after any of them. Client faults (incomplete or too slow uploads, uploads over the cap) are
 * logged as one WARN line without a stack trace, at most one per kind every 10 s ({@link
 * ClientFaultLog}).
 *
 * <p><b>Slow clients.</b> Each upload holds a request thread while its body arrives, so uploads are
 * capped ({@link Builder#maxUploads}) and bounded in time, and Jetty's thread pool has threads to
 * spare beyond the uploads and the queue: {@code /health} answers however many clients trickle
 * their bodies in (see {@link Uploads}).
 *
 * <p><b>Batching.</b> Uploads are decoded on the request thread; decoded images wait in a bounded
 * queue ({@link Builder#maxQueue}); a free batcher thread ({@link Builder#replicas} of them, all
 * sharing one detector whose replicas hold one copy of the weights) runs the waiting ones, up to
 * {@link Builder#maxBatch}, in one {@link FssdDetector#detectBatch} call, once {@code maxBatch}
 * wait or the oldest has waited {@link Builder#maxDelayMs}; batches are 1, 2, 4, ... or {@code
 * maxBatch} images (one compiled plan the detector's plans are all compiled when it is built; see
 * {@link DynamicBatcher}). Per-request {@code threshold} and {@code max} are applied to the
 * detector's results afterwards: a detector the server builds ({@link Builder#model(Path)}, {@link
 * Builder#model(FssdModel)}) runs at score threshold 0.01, so any request threshold from 0.01 up is
 * honoured exactly (up to the detector's per-class and per-image caps); with {@link
 * Builder#detector(FssdDetector)} thresholds below that detector's own cannot bring anything back.
 * {@code maxBatch(1)} turns batching off.
 *
 * <p><b>Parts.</b> {@link ServerSettings} is the immutable copy of the builder's settings that the
 * server reads (its detection settings are one {@link DetectorSettings}); this class is the
 * lifecycle; {@link Endpoints} holds the handlers; {@link ServeOptions} is the one command line,
 * shared by {@link #main} and {@code fssd serve}.
 *
 * <p><b>Lifecycle.</b> {@link #start()} opens the port, loads (if needed) and warms the model on
 * the batcher thread (all detector work runs there, see {@link DynamicBatcher}), then returns;
 * {@code /health} says ok from then on. {@link #close()} is graceful: it stops accepting
 * connections, waits (up to {@link Builder#drainTimeoutMs}) for detections in flight, finishes the
 * queue, stops Jetty, and closes the detector if the server built it. Thread-safe.
 */
public final class FssdServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FssdServer.class);

  /** Score threshold of a detector the server builds itself; requests filter upwards from it. */
  public static final float DETECTOR_FLOOR_THRESHOLD = 0.01f;

  /** Javalin's default size of Jetty's thread pool, the least the server uses. */
  private static final int DEFAULT_HTTP_THREADS = 250;

  /** Request threads kept beyond those uploads and queued detections can hold. */
  private static final int RESERVE_HTTP_THREADS = 50;

  /** An immutable copy of the builder's settings, taken in {@link Builder#build()}. */
  private final ServerSettings settings;

  /** The model source: exactly one of these three is set. */
  private final FssdDetector givenDetector;

  private final Path modelFile;
  private final FssdModel model;
  private final Consumer<List<BgrImage>> beforeBatch;
  private final IntConsumer beforeLoad;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final ServeMetrics metrics;
  private final Uploads uploads;
  private final Endpoints endpoints;
  private volatile FssdDetector detector;

  /** The detector this server built (and so closes); null when it serves a given one. */
  private volatile FssdDetector ownedDetector;

  private volatile DynamicBatcher batcher;
  private volatile boolean ready;
  private volatile boolean closing;
  private Javalin app;
  private boolean started;

  private FssdServer(Builder b, ServerSettings settings) {
    this.settings = settings;
    this.givenDetector = b.detector;
    this.modelFile = b.modelFile;
    this.model = b.model;
    this.beforeBatch = b.beforeBatch;
    this.beforeLoad = b.beforeLoad;
    this.detector = b.detector;
    this.uploads =
        new Uploads(
            settings.maxUploads(),
            settings.maxUploadBytes(),
            settings.bodyIdleTimeoutMs(),
            settings.bodyTimeoutMs(),
            ClientFaultLog.warnings(LOG));
    this.metrics = new ServeMetrics(() -> batcher == null ? 0 : batcher.depth(), uploads::active);
    this.endpoints =
        new Endpoints(
            settings,
            modelFile,
            new Endpoints.Backend() {
              @Override
              public boolean isReady() {
                return FssdServer.this.isReady();
              }

              @Override
              public boolean isClosing() {
                return closing;
              }

              @Override
              public FssdDetector detector() {
                return detector;
              }

              @Override
              public DynamicBatcher batcher() {
                return batcher;
              }
            },
            metrics,
            uploads);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The settings this server runs with (an immutable copy of its builder's). */
  public ServerSettings settings() {
    return settings;
  }

  /**
   * Opens the port, loads the model if the builder named a file, warms the detector up (every batch
   * size the batcher forms: 1, 2, 4, ... and {@code maxBatch}) and returns this server, ready.
   *
   * @throws IllegalStateException when called twice
   */
  public synchronized FssdServer start() {
    checkState(!started, "FssdServer.start() called twice");
    started = true;
    JsonErrorHandler errors = new JsonErrorHandler(status -> metrics.request("other", status, 0));
    app =
        Javalin.create(
            cfg -> {
              cfg.showJavalinBanner = false;
              cfg.startupWatcherEnabled = false;
              cfg.http.maxRequestSize = settings.maxUploadBytes();
              cfg.jetty.threadPool = httpThreadPool();
              // Dispatch on the headers: an over-long Content-Length is refused before any body
              // arrives.
              cfg.jetty.modifyHttpConfiguration(http -> http.setDelayDispatchUntilContent(false));
              // Jetty's own answers (requests it cannot parse or refuses) in the service's JSON
              // format too.
              cfg.jetty.modifyServer(server -> server.setErrorHandler(errors));
              cfg.jetty.modifyServletContextHandler(context -> context.setErrorHandler(errors));
            });
    endpoints.register(app);
    app.start(settings.host(), settings.port());
    LOG.info("FssdServer listening on http://{}:{}/", settings.host(), port());
    primeJavalin();
    try {
      if (beforeLoad != null) {
        beforeLoad.accept(port());
      }
      FssdDetector shared = givenDetector;
      if (shared == null) {
        FssdModel loaded = modelFile != null ? FssdModel.load(modelFile) : model;
        // One detector for all batcher threads: a detector may be called from any thread, and
        // its replicas (one per batcher thread) share one copy of the engine's weights, where a
        // detector per thread would hold one copy each.
        shared = buildDetector(loaded);
        ownedDetector = shared;
      }
      FssdDetector forWorkers = shared;
      batcher =
          new DynamicBatcher(
              i -> forWorkers,
              false,
              settings.replicas(),
              settings.maxBatch(),
              settings.maxDelayMs(),
              settings.maxQueue(),
              metrics,
              beforeBatch,
              System::nanoTime);
      detector = batcher.awaitReady();
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
    ready = true;
    LOG.info("FssdServer ready: {}", describe());
    return this;
  }

  /**
   * Javalin 6.7 initialises its servlet configuration lazily and without locking on the first
   * request, so first requests racing each other can fail with a NullPointerException inside
   * Javalin. One request of our own before anyone else's settles it.
   */
  private void primeJavalin() {
    String h =
        settings.host().equals("0.0.0.0") || settings.host().equals("::")
            ? "127.0.0.1"
            : settings.host();
    if (h.contains(":") && !h.startsWith("[")) {
      h = "[" + h + "]";
    }
    try {
      HttpURLConnection c =
          (HttpURLConnection) new URL("http://" + h + ":" + port() + "/health").openConnection();
      c.setRequestProperty(Endpoints.PRIME_HEADER, "1");
      c.setConnectTimeout(5000);
      c.setReadTimeout(5000);
      c.getResponseCode();
      c.disconnect();
    } catch (IOException e) {
      LOG.warn("could not prime the HTTP server with a request of its own: {}", e.toString());
    }
  }

  /**
   * Jetty's request threads: enough for every upload permit ({@link Builder#maxUploads}), every
   * request that can wait for a batch (the queue plus the batches running), and a reserve for
   * everything else (/health, /metrics, error answers, Jetty's acceptor and selectors), so that
   * slow uploads cannot take the last thread from /health. At least Javalin's default of 250.
   */
  private QueuedThreadPool httpThreadPool() {
    QueuedThreadPool pool =
        new QueuedThreadPool(
            httpThreads(
                settings.maxUploads(),
                settings.maxQueue(),
                settings.replicas(),
                settings.maxBatch()),
            8,
            60_000);
    pool.setName("fssd-http");
    return pool;
  }

  /** The size of Jetty's thread pool for these settings (see {@link #httpThreadPool()}). */
  static int httpThreads(int maxUploads, int maxQueue, int replicas, int maxBatch) {
    return Math.max(
        DEFAULT_HTTP_THREADS, maxUploads + maxQueue + replicas * maxBatch + RESERVE_HTTP_THREADS);
  }

  /** The most threads Jetty runs requests on (for tests). */
  int httpThreadLimit() {
    return ((QueuedThreadPool) app.jettyServer().threadPool()).getMaxThreads();
  }

  /** The endpoints' paths and methods (for tests; see {@link Endpoints#routes()}). */
  Map<String, Set<String>> routes() {
    return endpoints.routes();
  }

  /**
   * Builds the detector the server owns: the settings' detection settings, one replica per batcher
   * thread, at score threshold {@link #DETECTOR_FLOOR_THRESHOLD} (requests filter upwards).
   */
  private FssdDetector buildDetector(FssdModel m) {
    return FssdDetector.builder()
        .model(m)
        .settings(settings.detector().toBuilder().scoreThreshold(DETECTOR_FLOOR_THRESHOLD).build())
        .build();
  }

  /** The port the server listens on (the ephemeral one when built with port 0). */
  public int port() {
    checkState(app != null, "the server is not started");
    return app.port();
  }

  /** Whether the model is loaded and warmed up and the server is not shutting down. */
  public boolean isReady() {
    return ready && !closing;
  }

  /** The detector being served (null before {@link #start()} when built from a file). */
  public FssdDetector detector() {
    return detector;
  }

  /** The name the model is served under in the v2 endpoints ({@link Builder#modelName}). */
  public String modelName() {
    return settings.modelName();
  }

  /** Blocks until {@link #close()} has finished. */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  /**
   * What a command-line front-end does: starts the server, closes it gracefully when the JVM shuts
   * down (Ctrl-C), prints {@code fssd serve: http://HOST:PORT/} on {@code out} and blocks until the
   * server is closed.
   */
  public void runUntilStopped(PrintWriter out) throws InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "fssd-serve-shutdown"));
    start();
    out.println("fssd serve: http://" + settings.host() + ":" + port() + "/  (Ctrl-C stops)");
    out.flush();
    awaitClose();
  }

  /**
   * Graceful stop: stop accepting connections, wait for requests in flight (up to the drain
   * timeout), finish the queue, stop Jetty, close the detector if this server built it. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closing) {
      return;
    }
    closing = true;
    try {
      if (app != null) {
        for (Connector c : app.jettyServer().server().getConnectors()) {
          if (c instanceof NetworkConnector) {
            ((NetworkConnector) c).close();
          }
        }
        long deadline =
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.drainTimeoutMs());
        while (endpoints.inFlight() > 0 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        if (endpoints.inFlight() > 0) {
          LOG.warn(
              "{} request(s) still in flight after {} ms; stopping anyway",
              endpoints.inFlight(),
              settings.drainTimeoutMs());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (batcher != null) {
        batcher.close();
      }
      FssdDetector owned = ownedDetector;
      if (owned != null) {
        ownedDetector = null;
        owned.close(); // after the batcher: its threads have finished their last batches
      }
      if (app != null) {
        app.stop();
      }
      LOG.info("FssdServer stopped");
      closed.countDown();
    }
  }

  /** The settings in words, with the model source. */
  private String describe() {
    return describe(modelFile, settings);
  }

  static String describe(Path modelFile, ServerSettings s) {
    return "{model="
        + (modelFile != null ? modelFile : "in-memory")
        + ", host="
        + s.host()
        + ", port="
        + s.port()
        + ", maxBatch="
        + s.maxBatch()
        + ", maxDelayMs="
        + s.maxDelayMs()
        + ", maxQueue="
        + s.maxQueue()
        + ", maxUploadBytes="
        + s.maxUploadBytes()
        + ", maxUploads="
        + s.maxUploads()
        + ", bodyIdleTimeoutMs="
        + s.bodyIdleTimeoutMs()
        + ", bodyTimeoutMs="
        + s.bodyTimeoutMs()
        + ", drainTimeoutMs="
        + s.drainTimeoutMs()
        + ", modelName="
        + s.modelName()
        + ", detector="
        + s.detector()
        + "}";
  }

  @Override
  public String toString() {
    return "FssdServer" + describe() + (app != null && !closing ? " on port " + app.port() : "");
  }

  // ---------------------------------------------------------------- main

  /**
   * Runs the server until the process is stopped (Ctrl-C closes it gracefully), with the command
   * line of {@code fssd serve} ({@link ServeOptions}, shared with fssd-cli), except that {@code
   * --model FILE} is required here. A bad or missing flag prints the problem and the usage on
   * stderr and exits with code 2.
   */
  public static void main(String[] args) throws InterruptedException {
    int code = FssdServerCommand.commandLine(new FssdServerCommand()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  // ---------------------------------------------------------------- builder

  /**
   * Builds a server. Give exactly one of {@link #model(Path)} or {@link #model(FssdModel)} (the
   * server builds, owns and closes the detector) or {@link #detector(FssdDetector)} (the caller
   * keeps ownership). Every setter checks its value ({@link ServerSettings}, {@link
   * DetectorSettings} name the ranges); {@link #build()} copies the settings into an immutable
   * {@link ServerSettings}, so changing the builder afterwards does not change the server.
   * Defaults: host 127.0.0.1, port 0 (ephemeral), maxBatch 8, maxDelayMs 5, maxQueue 64,
   * maxUploadBytes 20 MiB, 64 uploads at once, body idle timeout 10 s, body deadline 30 s, drain
   * timeout 30 s, and {@link DetectorSettings#defaults()} (request threshold 0.3, 200 detections, 1
   * replica, 100 megapixels, NMS IoU 0.45, 40 per class).
   */
  public static final class Builder {
    private FssdDetector detector;
    private Path modelFile;
    private FssdModel model;
    private Consumer<List<BgrImage>> beforeBatch;
    private IntConsumer beforeLoad;
    private String modelName;
    private String host = "127.0.0.1";
    private int port;
    private int maxBatch = 8;
    private long maxDelayMs = 5;
    private int maxQueue = 64;
    private long maxUploadBytes = 20L << 20;
    private DetectorSettings.Builder detectorSettings = DetectorSettings.builder();
    private long drainTimeoutMs = 30_000;
    private int maxUploads = 64;
    private long bodyIdleTimeoutMs = 10_000;
    private long bodyTimeoutMs = 30_000;

    private Builder() {}

    /**
     * Serve this detector (not closed by the server). The server calls it from its batcher thread;
     * that it was built on another thread does not matter (a detector may be used from any thread).
     */
    public Builder detector(FssdDetector detector) {
      this.detector = Objects.requireNonNull(detector, "detector");
      return this;
    }

    /**
     * Serve the native model file; the server builds (in {@link FssdServer#start()}, on its batcher
     * thread), owns and closes the detector, at score threshold {@link
     * FssdServer#DETECTOR_FLOOR_THRESHOLD}.
     */
    public Builder model(Path file) {
      this.modelFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * Serve this in-memory model; the server builds (on its batcher thread), owns and closes the
     * detector, at score threshold {@link FssdServer#DETECTOR_FLOOR_THRESHOLD}.
     */
    public Builder model(FssdModel model) {
      this.model = Objects.requireNonNull(model, "model");
      return this;
    }

    /** Test hook: runs on the batcher thread before each batch; an exception fails the batch. */
    Builder beforeBatch(Consumer<List<BgrImage>> hook) {
      this.beforeBatch = hook;
      return this;
    }

    /**
     * Test hook: runs in {@link FssdServer#start()} once the port (given) is open, before the model
     * is loaded and warmed up.
     */
    Builder beforeLoad(IntConsumer hook) {
      this.beforeLoad = hook;
      return this;
    }

    /**
     * The model's name in the v2 endpoints ({@code /v2/models/NAME}): letters, digits, {@code _.-},
     * starting with a letter or digit. Default: the model file's name without {@code .zip}, or
     * {@code fssd} for a model or detector given in memory.
     */
    public Builder modelName(String name) {
      ServerSettings.checkModelName(name);
      this.modelName = name;
      return this;
    }

    private String resolvedModelName() {
      if (modelName != null) {
        return modelName;
      }
      if (modelFile != null) {
        String f =
            String.valueOf(modelFile.getFileName())
                .replaceFirst("(?i)\\.zip$", "")
                .replaceAll("[^A-Za-z0-9_.-]", "_");
        return f.isEmpty() || !Character.isLetterOrDigit(f.charAt(0)) ? "fssd" + f : f;
      }
      return "fssd";
    }

    /** Address to bind (default 127.0.0.1; 0.0.0.0 for all interfaces). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Port (0 = an ephemeral free port, see {@link FssdServer#port()}). */
    public Builder port(int port) {
      ServerSettings.checkPort(port);
      this.port = port;
      return this;
    }

    /**
     * Most images per detector call, in [1, 128] (1 turns batching off). Batches of 1, 2, 4, ...
     * (powers of two below it) and of {@code n} itself are formed; each is a compiled plan held in
     * memory.
     */
    public Builder maxBatch(int n) {
      ServerSettings.checkMaxBatch(n);
      this.maxBatch = n;
      return this;
    }

    /**
     * How long a request may wait for companions, in ms, counted from its arrival: a batch starts
     * when {@link #maxBatch} requests wait or the oldest has waited this long.
     */
    public Builder maxDelayMs(long ms) {
      ServerSettings.checkMaxDelayMs(ms);
      this.maxDelayMs = ms;
      return this;
    }

    /** Most decoded requests waiting for a batch; beyond that requests get 503. */
    public Builder maxQueue(int n) {
      ServerSettings.checkMaxQueue(n);
      this.maxQueue = n;
      return this;
    }

    /** Largest request body in bytes; a larger one gets 413. */
    public Builder maxUploadBytes(long bytes) {
      ServerSettings.checkMaxUploadBytes(bytes);
      this.maxUploadBytes = bytes;
      return this;
    }

    /**
     * All detection settings at once, replacing those set before: the score threshold is the
     * default threshold of a request, replicas the batcher threads; the rest configure a detector
     * the server builds (a given {@link #detector(FssdDetector)} keeps its own).
     */
    public Builder detectorSettings(DetectorSettings settings) {
      this.detectorSettings = Objects.requireNonNull(settings, "settings").toBuilder();
      return this;
    }

    /** Default per-request score threshold (exclusive), in [0, 1) (default 0.3). */
    public Builder scoreThreshold(float t) {
      detectorSettings.scoreThreshold(t);
      return this;
    }

    /** Detections per image of a detector the server builds (default 200). */
    public Builder maxDetections(int n) {
      detectorSettings.maxDetections(n);
      return this;
    }

    /**
     * Batcher threads taking batches from the shared queue, all calling one detector, in [1, 64]
     * (default 1). With a model the server builds, that detector gets one replica per thread (one
     * set of activation buffers each; the weights are shared); a given {@link
     * #detector(FssdDetector)} runs as many batches at once as it has replicas, the other threads
     * wait for one.
     */
    public Builder replicas(int n) {
      detectorSettings.replicas(n);
      return this;
    }

    /** The same as {@link #replicas(int)} (the name of earlier versions). */
    public Builder workers(int n) {
      return replicas(n);
    }

    /** Pixel limit of a detector the server builds; larger uploads get 413. */
    public Builder maxPixels(long n) {
      detectorSettings.maxPixels(n);
      return this;
    }

    /**
     * Most uploads being received or decoded at once; a detection request beyond them gets 503
     * {@code too_many_uploads} with {@code Retry-After} at once, so slow uploads hold at most this
     * many request threads. Jetty's thread pool is sized above this plus {@link #maxQueue}.
     */
    public Builder maxUploads(int n) {
      ServerSettings.checkMaxUploads(n);
      this.maxUploads = n;
      return this;
    }

    /**
     * Longest pause, in ms, between two arrivals of body data; longer gets 408 {@code
     * upload_timeout}.
     */
    public Builder bodyIdleTimeoutMs(long ms) {
      ServerSettings.checkBodyIdleTimeoutMs(ms);
      this.bodyIdleTimeoutMs = ms;
      return this;
    }

    /**
     * Most time, in ms, to receive a whole body, however steadily it trickles in; longer gets 408
     * {@code upload_timeout}.
     */
    public Builder bodyTimeoutMs(long ms) {
      ServerSettings.checkBodyTimeoutMs(ms);
      this.bodyTimeoutMs = ms;
      return this;
    }

    /** How long {@link FssdServer#close()} waits for requests in flight. */
    public Builder drainTimeoutMs(long ms) {
      ServerSettings.checkDrainTimeoutMs(ms);
      this.drainTimeoutMs = ms;
      return this;
    }

    /** The settings this builder holds now, as the server would copy them. */
    public ServerSettings settings() {
      return new ServerSettings(
          host,
          port,
          resolvedModelName(),
          maxBatch,
          maxDelayMs,
          maxQueue,
          maxUploadBytes,
          maxUploads,
          bodyIdleTimeoutMs,
          bodyTimeoutMs,
          drainTimeoutMs,
          detectorSettings.build());
    }

    /** The server (not started), with an immutable copy of this builder's settings. */
    public FssdServer build() {
      int sources =
          (detector != null ? 1 : 0) + (modelFile != null ? 1 : 0) + (model != null ? 1 : 0);
      checkArgument(
          sources == 1,
          "give exactly one of detector(...), model(Path) or model(FssdModel); got %s",
          sources);
      return new FssdServer(this, settings());
    }

    @Override
    public String toString() {
      return describe(modelFile, settings());
    }
  }
}
