package org.fssd.io.pytorch;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The zip format of {@code torch.save} (PyTorch 1.6 and later): one top-level folder {@code
 * <name>/} holding {@code data.pkl} (the pickle), {@code data/<key>} (each storage's raw bytes,
 * little-endian unless a {@code byteorder} entry says {@code big}) and {@code version}. Entries are
 * normally stored, but deflated ones are read too, bounded by their declared size.
 */
final class ZipReader {
  /** Deflate cannot expand more than this (about 1032:1), plus some slack. */
  private static final long MAX_DEFLATE_RATIO = 1100;

  private ZipReader() {}

  private interface ZipCall<T> {
    T call() throws IOException;
  }

  static StateDict read(Path file, ReaderLimits limits) {
    return read(file, limits, false);
  }

  /**
   * {@code lazy}: a stored storage entry is not read now; its tensors read it from the archive each
   * time their values are asked for (its size is checked now), so an importer that copies tensor by
   * tensor never holds the whole checkpoint in memory.
   */
  static StateDict read(Path file, ReaderLimits limits, boolean lazy) {
    try (ZipFile zip = zipCall(file, "open", () -> new ZipFile(file.toFile()))) {
      String prefix = findPrefix(file, zip);
      ZipEntry pklEntry = entry(file, zip, prefix + "data.pkl");
      byte[] pickle = readEntry(file, zip, pklEntry, -1, limits.maxPickleBytes(), "data.pkl");
      ByteOrder order = byteOrder(file, zip, prefix);

      StorageRegistry registry = new StorageRegistry(file);
      BoundedInput in = new BoundedInput(file, new ByteArrayInputStream(pickle), pickle.length);
      Object top = new Unpickler(file, prefix + "data.pkl", in, limits, registry).load();
      TorchCheckpoint.Selected selected = TorchCheckpoint.select(file, top, limits);

      Map<String, byte[]> storages = new LinkedHashMap<>();
      Map<String, TorchTensor.StorageSource> sources = new LinkedHashMap<>();
      long total = 0;
      for (String key : selected.storageKeys()) {
        StorageRegistry.Declared d = registry.declared(key);
        if (d == null) {
          throw new CheckpointFormatException(
              file, "storage '" + key + "' is used by a tensor but never declared");
        }
        String name = prefix + "data/" + key;
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
          throw new CheckpointFormatException(
              file, "zip entry '" + name + "' of storage '" + key + "' is missing");
        }
        long need = d.byteCount();
        total += need;
        limits.checkTensorBytes(file, "storages", total);
        String what = "storage '" + key + "'";
        if (lazy
            && e.getMethod() == ZipEntry.STORED
            && e.getSize() >= need
            && need <= Integer.MAX_VALUE - 8) {
          sources.put(key, new EntrySource(file, name, need));
        } else {
          storages.put(key, readEntry(file, zip, e, need, limits.maxTensorBytes(), what));
        }
      }
      return TorchCheckpoint.assemble(file, selected, storages, sources, order);
    } catch (IOException e) { // from close()
      throw new CheckpointFormatException(file, "cannot read zip archive: " + e, e);
    }
  }

  /** A stored entry's first {@code bytes} bytes, read from the archive anew on each open. */
  private record EntrySource(Path file, String name, long bytes)
      implements TorchTensor.StorageSource {
    @Override
    public InputStream open() {
      ZipFile zip = zipCall(file, "open", () -> new ZipFile(file.toFile()));
      try {
        ZipEntry e = zipCall(file, "find entry", () -> zip.getEntry(name));
        if (e == null || e.getMethod() != ZipEntry.STORED || e.getSize() < bytes) {
          throw new CheckpointFormatException(
              file, "zip entry '" + name + "' changed since the archive was read");
        }
        InputStream in = zipCall(file, "open entry '" + name + "'", () -> zip.getInputStream(e));
        return new FilterInputStream(in) {
          @Override
          public void close() throws IOException {
            try {
              super.close();
            } finally {
              zip.close();
            }
          }
        };
      } catch (RuntimeException ex) {
        try {
          zip.close();
        } catch (IOException suppressed) {
          ex.addSuppressed(suppressed);
        }
        throw ex;
      }
    }

    @Override
    public long byteCount() {
      return bytes;
    }
  }

  /** The single top-level folder that holds {@code data.pkl}, with a trailing slash. */
  private static String findPrefix(Path file, ZipFile zip) {
    List<String> prefixes = new ArrayList<>();
    Enumeration<? extends ZipEntry> entries = zipCall(file, "list", zip::entries);
    while (zipCall(file, "list", entries::hasMoreElements)) {
      String name = zipCall(file, "list", entries::nextElement).getName();
      checkName(file, name);
      int slash = name.indexOf('/');
      if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
        prefixes.add(name.substring(0, slash + 1));
      }
    }
    if (prefixes.size() != 1) {
      throw new CheckpointFormatException(
          file,
          prefixes.isEmpty()
              ? "zip archive has no '<name>/data.pkl' entry: not a torch.save file"
              : "zip archive has " + prefixes.size() + " '<name>/data.pkl' entries");
    }
    return prefixes.get(0);
  }

  /** Refuses names that would leave the archive if they were ever extracted. */
  private static void checkName(Path file, String name) {
    boolean bad = name.startsWith("/") || name.startsWith("\\") || name.indexOf('\0') >= 0;
    for (String segment : name.split("[/\\\\]")) {
      bad |= segment.equals("..");
    }
    if (bad) {
      throw new CheckpointFormatException(
          file,
          "zip entry name '" + Unpickler.shorten(name) + "' leaves the archive ('..' or '/')");
    }
  }

  private static ZipEntry entry(Path file, ZipFile zip, String name) {
    ZipEntry e = zipCall(file, "find entry", () -> zip.getEntry(name));
    if (e == null) {
      throw new CheckpointFormatException(file, "zip entry '" + name + "' is missing");
    }
    return e;
  }

  private static ByteOrder byteOrder(Path file, ZipFile zip, String prefix) {
    ZipEntry e = zipCall(file, "find entry", () -> zip.getEntry(prefix + "byteorder"));
    if (e == null) {
      return ByteOrder.LITTLE_ENDIAN;
    }
    String s =
        new String(readEntry(file, zip, e, -1, 16, "byteorder"), StandardCharsets.US_ASCII).trim();
    if (s.equals("little")) {
      return ByteOrder.LITTLE_ENDIAN;
    } else if (s.equals("big")) {
      return ByteOrder.BIG_ENDIAN;
    }
    throw new CheckpointFormatException(
        file, "zip entry '" + prefix + "byteorder' says '" + Unpickler.shorten(s) + "'");
  }

  /**
   * The first {@code need} bytes of an entry ({@code need < 0}: all of it), after checking the
   * entry's declared size against {@code max}, against {@code need}, and (when deflated) against
   * what its compressed size can expand to.
   */
  private static byte[] readEntry(
      Path file, ZipFile zip, ZipEntry e, long need, long max, String what) {
    String name = e.getName();
    long size = e.getSize();
    long csize = e.getCompressedSize();
    if (size < 0 || csize < 0) {
      throw new CheckpointFormatException(file, "zip entry '" + name + "' declares no size");
    }
    long fileSize = file.toFile().length();
    if (csize > fileSize) {
      throw new CheckpointFormatException(
          file,
          "zip entry '"
              + name
              + "' declares "
              + csize
              + " compressed bytes, more than the "
              + fileSize
              + " of the file");
    }
    if (e.getMethod() == ZipEntry.DEFLATED && size > csize * MAX_DEFLATE_RATIO + 1024) {
      throw new CheckpointFormatException(
          file,
          "zip bomb: entry '"
              + name
              + "' declares "
              + size
              + " bytes from "
              + csize
              + " compressed bytes");
    }
    if (e.getMethod() == ZipEntry.STORED && size != csize) {
      throw new CheckpointFormatException(
          file,
          "zip entry '"
              + name
              + "' is stored but declares "
              + size
              + " bytes and "
              + csize
              + " compressed");
    }
    long n = need < 0 ? size : need;
    if (n > size) {
      throw new CheckpointFormatException(
          file,
          "truncated: " + what + " needs " + n + " bytes, zip entry '" + name + "' holds " + size);
    }
    if (n > max || n > Integer.MAX_VALUE - 8) {
      throw new CheckpointFormatException(
          file,
          what
              + " (zip entry '"
              + name
              + "') of "
              + n
              + " bytes exceeds the limit of "
              + Math.min(max, Integer.MAX_VALUE - 8)
              + " bytes");
    }
    try (InputStream in = zipCall(file, "open entry '" + name + "'", () -> zip.getInputStream(e))) {
      if (in == null) {
        throw new CheckpointFormatException(file, "zip entry '" + name + "' is missing");
      }
      byte[] out;
      int got;
      if (e.getMethod() == ZipEntry.STORED) {
        // A stored entry's size was checked against the file's: allocate once and read into it
        // (readNBytes(n) would gather chunks and copy them, holding twice the bytes at its peak).
        out = new byte[(int) n];
        got = zipCall(file, "read entry '" + name + "'", () -> in.readNBytes(out, 0, (int) n));
      } else { // a deflated entry's declared size may lie: grow with the bytes actually inflated
        byte[] read = zipCall(file, "read entry '" + name + "'", () -> in.readNBytes((int) n));
        out = read;
        got = read.length;
      }
      if (got != n) {
        throw new CheckpointFormatException(
            file,
            "truncated: " + what + " needs " + n + " bytes, zip entry '" + name + "' gave " + got);
      }
      return out;
    } catch (IOException ex) { // from close()
      throw new CheckpointFormatException(file, "cannot read zip entry '" + name + "': " + ex, ex);
    }
  }

  /** Runs a java.util.zip call; its exceptions (I/O or malformed archive) name the file. */
  private static <T> T zipCall(Path file, String what, ZipCall<T> call) {
    try {
      return call.call();
    } catch (IOException | RuntimeException e) {
      if (e instanceof CheckpointFormatException) {
        throw (CheckpointFormatException) e;
      }
      throw new CheckpointFormatException(
          file, "not a readable zip archive (" + what + "): " + e, e);
    }
  }
}
