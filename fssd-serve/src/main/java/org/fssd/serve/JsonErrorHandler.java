package org.fssd.serve;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.function.IntConsumer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's error pages in the service's JSON format: the answers Jetty gives before a request
 * reaches the service (a bad or negative {@code Content-Length}, a control character in a header,
 * an ambiguous path such as {@code /%2e%2e/}, an over-long URL or header block, ...) come back as
 * {@code {"error": code, "detail": text}} like every other error, not as HTML. Set on the Jetty
 * server (which answers requests it cannot parse) and on the servlet context (which answers
 * requests it refuses).
 */
final class JsonErrorHandler extends ErrorHandler {
  private static final Logger LOG = LoggerFactory.getLogger(JsonErrorHandler.class);

  private final IntConsumer answered;

  /** {@code answered} is told the status of every error this handler writes (for the metrics). */
  JsonErrorHandler(IntConsumer answered) {
    this.answered = answered;
  }

  /** An error body for every method, not only GET, POST and HEAD. */
  @Override
  public boolean errorPageForMethod(String method) {
    return true;
  }

  /** A request Jetty could not parse: the body of its answer (the connection is then closed). */
  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    answered.accept(status);
    fields.put(HttpHeader.CONTENT_TYPE, "application/json");
    return ByteBuffer.wrap(ApiException.body(ApiException.codeFor(status), detail(status, reason)));
  }

  /** A request Jetty parsed but refused, or an error the servlet sent without a body of its own. */
  @Override
  public void handle(
      String target, Request baseRequest, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    baseRequest.setHandled(true);
    if (response.isCommitted()) {
      return;
    }
    int status = response.getStatus();
    String detail;
    Object cause = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
    if (status >= 500 && cause instanceof Throwable) {
      // Something escaped the service's own handlers: log it under an id, never show it.
      String id = UUID.randomUUID().toString().substring(0, 8);
      LOG.error(
          "error id {}: {} {} failed",
          id,
          request.getMethod(),
          request.getRequestURI(),
          (Throwable) cause);
      detail = "unexpected failure, error id " + id + " (see the server log)";
    } else {
      Object message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE);
      detail = detail(status, message instanceof String ? (String) message : null);
    }
    answered.accept(status);
    byte[] body = ApiException.body(ApiException.codeFor(status), detail);
    response.setContentType("application/json");
    if (status == HttpStatus.SERVICE_UNAVAILABLE_503) {
      response.setHeader("Retry-After", "1");
    }
    response.setContentLength(body.length);
    // The response's own stream works whether or not the failed handler had taken its writer.
    baseRequest.getResponse().getHttpOutput().write(body);
  }

  private static String detail(int status, String reason) {
    String standard = HttpStatus.getMessage(status);
    if (reason == null || reason.isBlank() || reason.equals(standard)) {
      return standard + " (refused by the HTTP layer)";
    }
    return reason;
  }
}
