package org.fssd.serve;

import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;

/**
 * How {@code POST /v1/detect} takes in its body. Each upload holds one of {@code maxUploads}
 * permits while its body is read and decoded, and a request finding none free is answered 503 at
 * once: so uploads never hold more request threads than that, however slowly their clients send,
 * and the rest of the service ({@code /health} above all) keeps threads to run on (the server sizes
 * Jetty's pool above the permits, see {@link FssdServer}). A body read is bounded three ways: in
 * size ({@code maxBytes}, 413), in the gap between two arrivals of data (the idle timeout) and in
 * total time (the deadline), both 408. A body that ends early (the client closed its side or went
 * away) is the client's fault: 400 {@code incomplete_body}, never a 500. Client faults are logged
 * through {@link ClientFaultLog}: one WARN line, no stack trace, rate-limited. Thread-safe.
 */
final class Uploads {
  private final Semaphore permits;
  private final int maxUploads;
  private final long maxBytes;
  private final long idleTimeoutMs;
  private final long deadlineMs;
  private final ClientFaultLog faults;

  Uploads(
      int maxUploads, long maxBytes, long idleTimeoutMs, long deadlineMs, ClientFaultLog faults) {
    this.permits = new Semaphore(maxUploads);
    this.maxUploads = maxUploads;
    this.maxBytes = maxBytes;
    this.idleTimeoutMs = idleTimeoutMs;
    this.deadlineMs = deadlineMs;
    this.faults = faults;
  }

  /** Uploads being read or decoded now. */
  int active() {
    return maxUploads - permits.availablePermits();
  }

  /**
   * Takes a permit without waiting: a waiting request would hold its thread as a slow upload does.
   *
   * @return the permit, to close when the body is read and decoded
   * @throws ApiException 503 {@code too_many_uploads} (with {@code Retry-After}; the connection is
   *     closed since the body is not read) when {@code maxUploads} uploads are in progress
   */
  Permit enter(HttpServletRequest req) {
    if (!permits.tryAcquire()) {
      faults.fault(
          "too_many_uploads",
          maxUploads + " uploads already in progress; refused " + request(req) + " with 503");
      throw new ApiException(
          503,
          "too_many_uploads",
          maxUploads + " uploads are already being received; retry shortly",
          true);
    }
    return new Permit();
  }

  /** A held upload permit; closing it (once or more) gives it back. */
  final class Permit implements AutoCloseable {
    private boolean released;

    @Override
    public void close() {
      if (!released) {
        released = true;
        permits.release();
      }
    }
  }

  /**
   * The whole request body.
   *
   * @throws ApiException 413 {@code payload_too_large} past {@code maxBytes}; 408 {@code
   *     upload_timeout} when no data came for the idle timeout or the body was not complete by the
   *     deadline; 400 {@code incomplete_body} when it ended before its declared length or the
   *     connection broke; 400 {@code bad_request} for a malformed (chunked) body. All but the 413
   *     close the connection.
   */
  byte[] read(HttpServletRequest req) {
    long declared = req.getContentLengthLong();
    Request base = Request.getBaseRequest(req);
    EndPoint endPoint = base == null ? null : base.getHttpChannel().getEndPoint();
    long savedIdle = endPoint == null ? 0 : endPoint.getIdleTimeout();
    long start = System.nanoTime();
    long deadline = start + TimeUnit.MILLISECONDS.toNanos(deadlineMs);
    ByteArrayOutputStream out =
        new ByteArrayOutputStream((int) Math.max(0, Math.min(declared, 1 << 20)));
    long total = 0;
    long applied = -1;
    try {
      InputStream in = req.getInputStream();
      byte[] buf = new byte[64 * 1024];
      while (true) {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) {
          throw timedOut(req, total, declared, start, false);
        }
        // Jetty fails a blocked read once the connection has been idle this long, so the smaller of
        // the idle timeout and the time left to the deadline bounds each read.
        long timeout = Math.min(idleTimeoutMs, leftMs);
        if (endPoint != null && timeout != applied) {
          endPoint.setIdleTimeout(timeout);
          applied = timeout;
        }
        int n;
        try {
          n = in.read(buf);
        } catch (IOException e) {
          if (isTimeout(e)) {
            throw timedOut(req, total, declared, start, applied < idleTimeoutMs);
          }
          throw incomplete(req, total, declared, e);
        }
        if (n < 0) {
          break;
        }
        total += n;
        if (total > maxBytes) {
          throw new ApiException(
              413,
              "payload_too_large",
              "the body is more than the limit of " + maxBytes + " bytes",
              true);
        }
        out.write(buf, 0, n);
      }
    } catch (IOException e) { // getInputStream() itself
      throw incomplete(req, total, declared, e);
    } catch (BadMessageException e) {
      throw new ApiException(400, "bad_request", "the body is malformed: " + e.getReason(), true);
    } finally {
      if (endPoint != null && applied >= 0 && endPoint.isOpen()) {
        endPoint.setIdleTimeout(savedIdle); // the connection's own idle timeout between requests
      }
    }
    if (declared >= 0 && total < declared) {
      throw incomplete(req, total, declared, null);
    }
    return out.toByteArray();
  }

  private ApiException timedOut(
      HttpServletRequest req, long total, long declared, long start, boolean deadlineHit) {
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    String why =
        deadlineHit || ms >= deadlineMs
            ? "the body was not complete " + deadlineMs + " ms after the request began"
            : "no body data came for " + idleTimeoutMs + " ms";
    String detail = why + " (" + received(total, declared) + ")";
    faults.fault("upload_timeout", request(req) + ": " + detail + "; answered 408");
    return new ApiException(408, "upload_timeout", detail, true);
  }

  private ApiException incomplete(
      HttpServletRequest req, long total, long declared, IOException e) {
    String detail = "the body ended early (" + received(total, declared) + ")";
    faults.fault(
        "incomplete_body",
        request(req)
            + ": "
            + detail
            + (e == null
                ? ""
                : ", "
                    + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()))
            + "; answered 400 if the client still listens");
    return new ApiException(400, "incomplete_body", detail, true);
  }

  private static String received(long total, long declared) {
    return declared >= 0
        ? total + " of " + declared + " declared bytes received"
        : total + " bytes received";
  }

  private static boolean isTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException || t instanceof java.net.SocketTimeoutException) {
        return true;
      }
      for (Throwable s : t.getSuppressed()) {
        if (s instanceof TimeoutException) {
          return true;
        }
      }
    }
    return false;
  }

  /** {@code "POST /v1/detect from 1.2.3.4:5678"}: the request as the fault log names it. */
  private static String request(HttpServletRequest req) {
    return req.getMethod() + " " + req.getRequestURI() + " from " + client(req);
  }

  static String client(HttpServletRequest req) {
    return req.getRemoteAddr() + ":" + req.getRemotePort();
  }
}
