package org.fssd.io.pytorch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Test helper: assembles pickle opcodes by hand, and checkpoint files around them. */
final class PickleBytes {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static PickleBytes proto2() {
    return new PickleBytes().op(0x80, 2);
  }

  PickleBytes op(int... bytes) {
    for (int b : bytes) {
      out.write(b);
    }
    return this;
  }

  PickleBytes raw(byte[] b) {
    out.writeBytes(b);
    return this;
  }

  PickleBytes str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    op('X').u32(b.length);
    return raw(b);
  }

  PickleBytes u32(long v) {
    return op(
        (int) v & 0xff, (int) (v >> 8) & 0xff, (int) (v >> 16) & 0xff, (int) (v >> 24) & 0xff);
  }

  /** BININT1, BININT2 or BININT as Python's pickler would choose (v < 2^31). */
  PickleBytes integer(long v) {
    if (v >= 0 && v < 256) {
      return op('K', (int) v);
    } else if (v >= 0 && v < 65536) {
      return op('M', (int) v & 0xff, (int) (v >> 8));
    }
    return op('J').u32(v);
  }

  PickleBytes global(String module, String name) {
    op('c');
    raw((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    return this;
  }

  PickleBytes mark() {
    return op('(');
  }

  PickleBytes tuple() {
    return op('t');
  }

  PickleBytes ints(long... values) {
    mark();
    for (long v : values) {
      integer(v);
    }
    return tuple();
  }

  /** A persistent id ('storage', torch.<type>, key, 'cpu', numel) followed by BINPERSID. */
  PickleBytes storage(String type, String key, long numel) {
    mark().str("storage").global("torch", type).str(key).str("cpu").integer(numel).tuple();
    return op('Q');
  }

  /** _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) with a storage pid. */
  PickleBytes tensor(String type, String key, long numel, long offset, long[] size, long[] stride) {
    global("torch._utils", "_rebuild_tensor_v2");
    mark();
    storage(type, key, numel);
    integer(offset).ints(size).ints(stride).op(0x89);
    global("collections", "OrderedDict").op(')', 'R');
    tuple();
    return op('R');
  }

  PickleBytes stop() {
    return op('.');
  }

  byte[] bytes() {
    return out.toByteArray();
  }

  /** A zip-format checkpoint: {@code archive/data.pkl} plus the given entries under it. */
  static Path writeZip(Path file, byte[] dataPkl, Map<String, byte[]> more) {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      zip.putNextEntry(new ZipEntry("archive/data.pkl"));
      zip.write(dataPkl);
      zip.closeEntry();
      for (Map.Entry<String, byte[]> e : more.entrySet()) {
        zip.putNextEntry(new ZipEntry("archive/" + e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Little-endian float32 bytes. */
  static byte[] floats(float... values) {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }
}
