package org.fssd.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import org.fssd.FssdException;

/**
 * A request that ends in an HTTP error answer: the status, a short machine-readable error code and
 * a human-readable detail. {@link FssdServer} writes it as {@code {"error": code, "detail":
 * detail}}.
 */
final class ApiException extends FssdException {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final int status;
  private final String code;
  private final boolean closeConnection;

  ApiException(int status, String code, String detail) {
    this(status, code, detail, false);
  }

  ApiException(int status, String code, String detail, boolean closeConnection) {
    super(detail);
    this.status = status;
    this.code = code;
    this.closeConnection = closeConnection;
  }

  /** The HTTP status. */
  int status() {
    return status;
  }

  /** The short error code, e.g. {@code bad_image}. */
  String code() {
    return code;
  }

  /** Whether the answer should close the connection (the body was not read). */
  boolean closeConnection() {
    return closeConnection;
  }

  /** The service's error body, {@code {"error": code, "detail": detail}}, as UTF-8 JSON. */
  static byte[] body(String code, String detail) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("error", code);
    o.put("detail", detail);
    try {
      return MAPPER.writeValueAsBytes(o);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The error code of an answer with this status that the service did not name itself (one Jetty or
   * Javalin gave): the status's name in snake case, e.g. {@code uri_too_long} for 414.
   */
  static String codeFor(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 411 -> "length_required";
      case 413 -> "payload_too_large";
      case 414 -> "uri_too_long";
      case 415 -> "unsupported_media_type";
      case 417 -> "expectation_failed";
      case 431 -> "headers_too_large";
      case 500 -> "internal_error";
      case 501 -> "not_implemented";
      case 503 -> "unavailable";
      case 505 -> "http_version_not_supported";
      default -> "http_" + status;
    };
  }
}
