package org.fssd.serve;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal {@code multipart/form-data} reader (RFC 7578) for a body already in memory (the upload
 * size limit is enforced while reading it): finds one field by name.
 */
final class Multipart {
  private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(\"([^\"]+)\"|([^;\\s]+))");
  private static final Pattern NAME = Pattern.compile("(?i)\\bname=\"([^\"]*)\"");

  private Multipart() {}

  /** Whether the content type is {@code multipart/form-data}. */
  static boolean isMultipart(String contentType) {
    return contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
  }

  /**
   * The content of the field {@code name}, or {@code null} when there is none.
   *
   * @throws ApiException 400 when the body is not well-formed multipart
   */
  static byte[] field(byte[] body, String contentType, String name) {
    Matcher m = BOUNDARY.matcher(contentType);
    if (!m.find()) {
      throw new ApiException(
          400, "bad_request", "multipart/form-data without a boundary parameter");
    }
    String boundary = m.group(2) != null ? m.group(2) : m.group(3);
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    byte[] nextDelimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    int pos = indexOf(body, delimiter, 0);
    if (pos < 0) {
      throw new ApiException(400, "bad_request", "multipart body does not contain its boundary");
    }
    pos += delimiter.length;
    while (true) {
      if (pos + 2 <= body.length && body[pos] == '-' && body[pos + 1] == '-') {
        return null; // closing delimiter
      }
      int headersStart = indexOf(body, new byte[] {'\r', '\n'}, pos);
      if (headersStart < 0) {
        throw new ApiException(400, "bad_request", "multipart body is truncated");
      }
      headersStart += 2;
      int headersEnd = indexOf(body, new byte[] {'\r', '\n', '\r', '\n'}, headersStart - 2);
      if (headersEnd < 0) {
        throw new ApiException(400, "bad_request", "multipart part headers are truncated");
      }
      String headers =
          new String(
              body, headersStart, Math.max(0, headersEnd - headersStart), StandardCharsets.UTF_8);
      int contentStart = headersEnd + 4;
      int contentEnd = indexOf(body, nextDelimiter, contentStart);
      if (contentEnd < 0) {
        throw new ApiException(400, "bad_request", "multipart part is not closed by the boundary");
      }
      if (name.equals(partName(headers))) {
        byte[] out = new byte[contentEnd - contentStart];
        System.arraycopy(body, contentStart, out, 0, out.length);
        return out;
      }
      pos = contentEnd + nextDelimiter.length;
    }
  }

  private static String partName(String headers) {
    for (String line : headers.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-disposition:")) {
        Matcher m = NAME.matcher(line);
        return m.find() ? m.group(1) : null;
      }
    }
    return null;
  }

  static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
