package org.fssd.serve;

import org.fssd.FssdException;

/**
 * A request that ends in an HTTP error answer: the status, a short machine-readable error code and
 * a human-readable detail. {@link FssdServer} writes it as {@code {"error": code, "detail": detail}}.
 */
final class ApiException extends FssdException {
  private static final long serialVersionUID = 1L;

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
}
