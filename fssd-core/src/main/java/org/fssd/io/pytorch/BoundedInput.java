package org.fssd.io.pytorch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * A stream of known length: every read is checked against the bytes left before anything is
 * allocated, and a stream that ends early is reported as truncated. Not thread-safe.
 */
final class BoundedInput {
  private final Path file;
  private final InputStream in;
  private final long length;
  private long position;

  /**
   * @param file the checkpoint, for messages
   * @param in the bytes; not closed here
   * @param length how many bytes {@code in} holds (file size, zip entry size)
   */
  BoundedInput(Path file, InputStream in, long length) {
    this.file = file;
    this.in = in;
    this.length = length;
  }

  /** Bytes read so far. */
  long position() {
    return position;
  }

  /** Bytes left. */
  long remaining() {
    return length - position;
  }

  /** One unsigned byte; {@code what} names it in the message if none is left. */
  int readU8(String what) {
    require(1, what);
    try {
      int b = in.read();
      if (b < 0) {
        throw endedEarly(what);
      }
      position++;
      return b;
    } catch (IOException e) {
      throw ioFailure(e);
    }
  }

  /** Exactly {@code n} bytes, after checking that {@code n} are left. */
  byte[] readBytes(long n, String what) {
    require(n, what);
    if (n > Integer.MAX_VALUE - 8) {
      throw new CheckpointFormatException(
          file, what + " of " + n + " bytes is larger than a Java array can hold");
    }
    try {
      byte[] out = in.readNBytes((int) n);
      if (out.length != n) {
        throw endedEarly(what);
      }
      position += n;
      return out;
    } catch (IOException e) {
      throw ioFailure(e);
    }
  }

  /** A little-endian int64. */
  long readLongLe(String what) {
    byte[] b = readBytes(8, what);
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[i] & 0xff);
    }
    return v;
  }

  /** Skips exactly {@code n} bytes, after checking that {@code n} are left. */
  void skip(long n, String what) {
    require(n, what);
    try {
      in.skipNBytes(n);
      position += n;
    } catch (java.io.EOFException e) {
      throw endedEarly(what);
    } catch (IOException e) {
      throw ioFailure(e);
    }
  }

  /** Throws "truncated" unless {@code n} (non-negative) bytes are left. */
  void require(long n, String what) {
    if (n < 0) {
      throw new CheckpointFormatException(file, what + " has a negative length " + n);
    }
    if (n > remaining()) {
      throw new CheckpointFormatException(
          file,
          "truncated: "
              + what
              + " at offset "
              + position
              + " needs "
              + n
              + " bytes, "
              + remaining()
              + " left");
    }
  }

  private CheckpointFormatException endedEarly(String what) {
    return new CheckpointFormatException(
        file,
        "truncated: input ended at offset "
            + position
            + " while reading "
            + what
            + " ("
            + length
            + " bytes expected)");
  }

  private CheckpointFormatException ioFailure(IOException e) {
    return new CheckpointFormatException(file, "read error at offset " + position + ": " + e, e);
  }
}
