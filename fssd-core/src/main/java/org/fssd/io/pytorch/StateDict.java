package org.fssd.io.pytorch;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.Map;

/**
 * SPEC §12: the tensors of a PyTorch state_dict, by key, in the order of the file.
 *
 * <p>As {@link TorchCheckpoint} builds it: when every key starts with {@code "module."} (a model
 * saved from {@code DataParallel}), that prefix is removed from every key; when only some keys
 * carry it, no key is changed. Entries whose value is not a tensor (such as {@code _metadata} or a
 * number) are not included.
 *
 * <p>Immutable and thread-safe.
 */
public final class StateDict {
  /** The prefix that {@code torch.nn.DataParallel} puts before every key. */
  public static final String MODULE_PREFIX = "module.";

  private final String file;
  private final ImmutableMap<String, TorchTensor> tensors;
  private final boolean modulePrefixStripped;

  StateDict(String file, ImmutableMap<String, TorchTensor> tensors, boolean modulePrefixStripped) {
    this.file = file;
    this.tensors = tensors;
    this.modulePrefixStripped = modulePrefixStripped;
  }

  /** The keys, in file order. */
  public ImmutableList<String> keys() {
    return tensors.keySet().asList();
  }

  /**
   * The tensor of {@code key}.
   *
   * @throws CheckpointFormatException naming the file and key when there is none
   */
  public TorchTensor get(String key) {
    TorchTensor t = tensors.get(key);
    if (t == null) {
      throw new CheckpointFormatException(
          file,
          "no tensor '"
              + key
              + "' in the state_dict ("
              + tensors.size()
              + " keys"
              + (tensors.isEmpty() ? "" : ", e.g. '" + tensors.keySet().iterator().next() + "'")
              + ")");
    }
    return t;
  }

  /** Whether there is a tensor for {@code key}. */
  public boolean contains(String key) {
    return tensors.containsKey(key);
  }

  /** The number of tensors. */
  public int size() {
    return tensors.size();
  }

  /** All tensors by key, in file order (immutable). */
  public Map<String, TorchTensor> asMap() {
    return tensors;
  }

  /** Whether a {@code "module."} prefix was removed from every key. */
  public boolean modulePrefixStripped() {
    return modulePrefixStripped;
  }

  /** The file it was read from. */
  public String file() {
    return file;
  }

  @Override
  public String toString() {
    return "StateDict[" + file + ", " + tensors.size() + " tensors]";
  }
}
