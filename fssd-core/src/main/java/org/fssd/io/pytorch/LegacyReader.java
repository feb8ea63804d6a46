package org.fssd.io.pytorch;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The legacy format of {@code torch.save} (PyTorch 0.4 to 1.5, and {@code
 * _use_new_zipfile_serialization=False}): five pickles in a row — the magic number {@code
 * 0x1950a86a20f9469cfc6c}, the protocol version 1001, a system-info dict, the object, the list of
 * storage keys — then, for each key in that list's order, the storage's element count as a
 * little-endian int64 and its raw little-endian bytes. Read in one pass.
 */
final class LegacyReader {
  static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
  static final long PROTOCOL_VERSION = 1001;

  private LegacyReader() {}

  static StateDict read(Path file, ReaderLimits limits) {
    try (InputStream raw = Files.newInputStream(file);
        InputStream buffered = new BufferedInputStream(raw, 1 << 16)) {
      BoundedInput in = new BoundedInput(file, buffered, Files.size(file));
      Object magic = pickle(file, "magic number pickle", in, limits, Unpickler.NO_PERSISTENT_IDS);
      if (!(magic instanceof Long || magic instanceof BigInteger)
          || !MAGIC.equals(magic instanceof Long ? BigInteger.valueOf((Long) magic) : magic)) {
        throw new CheckpointFormatException(
            file,
            "wrong magic number "
                + describe(magic)
                + " (expected 0x"
                + MAGIC.toString(16)
                + "): not a legacy torch.save file");
      }
      Object version =
          pickle(file, "protocol version pickle", in, limits, Unpickler.NO_PERSISTENT_IDS);
      if (!(version instanceof Long) || (Long) version != PROTOCOL_VERSION) {
        throw new CheckpointFormatException(
            file,
            "unsupported legacy protocol version "
                + describe(version)
                + " (expected "
                + PROTOCOL_VERSION
                + ")");
      }
      Object sysInfo = pickle(file, "system info pickle", in, limits, Unpickler.NO_PERSISTENT_IDS);
      if (!(sysInfo instanceof Map)) {
        throw new CheckpointFormatException(
            file, "system info is a " + Unpickler.typeName(sysInfo) + ", not a dict");
      }
      // Storages are always written little-endian, whatever sys_info['little_endian'] says.
      StorageRegistry registry = new StorageRegistry(file);
      Object top = pickle(file, "object pickle", in, limits, registry);
      TorchCheckpoint.Selected selected = TorchCheckpoint.select(file, top, limits);
      Object keyList =
          pickle(file, "storage key list pickle", in, limits, Unpickler.NO_PERSISTENT_IDS);
      Map<String, byte[]> storages = readStorages(file, in, keyList, registry, selected, limits);
      return TorchCheckpoint.assemble(file, selected, storages, ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new CheckpointFormatException(file, "cannot read: " + e, e);
    }
  }

  private static Object pickle(
      Path file,
      String name,
      BoundedInput in,
      ReaderLimits limits,
      Unpickler.PersistentLoader loader) {
    if (in.remaining() == 0) {
      throw new CheckpointFormatException(
          file, "truncated: the file ends before the " + name + " at offset " + in.position());
    }
    return new Unpickler(file, name, in, limits, loader).load();
  }

  private static Map<String, byte[]> readStorages(
      Path file,
      BoundedInput in,
      Object keyList,
      StorageRegistry registry,
      TorchCheckpoint.Selected selected,
      ReaderLimits limits) {
    if (!(keyList instanceof List)) {
      throw new CheckpointFormatException(
          file, "storage key list is a " + Unpickler.typeName(keyList) + ", not a list");
    }
    Set<String> needed = new HashSet<>(selected.storageKeys());
    Set<String> seen = new HashSet<>();
    Map<String, byte[]> out = new LinkedHashMap<>();
    long total = 0;
    for (Object k : (List<?>) keyList) {
      if (!(k instanceof String)) {
        throw new CheckpointFormatException(
            file, "storage key list holds a " + Unpickler.typeName(k) + ", not a str");
      }
      String key = (String) k;
      String what = "storage '" + Unpickler.shorten(key) + "'";
      if (!seen.add(key)) {
        throw new CheckpointFormatException(file, what + " is listed twice");
      }
      StorageRegistry.Declared d = registry.declared(key);
      if (d == null) {
        throw new CheckpointFormatException(file, what + " is listed but no tensor uses it");
      }
      long count = in.readLongLe("element count of " + what);
      int size = d.dtype().elementSize();
      if (count < 0 || count > Long.MAX_VALUE / size) {
        throw new CheckpointFormatException(
            file,
            what
                + " has an invalid element count "
                + count
                + " (at offset "
                + (in.position() - 8)
                + ")");
      }
      long bytes = count * size;
      in.require(bytes, what);
      if (count != d.numel()) {
        throw new CheckpointFormatException(
            file,
            what
                + " holds "
                + count
                + " elements but its tensors declare "
                + d.numel()
                + " (at offset "
                + (in.position() - 8)
                + ")");
      }
      if (needed.contains(key)) {
        total += bytes;
        limits.checkTensorBytes(file, "storages", total);
        out.put(key, in.readBytes(bytes, what));
      } else {
        in.skip(bytes, what);
      }
    }
    for (String key : needed) {
      if (!out.containsKey(key)) {
        throw new CheckpointFormatException(
            file, "storage '" + Unpickler.shorten(key) + "' is not in the file's storage list");
      }
    }
    return out;
  }

  private static String describe(Object v) {
    if (v instanceof Long || v instanceof BigInteger) {
      BigInteger b = v instanceof Long ? BigInteger.valueOf((Long) v) : (BigInteger) v;
      return b.signum() >= 0 && b.bitLength() > 16 ? "0x" + b.toString(16) : b.toString();
    }
    return "of type " + Unpickler.typeName(v);
  }
}
