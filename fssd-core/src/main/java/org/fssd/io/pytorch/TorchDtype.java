package org.fssd.io.pytorch;

import com.google.common.collect.ImmutableMap;
import java.util.Optional;

/**
 * Element type of a {@link TorchTensor}, named after the {@code torch.*Storage} class that the
 * checkpoint's pickle refers to (for example {@code torch.FloatStorage} is {@link #FLOAT32}).
 */
public enum TorchDtype {
  /** {@code torch.float32}, {@code torch.FloatStorage}. */
  FLOAT32("FloatStorage", 4, true),
  /** {@code torch.float64}, {@code torch.DoubleStorage}. */
  FLOAT64("DoubleStorage", 8, true),
  /** {@code torch.float16}, {@code torch.HalfStorage}. */
  FLOAT16("HalfStorage", 2, true),
  /** {@code torch.bfloat16}, {@code torch.BFloat16Storage}. */
  BFLOAT16("BFloat16Storage", 2, true),
  /** {@code torch.int64}, {@code torch.LongStorage}. */
  INT64("LongStorage", 8, false),
  /** {@code torch.int32}, {@code torch.IntStorage}. */
  INT32("IntStorage", 4, false),
  /** {@code torch.int16}, {@code torch.ShortStorage}. */
  INT16("ShortStorage", 2, false),
  /** {@code torch.int8}, {@code torch.CharStorage}. */
  INT8("CharStorage", 1, false),
  /** {@code torch.uint8}, {@code torch.ByteStorage}. */
  UINT8("ByteStorage", 1, false),
  /** {@code torch.bool}, {@code torch.BoolStorage}. */
  BOOL("BoolStorage", 1, false);

  private static final ImmutableMap<String, TorchDtype> BY_STORAGE;

  static {
    ImmutableMap.Builder<String, TorchDtype> b = ImmutableMap.builder();
    for (TorchDtype t : values()) {
      b.put(t.storageClass, t);
    }
    BY_STORAGE = b.build();
  }

  private final String storageClass;
  private final int elementSize;
  private final boolean floatingPoint;

  TorchDtype(String storageClass, int elementSize, boolean floatingPoint) {
    this.storageClass = storageClass;
    this.elementSize = elementSize;
    this.floatingPoint = floatingPoint;
  }

  /** Bytes per element. */
  public int elementSize() {
    return elementSize;
  }

  /** Whether this is a floating-point type (readable with {@link TorchTensor#toFloatArray()}). */
  public boolean isFloatingPoint() {
    return floatingPoint;
  }

  /** The name of the storage class in module {@code torch}, e.g. {@code "FloatStorage"}. */
  public String storageClass() {
    return storageClass;
  }

  /** The dtype of the storage class {@code torch.<name>}, if it is one of these. */
  static Optional<TorchDtype> ofStorageClass(String name) {
    return Optional.ofNullable(BY_STORAGE.get(name));
  }
}
