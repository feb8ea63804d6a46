package org.fssd.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.fssd.FssdException;
import org.fssd.ImageDecodeException;
import org.fssd.ImageTooLargeException;
import org.fssd.detect.Detection;
import org.fssd.detect.DetectionJson;
import org.fssd.detect.FssdDetector;
import org.fssd.image.AnnotatedBox;
import org.fssd.image.Annotator;
import org.fssd.image.BgrImage;
import org.fssd.model.FssdConfig;
import org.fssd.model.Provenance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoints of an {@link FssdServer} (see its Javadoc for the API): the handlers, the
 * route table behind 404 and 405, and the JSON error answers. The lifecycle (Jetty, the batcher,
 * the detector) stays with the server, which this reads through {@link Backend}. Handlers run on
 * Jetty's request threads; this class is thread-safe.
 */
final class Endpoints {
  private static final Logger LOG = LoggerFactory.getLogger(FssdServer.class);
  private static final String UPLOAD_NAME = "upload";

  /** Marks the server's own first request (not counted in the metrics). */
  static final String PRIME_HEADER = "X-Fssd-Prime";

  /**
   * Request attribute: the answer is an error the service wrote (Javalin's 404/405 mappers leave
   * it).
   */
  private static final String OWN_ERROR = "fssd.ownError";

  /** What the endpoints need of the server's lifecycle. */
  interface Backend {
    /** Whether the model is loaded and warmed up and the server is not shutting down. */
    boolean isReady();

    /** Whether {@link FssdServer#close()} has begun. */
    boolean isClosing();

    /** The detector being served; null while the model loads. */
    FssdDetector detector();

    /** The batcher; null before the model is loaded. */
    DynamicBatcher batcher();
  }

  private final ServerSettings settings;
  private final Path modelFile;
  private final Backend server;
  private final ServeMetrics metrics;
  private final Uploads uploads;
  private final ObjectMapper mapper = new ObjectMapper();
  private final Annotator annotator = new Annotator();
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Methods by path, for 405 and its Allow header. */
  private final Map<String, Set<String>> routes = new LinkedHashMap<>();

  private final byte[] page;
  private final byte[] openApi;

  Endpoints(
      ServerSettings settings,
      Path modelFile,
      Backend server,
      ServeMetrics metrics,
      Uploads uploads) {
    this.settings = settings;
    this.modelFile = modelFile;
    this.server = server;
    this.metrics = metrics;
    this.uploads = uploads;
    this.page = resource("index.html");
    this.openApi = resource("openapi.json");
  }

  /** Registers every endpoint, and the 404/405 answers, on {@code app}. */
  void register(Javalin app) {
    route(app, HandlerType.GET, "/", this::page);
    route(app, HandlerType.GET, "/health", this::health);
    route(app, HandlerType.GET, "/metrics", this::metrics);
    route(app, HandlerType.GET, "/openapi.json", this::openApi);
    route(app, HandlerType.GET, "/v1/models", this::models);
    route(app, HandlerType.POST, "/v1/detect", this::detect);
    // The Open Inference Protocol (KServe v2) REST endpoints.
    route(app, HandlerType.GET, "/v2", this::v2Server);
    route(app, HandlerType.GET, "/v2/health/live", this::v2Live);
    route(app, HandlerType.GET, "/v2/health/ready", this::v2Ready);
    route(app, HandlerType.GET, "/v2/models/{name}", this::v2Model);
    route(app, HandlerType.GET, "/v2/models/{name}/ready", this::v2ModelReady);
    route(app, HandlerType.POST, "/v2/models/{name}/infer", this::v2Infer);
    app.error(404, this::notFoundOrWrongMethod);
    app.error(405, this::notFoundOrWrongMethod);
  }

  /** Detection requests being answered now (the server's close waits for them). */
  int inFlight() {
    return inFlight.get();
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

  // ---------------------------------------------------------------- routing and errors

  /** Registers an endpoint and remembers its method for 405 answers. */
  private void route(Javalin app, HandlerType method, String path, Handler h) {
    app.addHttpHandler(method, path, endpoint(path, h));
    Set<String> methods = routes.computeIfAbsent(path, p -> new LinkedHashSet<>());
    methods.add(method.name());
    if (method == HandlerType.GET) {
      methods.add(HandlerType.HEAD.name()); // Javalin answers HEAD for every GET endpoint
    }
  }

  /**
   * 405 with {@code Allow} for a known path asked with the wrong method, 404 for an unknown path.
   */
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
      writeError(
          ctx,
          405,
          "method_not_allowed",
          "method "
              + ctx.method()
              + " is not allowed on "
              + path
              + "; allowed: "
              + String.join(", ", allowed));
      metrics.request("other", 405, 0);
    } else {
      writeError(ctx, 404, "not_found", "no endpoint " + ctx.method() + " " + ctx.path());
      metrics.request("other", 404, 0);
    }
  }

  /**
   * Whether a request path fits a route path, whose {@code {param}} segments match any one segment.
   */
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
        writeError(
            ctx,
            500,
            "internal_error",
            "unexpected failure, error id " + id + " (see the server log)");
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

  // ---------------------------------------------------------------- page, health, metrics

  private void page(Context ctx) {
    ctx.contentType("text/html; charset=utf-8");
    ctx.header("Cache-Control", "no-cache");
    ctx.result(page);
  }

  private void health(Context ctx) {
    ObjectNode o = mapper.createObjectNode();
    if (server.isReady()) {
      o.put("status", "ok");
      json(ctx, o);
    } else {
      boolean closing = server.isClosing();
      o.put("status", closing ? "shutting_down" : "loading");
      o.put("error", "not_ready");
      o.put(
          "detail", closing ? "the server is shutting down" : "the model is loading or warming up");
      ctx.status(503);
      json(ctx, o);
    }
  }

  private void metrics(Context ctx) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(32_768);
    ctx.contentType(metrics.write(ctx.header("Accept"), out));
    ctx.result(out.toByteArray());
  }

  private void openApi(Context ctx) {
    ctx.contentType("application/json");
    ctx.result(openApi);
  }

  // ---------------------------------------------------------------- v1

  private void models(Context ctx) {
    FssdDetector d = server.detector();
    if (d == null) {
      throw new ApiException(503, "not_ready", "the model is loading");
    }
    FssdConfig c = d.model().config();
    ObjectNode root = mapper.createObjectNode();
    ObjectNode m = root.putArray("models").addObject();
    m.put("name", modelFile != null ? String.valueOf(modelFile.getFileName()) : "in-memory");
    m.put("v2Name", settings.modelName());
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
    s.put("defaultThreshold", settings.defaultThreshold());
    s.put("maxBatch", settings.maxBatch());
    ArrayNode sizes = s.putArray("batchSizes");
    for (int n : DynamicBatcher.batchSizes(settings.maxBatch())) {
      sizes.add(n);
    }
    s.put("maxDelayMs", settings.maxDelayMs());
    s.put("maxQueue", settings.maxQueue());
    s.put("maxUploadBytes", settings.maxUploadBytes());
    s.put("maxUploads", settings.maxUploads());
    s.put("bodyIdleTimeoutMs", settings.bodyIdleTimeoutMs());
    s.put("bodyTimeoutMs", settings.bodyTimeoutMs());
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

  private void detectInFlight(Context ctx) throws IOException {
    checkServing();
    float threshold = floatParam(ctx, "threshold", settings.defaultThreshold());
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
          throw new ApiException(
              400, "bad_request", "the multipart body has no field named 'image'");
        }
      }
      image = decode(body, UPLOAD_NAME);
    }
    try (image) {
      List<Detection> found =
          filter(await(accepted(server.batcher().submit(image))), threshold, max);
      String accept = ctx.header("Accept");
      if (accept != null && accept.toLowerCase(Locale.ROOT).contains("image/png")) {
        ctx.contentType("image/png");
        ctx.result(annotator.annotatedPng(image, boxes(found)));
      } else {
        json(ctx, DetectionJson.image(UPLOAD_NAME, image.width(), image.height(), found));
      }
    }
  }

  // ---------------------------------------------------------------- v2 (Open Inference Protocol)

  private void v2Server(Context ctx) {
    ObjectNode o = mapper.createObjectNode();
    o.put("name", "fssd4j");
    o.put("version", Provenance.version());
    o.putArray("extensions");
    json(ctx, o);
  }

  /** 200 whenever the process answers, during model loading too (the port opens first). */
  private void v2Live(Context ctx) {
    json(ctx, mapper.createObjectNode().put("live", true));
  }

  private void v2Ready(Context ctx) {
    boolean ready = server.isReady();
    ctx.status(ready ? 200 : 503);
    json(ctx, mapper.createObjectNode().put("ready", ready));
  }

  /** The path's model name, or 404 {@code model_not_found}. */
  private String v2ModelName(Context ctx) {
    String name = ctx.pathParam("name");
    if (!name.equals(settings.modelName())) {
      throw new ApiException(
          404,
          "model_not_found",
          "no model named '" + name + "'; this server serves '" + settings.modelName() + "'");
    }
    return name;
  }

  private void v2Model(Context ctx) {
    json(ctx, V2Protocol.metadata(mapper, v2ModelName(ctx)));
  }

  private void v2ModelReady(Context ctx) {
    String name = v2ModelName(ctx);
    boolean ready = server.isReady();
    ctx.status(ready ? 200 : 503);
    json(ctx, mapper.createObjectNode().put("name", name).put("ready", ready));
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
        request = V2Protocol.parse(mapper, uploads.read(ctx.req()), settings.defaultThreshold());
        if (request.images().size() > settings.maxQueue()) {
          throw new ApiException(
              413,
              "too_many_images",
              request.images().size()
                  + " images in one request;"
                  + " at most "
                  + settings.maxQueue()
                  + " (the queue's size)");
        }
        for (int i = 0; i < request.images().size(); i++) {
          decoded.add(decode(request.images().get(i), "image[" + i + "]"));
        }
      }
      List<CompletableFuture<List<Detection>>> futures = new ArrayList<>();
      DynamicBatcher.Refused refused = null;
      DynamicBatcher batcher = server.batcher();
      for (BgrImage image : decoded) {
        DynamicBatcher.Submission s = batcher.submit(image);
        if (s instanceof DynamicBatcher.Accepted a) {
          futures.add(a.result());
        } else {
          refused = (DynamicBatcher.Refused) s;
          break;
        }
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
      if (refused != null) {
        accepted(refused); // throws the 503 that names the reason
      }
      json(ctx, V2Protocol.response(mapper, name, request, found));
    } finally {
      decoded.forEach(BgrImage::close);
    }
  }

  // ---------------------------------------------------------------- shared by the detection
  // endpoints

  /** 503 unless the model is ready and the server not closing. */
  private void checkServing() {
    if (!server.isReady()) {
      boolean closing = server.isClosing();
      throw new ApiException(
          503,
          closing ? "shutting_down" : "not_ready",
          closing ? "the server is shutting down" : "the model is loading or warming up");
    }
  }

  /** 413 from the {@code Content-Length} alone, before any of the body is read. */
  private void checkDeclaredLength(Context ctx) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > settings.maxUploadBytes()) {
      throw new ApiException(
          413,
          "payload_too_large",
          "the body has "
              + declared
              + " bytes, more than the limit of "
              + settings.maxUploadBytes()
              + " bytes",
          true);
    }
  }

  /**
   * Decodes an uploaded image: 413 {@code image_too_large} for an {@link ImageTooLargeException},
   * 400 {@code bad_image} for any other decode failure.
   */
  private BgrImage decode(byte[] bytes, String name) {
    if (bytes.length == 0) {
      throw new ApiException(400, "bad_image", "the upload is empty (0 bytes), not an image");
    }
    try {
      return server.detector().imageLoader().load(bytes, name);
    } catch (ImageTooLargeException e) {
      throw new ApiException(413, "image_too_large", e.getMessage());
    } catch (ImageDecodeException e) {
      throw new ApiException(400, "bad_image", e.getMessage());
    }
  }

  /** The future of an accepted submission; 503 naming the reason of a refused one. */
  private CompletableFuture<List<Detection>> accepted(DynamicBatcher.Submission s) {
    if (s instanceof DynamicBatcher.Accepted a) {
      return a.result();
    }
    metrics.rejected();
    DynamicBatcher.RefusalReason reason = ((DynamicBatcher.Refused) s).reason();
    if (reason == DynamicBatcher.RefusalReason.CLOSED) {
      throw new ApiException(503, "shutting_down", "the server is shutting down");
    }
    throw new ApiException(
        503,
        "queue_full",
        "the detection queue is full (" + settings.maxQueue() + " waiting); retry shortly");
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

  /**
   * Detections with score above {@code threshold}, at most {@code max} (they come sorted by score).
   */
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
    return found.stream().map(Detection::annotated).toList();
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
    throw new ApiException(
        400, "bad_request", "query parameter " + name + "=" + v + " is not a number in [0, 1]");
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
    throw new ApiException(
        400, "bad_request", "query parameter " + name + "=" + v + " is not a whole number >= 0");
  }

  private static byte[] resource(String name) {
    try (InputStream in = FssdServer.class.getResourceAsStream(name)) {
      if (in == null) {
        return "<!doctype html><title>fssd</title><p>web page missing from the jar"
            .getBytes(StandardCharsets.UTF_8);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
