package org.fssd.io.pytorch;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableMap;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC §12: reads the tensors of a PyTorch {@code torch.save} file — a state_dict, or a training
 * checkpoint dict that holds one under {@code "state_dict"} or {@code "model"} — without running
 * any of it. Entry point of {@code org.fssd.io.pytorch}.
 *
 * <p>Both formats are read, recognised by content (never by file name): the zip format of PyTorch
 * 1.6 and later ({@code <name>/data.pkl} plus raw storages {@code <name>/data/<key>}), and the
 * legacy stream of pickles of PyTorch 0.4 to 1.5 (and {@code
 * _use_new_zipfile_serialization=False}).
 *
 * <p>A checkpoint is untrusted input. The pickles are interpreted by a small allow-listed virtual
 * machine: a global other than {@code collections.OrderedDict}, {@code
 * torch._utils._rebuild_tensor_v2}, {@code torch._utils._rebuild_parameter} and the {@code
 * torch.*Storage} classes is refused as soon as it is read, and nothing is ever called. Every
 * length in the file is checked against the bytes that remain before memory is allocated, and
 * {@link ReaderLimits} bound the rest. Whatever the file holds, {@code read} either returns or
 * throws {@link CheckpointFormatException} whose message starts with the file path.
 *
 * <p>Only the storages that the state_dict's tensors use are read (an optimizer's are skipped).
 * Thread-safe: no shared state; each call opens and closes its own file.
 */
public final class TorchCheckpoint {
  private static final Logger LOG = LoggerFactory.getLogger(TorchCheckpoint.class);
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private TorchCheckpoint() {}

  /** The two file formats of {@code torch.save}. */
  enum Format {
    ZIP,
    LEGACY
  }

  /**
   * Reads the state_dict of {@code file} with {@link ReaderLimits#defaults()}.
   *
   * @throws CheckpointFormatException if the file is missing, unreadable, not a {@code torch.save}
   *     file, truncated, corrupt, refers to a forbidden global, or exceeds a limit
   */
  public static StateDict read(Path file) {
    return read(file, ReaderLimits.defaults());
  }

  /**
   * Reads the state_dict of {@code file} within {@code limits}.
   *
   * @throws CheckpointFormatException if the file is missing, unreadable, not a {@code torch.save}
   *     file, truncated, corrupt, refers to a forbidden global, or exceeds a limit
   */
  public static StateDict read(Path file, ReaderLimits limits) {
    checkNotNull(file, "file");
    checkNotNull(limits, "limits");
    Format format = detect(file);
    StateDict sd =
        format == Format.ZIP ? ZipReader.read(file, limits) : LegacyReader.read(file, limits);
    LOG.debug(
        "read {} tensors from {} ({} format{})",
        sd.size(),
        file,
        format,
        sd.modulePrefixStripped() ? ", 'module.' prefix removed" : "");
    return sd;
  }

  /**
   * {@link #read(Path)} for a caller that reads each tensor once, in turn (an importer): the
   * storages of a zip checkpoint stay in the file and are read when a tensor's values are asked
   * for, so the whole checkpoint is never in memory at once. Everything but the storage bytes is
   * checked now; a storage that turns out unreadable later throws {@link CheckpointFormatException}
   * from the tensor's accessor. Legacy files are read eagerly.
   */
  static StateDict readLazily(Path file) {
    checkNotNull(file, "file");
    ReaderLimits limits = ReaderLimits.defaults();
    return detect(file) == Format.ZIP
        ? ZipReader.read(file, limits, true)
        : LegacyReader.read(file, limits);
  }

  /** The format of {@code file}, from its first bytes. */
  static Format detect(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new CheckpointFormatException(file, "not a readable file");
    }
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(512);
    } catch (IOException e) {
      throw new CheckpointFormatException(file, "cannot read: " + e, e);
    }
    if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
      return Format.ZIP;
    }
    if (head.length >= 2 && (head[0] & 0xff) == 0x80) {
      return Format.LEGACY;
    }
    if (head.length >= 262
        && new String(head, 257, 5, java.nio.charset.StandardCharsets.ISO_8859_1).equals("ustar")) {
      throw new CheckpointFormatException(
          file, "a tar archive: the tar format of PyTorch < 0.4 is not read; re-save it");
    }
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(4, head.length); i++) {
      hex.append(String.format(" %02x", head[i] & 0xff));
    }
    throw new CheckpointFormatException(
        file,
        "not a PyTorch checkpoint: "
            + (head.length == 0 ? "the file is empty" : "it starts with" + hex)
            + " (expected a zip archive 'PK\\3\\4' or a pickle 0x80)");
  }

  // ---- shared by the two formats ------------------------------------------------------

  /** The tensors of a state_dict as the pickle describes them, before their data is read. */
  record Selected(LinkedHashMap<String, TensorRef> tensors, boolean stripped) {
    /** Storage keys used, in first-use order. */
    List<String> storageKeys() {
      List<String> keys = new ArrayList<>();
      for (TensorRef t : tensors.values()) {
        if (!keys.contains(t.storage.key)) {
          keys.add(t.storage.key);
        }
      }
      return keys;
    }
  }

  /**
   * Picks the state_dict out of the unpickled top-level object, keeps its tensors, removes a {@code
   * module.} prefix carried by every key, and checks {@link ReaderLimits#maxTensorBytes()} against
   * the tensors' logical size.
   */
  static Selected select(Path file, Object top, ReaderLimits limits) {
    if (!(top instanceof Map)) {
      throw new CheckpointFormatException(
          file, "the pickled object is a " + Unpickler.typeName(top) + ", not a dict");
    }
    Map<?, ?> dict = (Map<?, ?>) top;
    String from = "the top-level dict";
    for (String wrapper : List.of("state_dict", "model")) {
      Object inner = dict.get(wrapper);
      if (inner instanceof Map) {
        dict = (Map<?, ?>) inner;
        from = "'" + wrapper + "'";
        break;
      }
    }
    LinkedHashMap<String, TensorRef> tensors = new LinkedHashMap<>();
    boolean allPrefixed = true;
    long logicalBytes = 0;
    for (Map.Entry<?, ?> e : dict.entrySet()) {
      if (!(e.getValue() instanceof TensorRef)) {
        continue;
      }
      if (!(e.getKey() instanceof String)) {
        throw new CheckpointFormatException(
            file, "a tensor of " + from + " has a key of type " + Unpickler.typeName(e.getKey()));
      }
      String key = (String) e.getKey();
      TensorRef t = (TensorRef) e.getValue();
      if (t.numel > MAX_ARRAY) {
        throw new CheckpointFormatException(
            file,
            "tensor '"
                + Unpickler.shorten(key)
                + "' has "
                + t.numel
                + " elements, more than a Java array holds");
      }
      logicalBytes += t.numel * t.storage.dtype.elementSize(); // < 2^31 * 8 per tensor
      limits.checkTensorBytes(file, "the tensors", logicalBytes);
      allPrefixed &= key.startsWith(StateDict.MODULE_PREFIX);
      tensors.put(key, t);
    }
    if (tensors.isEmpty()) {
      throw new CheckpointFormatException(
          file, "no tensors in " + from + " (keys: " + describeKeys(dict) + ")");
    }
    if (!allPrefixed) {
      return new Selected(tensors, false);
    }
    LinkedHashMap<String, TensorRef> stripped = new LinkedHashMap<>();
    tensors.forEach((k, v) -> stripped.put(k.substring(StateDict.MODULE_PREFIX.length()), v));
    return new Selected(stripped, true);
  }

  /** Builds the state dict once the storages' bytes are known. */
  static StateDict assemble(
      Path file, Selected selected, Map<String, byte[]> storages, ByteOrder order) {
    return assemble(file, selected, storages, Map.of(), order);
  }

  /** {@link #assemble} where the storages of {@code lazy} are read when their tensors are. */
  static StateDict assemble(
      Path file,
      Selected selected,
      Map<String, byte[]> storages,
      Map<String, TorchTensor.StorageSource> lazy,
      ByteOrder order) {
    ImmutableMap.Builder<String, TorchTensor> b = ImmutableMap.builder();
    for (Map.Entry<String, TensorRef> e : selected.tensors().entrySet()) {
      TensorRef t = e.getValue();
      StorageRef s = t.storage;
      byte[] data = storages.get(s.key);
      TorchTensor.StorageSource source = lazy.get(s.key);
      long bytes = data != null ? data.length : source != null ? source.byteCount() : -1;
      if (bytes < 0 || bytes / s.dtype.elementSize() < s.elementOffset + s.numel) {
        throw new CheckpointFormatException(
            file, "storage '" + s.key + "' of tensor '" + e.getKey() + "' is too short");
      }
      b.put(
          e.getKey(),
          new TorchTensor(
              file.toString(),
              e.getKey(),
              s.dtype,
              t.shape,
              t.stride,
              s.elementOffset + t.offset,
              t.numel,
              data,
              source,
              order));
    }
    return new StateDict(file.toString(), b.build(), selected.stripped());
  }

  private static String describeKeys(Map<?, ?> dict) {
    StringBuilder sb = new StringBuilder("[");
    int n = 0;
    for (Object k : dict.keySet()) {
      if (n > 0) {
        sb.append(", ");
      }
      if (n++ == 10) {
        sb.append("...");
        break;
      }
      sb.append(
          k instanceof String ? "'" + Unpickler.shorten((String) k) + "'" : Unpickler.typeName(k));
    }
    return sb.append(']').toString();
  }
}
