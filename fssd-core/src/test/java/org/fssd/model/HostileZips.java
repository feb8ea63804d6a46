package org.fssd.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes zip files by hand so that tests can build "zip bombs" cheaply: an entry of {@code n}
 * inflated bytes whose compressed form is a small deflate segment repeated (each segment ends with
 * a full flush, so segments are byte-aligned and independent), and whose declared size in the zip
 * may differ from what it really inflates to. Building a 1 GiB-inflating entry costs about 1 MiB of
 * output and no compression work beyond one 1 MiB segment.
 */
final class HostileZips {
  private static final int SEGMENT = 1 << 20;
  private static final byte[] ZERO_SEGMENT = deflateSegment(new byte[SEGMENT]);
  private static final byte[] FINAL_EMPTY_BLOCK = finalEmptyBlock();

  private HostileZips() {}

  /** One zip entry: name, raw deflate data, declared sizes and CRC. */
  record Entry(String name, byte[] deflated, long declaredSize, long crc) {}

  /** A normal entry holding {@code content}. */
  static Entry of(String name, byte[] content) {
    Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    d.setInput(content);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[65536];
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    CRC32 crc = new CRC32();
    crc.update(content);
    return new Entry(name, out.toByteArray(), content.length, crc.getValue());
  }

  /**
   * An entry that inflates to {@code prefix} followed by {@code zeroMiB} MiB of zeros, declaring
   * {@code declaredSize} bytes (pass the true size for an honest declaration).
   */
  static Entry zeros(String name, byte[] prefix, int zeroMiB, long declaredSize) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(deflateSegment(prefix));
    for (int i = 0; i < zeroMiB; i++) {
      out.writeBytes(ZERO_SEGMENT);
    }
    out.writeBytes(FINAL_EMPTY_BLOCK);
    // The CRC is never reached by a reader that stops at its limit; keep it cheap.
    return new Entry(name, out.toByteArray(), declaredSize, 0);
  }

  /** The true inflated size of a {@link #zeros} entry. */
  static long zerosSize(byte[] prefix, int zeroMiB) {
    return prefix.length + (long) zeroMiB * SEGMENT;
  }

  /** Writes {@code entries} as a zip (method DEFLATED, no zip64, no data descriptors). */
  static void write(Path file, List<Entry> entries) throws IOException {
    try (OutputStream os = Files.newOutputStream(file)) {
      long offset = 0;
      List<Long> offsets = new ArrayList<>();
      for (Entry e : entries) {
        offsets.add(offset);
        byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer h = le(30 + name.length);
        h.putInt(0x04034b50);
        putCommon(h, e, name.length).putShort((short) 0).put(name);
        os.write(h.array());
        os.write(e.deflated());
        offset += h.capacity() + e.deflated().length;
      }
      long cdStart = offset;
      for (int i = 0; i < entries.size(); i++) {
        Entry e = entries.get(i);
        byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer c = le(46 + name.length);
        c.putInt(0x02014b50).putShort((short) 20); // made by: 2.0
        putCommon(c, e, name.length)
            .putShort((short) 0)
            .putShort((short) 0)
            .putShort((short) 0)
            .putShort((short) 0)
            .putInt(0)
            .putInt(offsets.get(i).intValue())
            .put(name);
        os.write(c.array());
        offset += c.capacity();
      }
      ByteBuffer end = le(22);
      end.putInt(0x06054b50)
          .putShort((short) 0)
          .putShort((short) 0)
          .putShort((short) entries.size())
          .putShort((short) entries.size())
          .putInt((int) (offset - cdStart))
          .putInt((int) cdStart)
          .putShort((short) 0);
      os.write(end.array());
    }
  }

  /**
   * The fields a local header and its central-directory record share, from "version needed" to the
   * name length: version 2.0, UTF-8 names, DEFLATED, a fixed time and date, the CRC and sizes.
   */
  private static ByteBuffer putCommon(ByteBuffer b, Entry e, int nameLength) {
    return b.putShort((short) 20)
        .putShort((short) 0x0800)
        .putShort((short) 8)
        .putShort((short) 0)
        .putShort((short) 0x21)
        .putInt((int) e.crc())
        .putInt(e.deflated().length)
        .putInt((int) e.declaredSize())
        .putShort((short) nameLength);
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Raw deflate of {@code data} ending in a full flush: byte-aligned, no back-references out. */
  private static byte[] deflateSegment(byte[] data) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    d.setInput(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[65536];
    int n;
    do {
      n = d.deflate(buf, 0, buf.length, Deflater.FULL_FLUSH);
      out.write(buf, 0, n);
    } while (n == buf.length || !d.needsInput());
    d.end();
    return out.toByteArray();
  }

  private static byte[] finalEmptyBlock() {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    d.finish();
    byte[] buf = new byte[64];
    int n = d.deflate(buf);
    d.end();
    return java.util.Arrays.copyOf(buf, n);
  }
}
