package org.fssd.io.pytorch;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Resolves the persistent ids of a checkpoint pickle, {@code ('storage', torch.<T>Storage, key,
 * location, numel[, view])}, into {@link StorageRef}s, and remembers what each storage key was
 * declared as (its dtype and element count) so that the data read later can be checked against it.
 * A key declared twice must agree. The location ({@code 'cpu'}, {@code 'cuda:0'}) is ignored: every
 * tensor is read to the heap. Not thread-safe.
 */
final class StorageRegistry implements Unpickler.PersistentLoader {
  /** A storage as its persistent id declares it. */
  record Declared(TorchDtype dtype, long numel) {
    long byteCount() {
      return numel * dtype.elementSize(); // checked not to overflow when declared
    }
  }

  private static final int MAX_KEY_LENGTH = 256;

  private final Path file;
  private final Map<String, Declared> declared = new LinkedHashMap<>();

  StorageRegistry(Path file) {
    this.file = file;
  }

  /** What storage {@code key} was declared as, or null if no persistent id named it. */
  @Nullable Declared declared(String key) {
    return declared.get(key);
  }

  @Override
  public Object load(Object pid, String where) {
    if (!(pid instanceof Unpickler.Tuple)) {
      throw fail(where, "persistent id is a " + Unpickler.typeName(pid) + ", not a tuple");
    }
    Unpickler.Tuple t = (Unpickler.Tuple) pid;
    if (t.size() < 1 || !"storage".equals(t.get(0))) {
      throw fail(where, "persistent id is not a ('storage', ...) tuple");
    }
    if (t.size() != 5 && t.size() != 6) {
      throw fail(where, "storage persistent id has " + t.size() + " items (5 or 6 expected)");
    }
    TorchDtype dtype = storageType(t.get(1), where);
    String key = key(t.get(2), where);
    if (!(t.get(3) instanceof String)) {
      throw fail(where, "storage location is a " + Unpickler.typeName(t.get(3)));
    }
    long numel = TensorRef.nonNegative(t.get(4), "storage size", p -> fail(where, p));
    if (numel > Long.MAX_VALUE / dtype.elementSize()) {
      throw fail(where, "storage '" + key + "' size " + numel + " overflows");
    }
    Declared d = new Declared(dtype, numel);
    Declared before = declared.putIfAbsent(key, d);
    if (before != null && !before.equals(d)) {
      throw fail(
          where,
          "storage '"
              + key
              + "' declared as "
              + before.numel
              + " x "
              + before.dtype
              + " and as "
              + numel
              + " x "
              + dtype);
    }
    Object view = t.size() == 6 ? t.get(5) : Unpickler.NONE;
    if (view == Unpickler.NONE) {
      return new StorageRef(key, dtype, 0, numel);
    }
    // Old (PyTorch < 1.0) storage views: (view_key, offset, size) in elements of the root.
    if (!(view instanceof Unpickler.Tuple) || ((Unpickler.Tuple) view).size() != 3) {
      throw fail(where, "storage view is a " + Unpickler.typeName(view) + ", not a 3-tuple");
    }
    Unpickler.Tuple v = (Unpickler.Tuple) view;
    long offset = TensorRef.nonNegative(v.get(1), "storage view offset", p -> fail(where, p));
    long size = TensorRef.nonNegative(v.get(2), "storage view size", p -> fail(where, p));
    if (offset > numel || size > numel - offset) {
      throw fail(
          where,
          "storage view (offset "
              + offset
              + ", size "
              + size
              + ") exceeds storage '"
              + key
              + "' of "
              + numel
              + " elements");
    }
    return new StorageRef(key, dtype, offset, size);
  }

  private TorchDtype storageType(Object g, String where) {
    if (g instanceof Unpickler.Global && "torch".equals(((Unpickler.Global) g).module())) {
      var t = TorchDtype.ofStorageClass(((Unpickler.Global) g).name());
      if (t.isPresent()) {
        return t.get();
      }
    }
    throw fail(where, "storage type is a " + Unpickler.typeName(g) + ", not a torch storage class");
  }

  /** Keys are short printable names: they become zip entry names, never file paths. */
  private String key(Object k, String where) {
    if (!(k instanceof String)) {
      throw fail(where, "storage key is a " + Unpickler.typeName(k) + ", not a str");
    }
    String s = (String) k;
    boolean ok = !s.isEmpty() && s.length() <= MAX_KEY_LENGTH && !s.equals(".") && !s.equals("..");
    for (int i = 0; ok && i < s.length(); i++) {
      char c = s.charAt(i);
      ok = c > 0x20 && c < 0x7f && c != '/' && c != '\\';
    }
    if (!ok) {
      throw fail(where, "storage key '" + Unpickler.shorten(s) + "' is not a plain name");
    }
    return s;
  }

  private CheckpointFormatException fail(String where, String problem) {
    return new CheckpointFormatException(file, where + ": " + problem);
  }
}
