package org.fssd.serve;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.fssd.FssdException;
import org.fssd.ImageDecodeException;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.image.AnnotatedBox;
import org.fssd.image.Annotator;
import org.fssd.image.BgrImage;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FSSD HTTP detection service: a Javalin (Jetty) server around one {@link
 * FssdDetector}, with dynamic batching.
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
 *       JSON {@code {"image": "upload", "width": W, "height": H, "detections": [{"class": k,
 *       "label": "dog", "score": s, "box": [x1, y1, x2, y2]}]}} (boxes in pixels of the uploaded
 *       image), or with {@code Accept: image/png} the image with the boxes drawn as a PNG.
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
 *       /v2/models/{name}/ready} and {@code POST /v2/models/{name}/infer} (images as a BYTES
 *       tensor of base64 strings; see {@link V2Protocol}); another model name gets 404 {@code
 *       model_not_found}. The name is {@link Builder#modelName}.
 * </ul>
 *
 * <p><b>Errors</b> are JSON {@code {"error": code, "detail": text}}, Jetty's own included (see
 * {@link JsonErrorHandler}): 400 {@code bad_request} or {@code bad_image} (not an image, corrupt,
 * empty) or {@code incomplete_body} (the body ended before its declared length; no answer when the
 * client has gone), 408 {@code upload_timeout} (no body data for {@link Builder#bodyIdleTimeoutMs},
 * or the body not complete within {@link Builder#bodyTimeoutMs}), 413 {@code payload_too_large}
 * (body over {@link Builder#maxUploadBytes}; refused from {@code Content-Length} before reading,
 * and the read is capped) or {@code image_too_large} (more pixels than {@link Builder#maxPixels}),
 * 503 {@code queue_full} or {@code too_many_uploads} (more than {@link Builder#maxUploads} uploads
 * in progress) with {@code Retry-After: 1}, 503 {@code shutting_down}, 404 {@code not_found}, 405
 * {@code method_not_allowed} with {@code Allow} (a known path, another method), and 500 {@code
 * internal_error} whose detail carries an error id that is also logged. Jetty's refusals use the
 * status's name ({@code uri_too_long}, {@code headers_too_large}, ...). The server keeps serving
 * after any of them. Client faults (incomplete or too slow uploads, uploads over the cap) are
 * logged as one WARN line without a stack trace, at most one per kind every 10 s ({@link
 * ClientFaultLog}).
 *
 * <p><b>Slow clients.</b> Each upload holds a request thread while its body arrives, so uploads
 * are capped ({@link Builder#maxUploads}) and bounded in time, and Jetty's thread pool has threads
 * to spare beyond the uploads and the queue: {@code /health} answers however many clients trickle
 * their bodies in (see {@link Uploads}).
 *
 * <p><b>Batching.</b> Uploads are decoded on the request thread; decoded images wait in a bounded
 * queue ({@link Builder#maxQueue}); a free batcher thread ({@link Builder#workers} of them, all
 * sharing one detector whose replicas hold one copy of the weights) runs the waiting ones, up to {@link Builder#maxBatch}, in one {@link
 * FssdDetector#detectBatch} call, once {@code maxBatch} wait or the oldest has waited {@link
 * Builder#maxDelayMs}; batches are 1, 2, 4, ... or {@code maxBatch} images (one compiled plan
 * the detector's plans are all compiled when it is built; see {@link DynamicBatcher}). Per-request {@code threshold}
 * and {@code max} are applied to the detector's results
 * afterwards: a detector the server builds ({@link Builder#model(Path)}, {@link
 * Builder#model(FssdModel)}) runs at score threshold 0.01, so any request threshold from 0.01 up is honoured exactly (up to the detector's per-class
 * and per-image caps); with {@link Builder#detector(FssdDetector)} thresholds below that
 * detector's own cannot bring anything back. {@code maxBatch(1)} turns batching off.
 *
 * <p><b>Lifecycle.</b> {@link #start()} opens the port, loads (if needed) and warms the model on
 * the batcher thread (all detector work runs there, see {@link DynamicBatcher}), then returns; {@code /health} says ok from then on. {@link #close()} is graceful: it stops
 * accepting connections, waits (up to {@link Builder#drainTimeoutMs}) for detections in flight,
 * finishes the queue, stops Jetty, and closes the detector if the server built it. Thread-safe.
 */
public final class FssdServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FssdServer.class);
  /** Score threshold of a detector the server builds itself; requests filter upwards from it. */
  public static final float DETECTOR_FLOOR_THRESHOLD = 0.01f;
  private static final String UPLOAD_NAME = "upload";
  /** Marks the server's own first request (not counted in the metrics). */
  private static final String PRIME_HEADER = "X-Fssd-Prime";
  /** Request attribute: the answer is an error the service wrote (Javalin's 404/405 mappers leave it). */
  private static final String OWN_ERROR = "fssd.ownError";
  /** Javalin's default size of Jetty's thread pool, the least the server uses. */
  private static final int DEFAULT_HTTP_THREADS = 250;
  /** Request threads kept beyond those uploads and queued detections can hold. */
  private static final int RESERVE_HTTP_THREADS = 50;

  private final Builder settings;
  private final ObjectMapper mapper = new ObjectMapper();
  private final Annotator annotator = new Annotator();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final ServeMetrics metrics;
  private final ClientFaultLog clientFaults = ClientFaultLog.warnings(LOG);
  private final Uploads uploads;
  /** Methods by path, for 405 and its Allow header. */
  private final Map<String, Set<String>> routes = new LinkedHashMap<>();
  private final byte[] page;
  private final byte[] openApi;
  private volatile FssdDetector detector;
  /** The detector this server built (and so closes); null when it serves a given one. */
  private volatile FssdDetector ownedDetector;
  private volatile DynamicBatcher batcher;
  private volatile boolean ready;
  private volatile boolean closing;
  private Javalin app;
  private boolean started;

  private FssdServer(Builder b) {
    this.settings = b;
    this.detector = b.detector;
    this.uploads = new Uploads(b.maxUploads, b.maxUploadBytes, b.bodyIdleTimeoutMs, b.bodyTimeoutMs, clientFaults);
    this.metrics = new ServeMetrics(() -> batcher == null ? 0 : batcher.depth(), uploads::active);
    this.page = resource("index.html");
    this.openApi = resource("openapi.json");
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the port, loads the model if the builder named a file, warms the detector up (every
   * batch size the batcher forms: 1, 2, 4, ... and {@code maxBatch}) and returns this server, ready.
   *
   * @throws IllegalStateException when called twice
   */
  public synchronized FssdServer start() {
    checkState(!started, "FssdServer.start() called twice");
    started = true;
    JsonErrorHandler errors = new JsonErrorHandler(status -> metrics.request("other", status, 0));
    app = Javalin.create(cfg -> {
      cfg.showJavalinBanner = false;
      cfg.startupWatcherEnabled = false;
      cfg.http.maxRequestSize = settings.maxUploadBytes;
      cfg.jetty.threadPool = httpThreadPool();
      // Dispatch on the headers: an over-long Content-Length is refused before any body arrives.
      cfg.jetty.modifyHttpConfiguration(http -> http.setDelayDispatchUntilContent(false));
      // Jetty's own answers (requests it cannot parse or refuses) in the service's JSON format too.
      cfg.jetty.modifyServer(server -> server.setErrorHandler(errors));
      cfg.jetty.modifyServletContextHandler(context -> context.setErrorHandler(errors));
    });
    route(HandlerType.GET, "/", this::page);
    route(HandlerType.GET, "/health", this::health);
    route(HandlerType.GET, "/metrics", this::metrics);
    route(HandlerType.GET, "/openapi.json", this::openApi);
    route(HandlerType.GET, "/v1/models", this::models);
    route(HandlerType.POST, "/v1/detect", this::detect);
    // The Open Inference Protocol (KServe v2) REST endpoints.
    route(HandlerType.GET, "/v2", this::v2Server);
    route(HandlerType.GET, "/v2/health/live", this::v2Live);
    route(HandlerType.GET, "/v2/health/ready", this::v2Ready);
    route(HandlerType.GET, "/v2/models/{name}", this::v2Model);
    route(HandlerType.GET, "/v2/models/{name}/ready", this::v2ModelReady);
    route(HandlerType.POST, "/v2/models/{name}/infer", this::v2Infer);
    app.error(404, this::notFoundOrWrongMethod);
    app.error(405, this::notFoundOrWrongMethod);
    app.start(settings.host, settings.port);
    LOG.info("FssdServer listening on http://{}:{}/", settings.host, port());
    primeJavalin();
    try {
      if (settings.beforeLoad != null) {
        settings.beforeLoad.accept(port());
      }
      FssdDetector shared = settings.detector;
      if (shared == null) {
        FssdModel loaded = settings.modelFile != null ? FssdModel.load(settings.modelFile) : settings.model;
        // One detector for all batcher threads: a detector may be called from any thread, and
        // its replicas (one per worker) share one copy of the engine's weights, where a detector
        // per worker would hold one copy each.
        shared = buildDetector(loaded);
        ownedDetector = shared;
      }
      FssdDetector forWorkers = shared;
      batcher = new DynamicBatcher(i -> forWorkers, false, settings.workers, settings.maxBatch,
          settings.maxDelayMs, settings.maxQueue, metrics, settings.beforeBatch);
      detector = batcher.awaitReady();
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
    ready = true;
    LOG.info("FssdServer ready: {}", settings);
    return this;
  }

  /**
   * Javalin 6.7 initialises its servlet configuration lazily and without locking on the first
   * request, so first requests racing each other can fail with a NullPointerException inside
   * Javalin. One request of our own before anyone else's settles it.
   */
  private void primeJavalin() {
    String h = settings.host.equals("0.0.0.0") || settings.host.equals("::") ? "127.0.0.1" : settings.host;
    if (h.contains(":") && !h.startsWith("[")) {
      h = "[" + h + "]";
    }
    try {
      java.net.HttpURLConnection c =
          (java.net.HttpURLConnection) new java.net.URL("http://" + h + ":" + port() + "/health").openConnection();
      c.setRequestProperty(PRIME_HEADER, "1");
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
    QueuedThreadPool pool = new QueuedThreadPool(
        httpThreads(settings.maxUploads, settings.maxQueue, settings.workers, settings.maxBatch), 8, 60_000);
    pool.setName("fssd-http");
    return pool;
  }

  /** The size of Jetty's thread pool for these settings (see {@link #httpThreadPool()}). */
  static int httpThreads(int maxUploads, int maxQueue, int workers, int maxBatch) {
    return Math.max(DEFAULT_HTTP_THREADS, maxUploads + maxQueue + workers * maxBatch + RESERVE_HTTP_THREADS);
  }

  /** The most threads Jetty runs requests on (for tests). */
  int httpThreadLimit() {
    return ((QueuedThreadPool) app.jettyServer().threadPool()).getMaxThreads();
  }

  /**
   * The endpoints: path (Javalin's syntax, {@code {name}} a path parameter) to methods, HEAD
   * included for every GET (Javalin answers it). The OpenAPI document is checked against this.
   */
  Map<String, Set<String>> routes() {
    Map<String, Set<String>> copy = new LinkedHashMap<>();
    routes.forEach((path, methods) -> copy.put(path, Set.copyOf(methods)));
    return copy;
  }

  /** Registers an endpoint and remembers its method for 405 answers. */
  private void route(HandlerType method, String path, Handler h) {
    app.addHttpHandler(method, path, endpoint(path, h));
    Set<String> methods = routes.computeIfAbsent(path, p -> new LinkedHashSet<>());
    methods.add(method.name());
    if (method == HandlerType.GET) {
      methods.add(HandlerType.HEAD.name()); // Javalin answers HEAD for every GET endpoint
    }
  }

  /** 405 with {@code Allow} for a known path asked with the wrong method, 404 for an unknown path. */
  private void notFoundOrWrongMethod(Context ctx) {
    if (ctx.attribute(OWN_ERROR) != null) {
      return; // an endpoint's own 404 (an unknown model), already written
    }
    String path = ctx.path();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1); // Javalin ignores a trailing slash
    }
    Set<String> allowed = null;
    for (Map.Entry<String, Set<String>> r : routes.entrySet()) {
      if (matches(r.getKey(), path)) {
        allowed = r.getValue();
        break;
      }
    }
    if (allowed != null && !allowed.contains(ctx.method().name())) {
      ctx.header("Allow", String.join(", ", allowed));
      writeError(ctx, 405, "method_not_allowed", "method " + ctx.method() + " is not allowed on " + path
          + "; allowed: " + String.join(", ", allowed));
      metrics.request("other", 405, 0);
    } else {
      writeError(ctx, 404, "not_found", "no endpoint " + ctx.method() + " " + ctx.path());
      metrics.request("other", 404, 0);
    }
  }

  /** Whether a request path fits a route path, whose {@code {param}} segments match any one segment. */
  static boolean matches(String route, String path) {
    String[] r = route.split("/", -1);
    String[] p = path.split("/", -1);
    if (r.length != p.length) {
      return false;
    }
    for (int i = 0; i < r.length; i++) {
      boolean param = r[i].startsWith("{") && r[i].endsWith("}");
      if (param ? p[i].isEmpty() : !r[i].equals(p[i])) {
        return false;
      }
    }
    return true;
  }

  /** Builds the detector the server owns: one replica per batcher thread. */
  private FssdDetector buildDetector(FssdModel m) {
    return FssdDetector.builder()
        .model(m)
        .replicas(settings.workers)
        .scoreThreshold(DETECTOR_FLOOR_THRESHOLD)
        .maxDetections(settings.maxDetections)
        .maxPixels(settings.maxPixels)
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

  /** Blocks until {@link #close()} has finished. */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  /**
   * What a command-line front-end does: starts the server, closes it gracefully when the JVM
   * shuts down (Ctrl-C), prints {@code fssd serve: http://HOST:PORT/} on {@code out} and blocks
   * until the server is closed.
   */
  public void runUntilStopped(PrintWriter out) throws InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "fssd-serve-shutdown"));
    start();
    out.println("fssd serve: http://" + settings.host + ":" + port() + "/  (Ctrl-C stops)");
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
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.drainTimeoutMs);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        if (inFlight.get() > 0) {
          LOG.warn("{} request(s) still in flight after {} ms; stopping anyway", inFlight.get(), settings.drainTimeoutMs);
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

  // ---------------------------------------------------------------- endpoints

  /** Wraps a handler: JSON errors, error ids for the unexpected, metrics. */
  private Handler endpoint(String name, Handler h) {
    return ctx -> {
      long t0 = System.nanoTime();
      try {
        h.handle(ctx);
      } catch (ApiException e) {
        if (e.closeConnection()) {
          ctx.header("Connection", "close");
        }
        writeError(ctx, e.status(), e.code(), e.getMessage());
      } catch (Exception | LinkageError | AssertionError e) {
        String id = UUID.randomUUID().toString().substring(0, 8);
        LOG.error("error id {}: {} {} failed", id, ctx.method(), ctx.path(), e);
        writeError(ctx, 500, "internal_error", "unexpected failure, error id " + id + " (see the server log)");
      } finally {
        if (ctx.header(PRIME_HEADER) == null) {
          metrics.request(name, ctx.statusCode(), System.nanoTime() - t0);
        }
      }
    };
  }

  private void writeError(Context ctx, int status, String code, String detail) {
    ctx.attribute(OWN_ERROR, Boolean.TRUE);
    ctx.status(status);
    if (status == 503) {
      ctx.header("Retry-After", "1");
    }
    ctx.contentType("application/json");
    ctx.result(ApiException.body(code, detail));
  }

  private void json(Context ctx, Object value) {
    try {
      ctx.contentType("application/json");
      ctx.result(mapper.writeValueAsBytes(value));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void page(Context ctx) {
    ctx.contentType("text/html; charset=utf-8");
    ctx.header("Cache-Control", "no-cache");
    ctx.result(page);
  }

  private void health(Context ctx) {
    ObjectNode o = mapper.createObjectNode();
    if (isReady()) {
      o.put("status", "ok");
      json(ctx, o);
    } else {
      o.put("status", closing ? "shutting_down" : "loading");
      o.put("error", "not_ready");
      o.put("detail", closing ? "the server is shutting down" : "the model is loading or warming up");
      ctx.status(503);
      json(ctx, o);
    }
  }

  private void metrics(Context ctx) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(32_768);
    ctx.contentType(metrics.write(ctx.header("Accept"), out));
    ctx.result(out.toByteArray());
  }

  private void openApi(Context ctx) {
    ctx.contentType("application/json");
    ctx.result(openApi);
  }

  // ---------------------------------------------------------------- Open Inference Protocol (v2)

  /** The name the model is served under in the v2 endpoints ({@link Builder#modelName}). */
  public String modelName() {
    return settings.modelName();
  }

  private void v2Server(Context ctx) {
    ObjectNode o = mapper.createObjectNode();
    o.put("name", "fssd4j");
    o.put("version", org.fssd.model.Provenance.version());
    o.putArray("extensions");
    json(ctx, o);
  }

  /** 200 whenever the process answers, during model loading too (the port opens first). */
  private void v2Live(Context ctx) {
    json(ctx, mapper.createObjectNode().put("live", true));
  }

  private void v2Ready(Context ctx) {
    ctx.status(isReady() ? 200 : 503);
    json(ctx, mapper.createObjectNode().put("ready", isReady()));
  }

  /** The path's model name, or 404 {@code model_not_found}. */
  private String v2ModelName(Context ctx) {
    String name = ctx.pathParam("name");
    if (!name.equals(modelName())) {
      throw new ApiException(404, "model_not_found", "no model named '" + name + "'; this server serves '"
          + modelName() + "'");
    }
    return name;
  }

  private void v2Model(Context ctx) {
    json(ctx, V2Protocol.metadata(mapper, v2ModelName(ctx)));
  }

  private void v2ModelReady(Context ctx) {
    String name = v2ModelName(ctx);
    ctx.status(isReady() ? 200 : 503);
    json(ctx, mapper.createObjectNode().put("name", name).put("ready", isReady()));
  }

  private void v2Infer(Context ctx) {
    inFlight.incrementAndGet();
    try {
      v2InferInFlight(ctx);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void v2InferInFlight(Context ctx) {
    String name = v2ModelName(ctx);
    checkServing();
    checkDeclaredLength(ctx);
    V2Protocol.Request request;
    List<BgrImage> decoded = new ArrayList<>();
    try {
      try (Uploads.Permit permit = uploads.enter(ctx.req())) {
        request = V2Protocol.parse(mapper, uploads.read(ctx.req()), settings.scoreThreshold);
        if (request.images().size() > settings.maxQueue) {
          throw new ApiException(413, "too_many_images", request.images().size() + " images in one request;"
              + " at most " + settings.maxQueue + " (the queue's size)");
        }
        for (int i = 0; i < request.images().size(); i++) {
          decoded.add(decode(request.images().get(i), "image[" + i + "]"));
        }
      }
      List<CompletableFuture<List<Detection>>> futures = new ArrayList<>();
      boolean queueFull = false;
      for (BgrImage image : decoded) {
        CompletableFuture<List<Detection>> f = batcher.submit(image);
        if (f == null) {
          queueFull = true;
          break;
        }
        futures.add(f);
      }
      // Every submitted image is awaited before the finally below closes it, whatever happens.
      List<List<Detection>> found = new ArrayList<>();
      RuntimeException failure = null;
      for (CompletableFuture<List<Detection>> f : futures) {
        try {
          found.add(filter(await(f), request.threshold(), request.max()));
        } catch (RuntimeException e) {
          failure = failure == null ? e : failure;
        }
      }
      if (failure != null) {
        throw failure;
      }
      if (queueFull) {
        metrics.rejected();
        throw new ApiException(503, "queue_full", "the detection queue is full (" + settings.maxQueue
            + " waiting); retry shortly");
      }
      json(ctx, V2Protocol.response(mapper, name, request, found));
    } finally {
      decoded.forEach(BgrImage::close);
    }
  }

  // ---------------------------------------------------------------- detection

  private void models(Context ctx) {
    FssdDetector d = detector;
    if (d == null) {
      throw new ApiException(503, "not_ready", "the model is loading");
    }
    FssdConfig c = d.model().config();
    ObjectNode root = mapper.createObjectNode();
    ObjectNode m = root.putArray("models").addObject();
    m.put("name", settings.modelFile != null ? String.valueOf(settings.modelFile.getFileName()) : "in-memory");
    m.put("v2Name", modelName());
    m.put("architecture", "FSSD" + c.inputSize());
    m.put("inputSize", c.inputSize());
    m.put("numClasses", c.numClasses());
    m.put("batchNorm", c.batchNorm());
    m.put("numPriors", c.numPriors());
    m.put("macsPerImage", c.macsPerImage());
    m.put("engine", d.engine().toString());
    ArrayNode labels = m.putArray("labels");
    d.labels().objectClasses().forEach(labels::add);
    ObjectNode prov = m.putObject("provenance");
    for (Map.Entry<String, String> e : d.model().provenance().asMap().entrySet()) {
      prov.put(e.getKey(), e.getValue());
    }
    ObjectNode s = m.putObject("serving");
    s.put("defaultThreshold", settings.scoreThreshold);
    s.put("maxBatch", settings.maxBatch);
    ArrayNode sizes = s.putArray("batchSizes");
    for (int n : DynamicBatcher.batchSizes(settings.maxBatch)) {
      sizes.add(n);
    }
    s.put("maxDelayMs", settings.maxDelayMs);
    s.put("maxQueue", settings.maxQueue);
    s.put("maxUploadBytes", settings.maxUploadBytes);
    s.put("maxUploads", settings.maxUploads);
    s.put("bodyIdleTimeoutMs", settings.bodyIdleTimeoutMs);
    s.put("bodyTimeoutMs", settings.bodyTimeoutMs);
    s.put("maxPixels", d.imageLoader().maxPixels());
    json(ctx, root);
  }

  private void detect(Context ctx) throws IOException {
    inFlight.incrementAndGet();
    try {
      detectInFlight(ctx);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /** 503 unless the model is ready and the server not closing. */
  private void checkServing() {
    if (!isReady()) {
      throw new ApiException(503, closing ? "shutting_down" : "not_ready",
          closing ? "the server is shutting down" : "the model is loading or warming up");
    }
  }

  /** 413 from the {@code Content-Length} alone, before any of the body is read. */
  private void checkDeclaredLength(Context ctx) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > settings.maxUploadBytes) {
      throw new ApiException(413, "payload_too_large", "the body has " + declared
          + " bytes, more than the limit of " + settings.maxUploadBytes + " bytes", true);
    }
  }

  /** Decodes an uploaded image: 400 {@code bad_image} or 413 {@code image_too_large} when it cannot. */
  private BgrImage decode(byte[] bytes, String name) {
    if (bytes.length == 0) {
      throw new ApiException(400, "bad_image", "the upload is empty (0 bytes), not an image");
    }
    try {
      return detector.imageLoader().load(bytes, name);
    } catch (ImageDecodeException e) {
      if (e.getMessage() != null && e.getMessage().contains("more than the limit")) {
        throw new ApiException(413, "image_too_large", e.getMessage());
      }
      throw new ApiException(400, "bad_image", e.getMessage());
    }
  }

  private void detectInFlight(Context ctx) throws IOException {
    checkServing();
    float threshold = floatParam(ctx, "threshold", settings.scoreThreshold);
    int max = intParam(ctx, "max", Integer.MAX_VALUE);
    checkDeclaredLength(ctx);
    BgrImage image;
    // The permit covers reading and decoding: both hold a request thread and the upload's memory.
    try (Uploads.Permit permit = uploads.enter(ctx.req())) {
      byte[] body = uploads.read(ctx.req());
      String contentType = ctx.header("Content-Type");
      if (Multipart.isMultipart(contentType)) {
        body = Multipart.field(body, contentType, "image");
        if (body == null) {
          throw new ApiException(400, "bad_request", "the multipart body has no field named 'image'");
        }
      }
      image = decode(body, UPLOAD_NAME);
    }
    try (image) {
      CompletableFuture<List<Detection>> future = batcher.submit(image);
      if (future == null) {
        metrics.rejected();
        throw new ApiException(503, "queue_full", "the detection queue is full (" + settings.maxQueue
            + " waiting); retry shortly");
      }
      List<Detection> found = filter(await(future), threshold, max);
      String accept = ctx.header("Accept");
      if (accept != null && accept.toLowerCase(Locale.ROOT).contains("image/png")) {
        ctx.contentType("image/png");
        ctx.result(annotator.annotatedPng(image, boxes(found)));
      } else {
        json(ctx, toJson(mapper, UPLOAD_NAME, image.width(), image.height(), found));
      }
    }
  }

  private static List<Detection> await(CompletableFuture<List<Detection>> future) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return future.get();
        } catch (InterruptedException e) {
          interrupted = true; // the image must outlive the batch; keep waiting
        } catch (ExecutionException | CompletionException e) {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          throw new FssdException("the detection batch failed: " + cause, cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Detections with score above {@code threshold}, at most {@code max} (they come sorted by score). */
  static List<Detection> filter(List<Detection> all, float threshold, int max) {
    List<Detection> out = new ArrayList<>();
    for (Detection d : all) {
      if (out.size() >= max) {
        break;
      }
      if (d.score() > threshold) {
        out.add(d);
      }
    }
    return out;
  }

  private static List<AnnotatedBox> boxes(List<Detection> found) {
    List<AnnotatedBox> boxes = new ArrayList<>(found.size());
    for (Detection d : found) {
      boxes.add(new AnnotatedBox(d.box().x1(), d.box().y1(), Math.max(d.box().x1(), d.box().x2()),
          Math.max(d.box().y1(), d.box().y2()), d.classIndex(),
          String.format(Locale.ROOT, "%s %.2f", d.label(), d.score())));
    }
    return boxes;
  }

  /** The CLI's per-image JSON. */
  static ObjectNode toJson(ObjectMapper mapper, String name, int width, int height, List<Detection> found) {
    ObjectNode o = mapper.createObjectNode();
    o.put("image", name);
    o.put("width", width);
    o.put("height", height);
    ArrayNode dets = o.putArray("detections");
    for (Detection d : found) {
      ObjectNode j = dets.addObject();
      j.put("class", d.classIndex());
      j.put("label", d.label());
      j.put("score", d.score());
      j.putArray("box").add(d.box().x1()).add(d.box().y1()).add(d.box().x2()).add(d.box().y2());
    }
    return o;
  }

  private static float floatParam(Context ctx, String name, float dflt) {
    String v = ctx.queryParam(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      float f = Float.parseFloat(v);
      if (f >= 0f && f <= 1f) {
        return f;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new ApiException(400, "bad_request", "query parameter " + name + "=" + v + " is not a number in [0, 1]");
  }

  private static int intParam(Context ctx, String name, int dflt) {
    String v = ctx.queryParam(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      int i = Integer.parseInt(v);
      if (i >= 0) {
        return i;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new ApiException(400, "bad_request", "query parameter " + name + "=" + v + " is not a whole number >= 0");
  }

  private static byte[] resource(String name) {
    try (InputStream in = FssdServer.class.getResourceAsStream(name)) {
      if (in == null) {
        return "<!doctype html><title>fssd</title><p>web page missing from the jar".getBytes(StandardCharsets.UTF_8);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "FssdServer" + settings + (app != null && !closing ? " on port " + app.port() : "");
  }

  // ---------------------------------------------------------------- main

  /**
   * Runs the server until the process is stopped (Ctrl-C closes it gracefully). Flags: {@code
   * --model FILE} (required), {@code --host} (127.0.0.1), {@code --port} (8080; 0 = any free),
   * {@code --max-batch} (8), {@code --max-delay-ms} (5), {@code --max-queue} (64), {@code
   * --max-upload-bytes} (20 MB), {@code --threshold} (default request threshold, 0.3), {@code
   * --max-detections} (200), {@code --workers} (1), {@code --max-pixels} (100 000 000), {@code
   * --max-uploads} (64), {@code --body-idle-timeout-ms} (10 000), {@code --body-timeout-ms} (30 000),
   * {@code --model-name} (the v2 name; default the file name without {@code .zip}), {@code --help}. A bad or missing flag prints the problem and the usage on stderr and exits with code 2.
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
   * keeps ownership). Defaults:
   * host 127.0.0.1, port 0 (ephemeral), maxBatch 8, maxDelayMs 5, maxQueue 64, maxUploadBytes 20
   * MiB, request threshold 0.3, 200 detections, 1 worker, 100 megapixels, drain timeout 30 s, 64
   * uploads at once, body idle timeout 10 s, body deadline 30 s.
   */
  public static final class Builder {
    private FssdDetector detector;
    private Path modelFile;
    private FssdModel model;
    private Consumer<List<BgrImage>> beforeBatch;
    private java.util.function.IntConsumer beforeLoad;
    private String modelName;
    private String host = "127.0.0.1";
    private int port;
    private int maxBatch = 8;
    private long maxDelayMs = 5;
    private int maxQueue = 64;
    private long maxUploadBytes = 20L << 20;
    private float scoreThreshold = 0.3f;
    private int maxDetections = 200;
    private int workers = 1;
    private long maxPixels = 100_000_000L;
    private long drainTimeoutMs = 30_000;
    private int maxUploads = 64;
    private long bodyIdleTimeoutMs = 10_000;
    private long bodyTimeoutMs = 30_000;

    private Builder() {}

    /**
     * Serve this detector (not closed by the server). The server calls it from its batcher thread;
     * that it was built on another thread does not matter (a detector may be used from any
     * thread).
     */
    public Builder detector(FssdDetector detector) {
      this.detector = Objects.requireNonNull(detector, "detector");
      return this;
    }

    /**
     * Serve the native model file; the server builds (in {@link FssdServer#start()}, on its batcher
     * thread), owns and closes the detector, at score threshold {@link FssdServer#DETECTOR_FLOOR_THRESHOLD}.
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
     * Test hook: runs in {@link FssdServer#start()} once the port (given) is open, before the
     * model is loaded and warmed up.
     */
    Builder beforeLoad(java.util.function.IntConsumer hook) {
      this.beforeLoad = hook;
      return this;
    }

    /**
     * The model's name in the v2 endpoints ({@code /v2/models/NAME}): letters, digits, {@code
     * _.-}, starting with a letter or digit. Default: the model file's name without {@code .zip},
     * or {@code fssd} for a model or detector given in memory.
     */
    public Builder modelName(String name) {
      checkArgument(name != null && name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"),
          "modelName must be letters, digits, '_', '.', '-' (starting with a letter or digit, at most 128), got %s", name);
      this.modelName = name;
      return this;
    }

    String modelName() {
      if (modelName != null) {
        return modelName;
      }
      if (modelFile != null) {
        String f = String.valueOf(modelFile.getFileName()).replaceFirst("(?i)\\.zip$", "")
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
      checkArgument(port >= 0 && port <= 65535, "port must be in [0, 65535], got %s", port);
      this.port = port;
      return this;
    }

    /**
     * Most images per detector call (1 turns batching off). Batches of 1, 2, 4, ... (powers of two
     * below it) and of {@code n} itself are formed; each is a compiled plan held in memory.
     */
    public Builder maxBatch(int n) {
      checkArgument(n >= 1 && n <= 128, "maxBatch must be in [1, 128], got %s", n);
      this.maxBatch = n;
      return this;
    }

    /**
     * How long a request may wait for companions, in ms, counted from its arrival: a batch starts
     * when {@link #maxBatch} requests wait or the oldest has waited this long.
     */
    public Builder maxDelayMs(long ms) {
      checkArgument(ms >= 0 && ms <= 10_000, "maxDelayMs must be in [0, 10000], got %s", ms);
      this.maxDelayMs = ms;
      return this;
    }

    /** Most decoded requests waiting for a batch; beyond that requests get 503. */
    public Builder maxQueue(int n) {
      checkArgument(n >= 1, "maxQueue must be >= 1, got %s", n);
      this.maxQueue = n;
      return this;
    }

    /** Largest request body in bytes; a larger one gets 413. */
    public Builder maxUploadBytes(long bytes) {
      checkArgument(bytes >= 1, "maxUploadBytes must be >= 1, got %s", bytes);
      this.maxUploadBytes = bytes;
      return this;
    }

    /** Default per-request score threshold (exclusive), in [0, 1]. */
    public Builder scoreThreshold(float t) {
      checkArgument(t >= 0f && t <= 1f, "scoreThreshold must be in [0, 1], got %s", t);
      this.scoreThreshold = t;
      return this;
    }

    /** Detections per image of a detector the server builds. */
    public Builder maxDetections(int n) {
      checkArgument(n >= 1, "maxDetections must be >= 1, got %s", n);
      this.maxDetections = n;
      return this;
    }

    /**
     * Batcher threads taking batches from the shared queue, all calling one detector. With a model
     * the server builds, that detector gets one replica per thread (one set of activation buffers
     * each; the weights are shared); a given {@link #detector(FssdDetector)} runs as many batches
     * at once as it has replicas, the other threads wait for one.
     */
    public Builder workers(int n) {
      checkArgument(n >= 1 && n <= 64, "workers must be in [1, 64], got %s", n);
      this.workers = n;
      return this;
    }

    /** Pixel limit of a detector the server builds; larger uploads get 413. */
    public Builder maxPixels(long n) {
      checkArgument(n >= 1, "maxPixels must be >= 1, got %s", n);
      this.maxPixels = n;
      return this;
    }

    /**
     * Most uploads being received or decoded at once; a detection request beyond them gets 503
     * {@code too_many_uploads} with {@code Retry-After} at once, so slow uploads hold at most this
     * many request threads. Jetty's thread pool is sized above this plus {@link #maxQueue}.
     */
    public Builder maxUploads(int n) {
      checkArgument(n >= 1 && n <= 10_000, "maxUploads must be in [1, 10000], got %s", n);
      this.maxUploads = n;
      return this;
    }

    /** Longest pause, in ms, between two arrivals of body data; longer gets 408 {@code upload_timeout}. */
    public Builder bodyIdleTimeoutMs(long ms) {
      checkArgument(ms >= 1 && ms <= 3_600_000, "bodyIdleTimeoutMs must be in [1, 3600000], got %s", ms);
      this.bodyIdleTimeoutMs = ms;
      return this;
    }

    /**
     * Most time, in ms, to receive a whole body, however steadily it trickles in; longer gets 408
     * {@code upload_timeout}.
     */
    public Builder bodyTimeoutMs(long ms) {
      checkArgument(ms >= 1 && ms <= 3_600_000, "bodyTimeoutMs must be in [1, 3600000], got %s", ms);
      this.bodyTimeoutMs = ms;
      return this;
    }

    /** How long {@link FssdServer#close()} waits for requests in flight. */
    public Builder drainTimeoutMs(long ms) {
      checkArgument(ms >= 0, "drainTimeoutMs must be >= 0, got %s", ms);
      this.drainTimeoutMs = ms;
      return this;
    }

    /** The server (not started). */
    public FssdServer build() {
      int sources = (detector != null ? 1 : 0) + (modelFile != null ? 1 : 0) + (model != null ? 1 : 0);
      checkArgument(sources == 1, "give exactly one of detector(...), model(Path) or model(FssdModel); got %s", sources);
      return new FssdServer(this);
    }

    @Override
    public String toString() {
      return "{model=" + (modelFile != null ? modelFile : "in-memory") + ", host=" + host + ", port=" + port
          + ", maxBatch=" + maxBatch + ", maxDelayMs=" + maxDelayMs + ", maxQueue=" + maxQueue
          + ", maxUploadBytes=" + maxUploadBytes + ", threshold=" + scoreThreshold + ", workers=" + workers
          + ", maxUploads=" + maxUploads + ", bodyIdleTimeoutMs=" + bodyIdleTimeoutMs + ", bodyTimeoutMs=" + bodyTimeoutMs
          + ", modelName=" + modelName() + "}";
    }
  }
}
