package org.fssd.serve;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests no HTTP client would send (broken headers, bodies cut
 * short, bytes trickled in): what was sent is exactly what the test wrote.
 */
final class RawHttp {
  /** Longest wait for an answer: a hang guard, not a timing assertion. */
  static final int READ_TIMEOUT_MS = 30_000;

  private RawHttp() {}

  /** One parsed answer. */
  record Answer(int status, Map<String, String> headers, String body) {
    /** The header's value (case-insensitive name), or null. */
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Opens a connection to the server on loopback. */
  static Socket connect(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(READ_TIMEOUT_MS);
    return s;
  }

  /** Sends {@code request} (ISO-8859-1) on a new connection and reads the answer. */
  static Answer exchange(int port, String request) throws IOException {
    return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), false);
  }

  /**
   * Sends {@code request} on a new connection, half-closes it when {@code shutdownOutput} (the
   * client says it will send no more but still listens), and reads the answer.
   */
  static Answer exchange(int port, byte[] request, boolean shutdownOutput) throws IOException {
    try (Socket s = connect(port)) {
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      if (shutdownOutput) {
        s.shutdownOutput();
      }
      return read(s.getInputStream());
    }
  }

  /**
   * Reads one answer: the head, then the body by {@code Content-Length}, or to the end of the
   * connection without one.
   *
   * @throws IOException when the connection ends before a whole head arrived, or on a read timeout
   */
  static Answer read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0; // matched bytes of \r\n\r\n
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException(
            "the connection ended before the answer's head was complete: " + head);
      }
      head.write(b);
      state = (b == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String length = headers.get("content-length");
    if (length != null) {
      body.write(in.readNBytes(Integer.parseInt(length)));
    } else {
      try {
        in.transferTo(body);
      } catch (SocketTimeoutException e) {
        // keep what came
      }
    }
    return new Answer(status, headers, body.toString(StandardCharsets.UTF_8));
  }
}
