package org.fssd.io.pytorch;

import java.util.function.Function;

/**
 * A tensor as {@code torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
 * requires_grad, backward_hooks[, metadata])} describes it, validated against the storage's
 * declared element count: offsets and sizes are non-negative, the element count does not overflow,
 * and every element lies inside the storage.
 */
final class TensorRef {
  /** Most dimensions of a tensor. */
  static final int MAX_DIMS = 64;

  final StorageRef storage;

  /** Offset of element [0, ..., 0] within {@code storage}, in elements. */
  final long offset;

  final long[] shape;
  final long[] stride;
  final long numel;

  private TensorRef(StorageRef storage, long offset, long[] shape, long[] stride, long numel) {
    this.storage = storage;
    this.offset = offset;
    this.shape = shape;
    this.stride = stride;
    this.numel = numel;
  }

  /** Validates the arguments of {@code _rebuild_tensor_v2}; {@code fail} makes the exception. */
  static TensorRef rebuild(Unpickler.Tuple args, Function<String, CheckpointFormatException> fail) {
    if (args.size() != 6 && args.size() != 7) {
      throw fail.apply("_rebuild_tensor_v2 with " + args.size() + " arguments (6 or 7 expected)");
    }
    if (!(args.get(0) instanceof StorageRef)) {
      throw fail.apply(
          "_rebuild_tensor_v2 storage is a " + Unpickler.typeName(args.get(0)) + ", not a storage");
    }
    StorageRef storage = (StorageRef) args.get(0);
    long offset = nonNegative(args.get(1), "storage offset", fail);
    long[] shape = dims(args.get(2), "size", fail);
    long[] stride = dims(args.get(3), "stride", fail);
    if (shape.length != stride.length) {
      throw fail.apply(
          "tensor size has " + shape.length + " dimensions but stride has " + stride.length);
    }
    long numel = 1;
    long last = offset; // index of the last element
    try {
      for (int d = 0; d < shape.length; d++) {
        numel = Math.multiplyExact(numel, shape[d]);
      }
      if (numel > 0) {
        for (int d = 0; d < shape.length; d++) {
          last = Math.addExact(last, Math.multiplyExact(shape[d] - 1, stride[d]));
        }
      }
    } catch (ArithmeticException e) {
      throw fail.apply("tensor size or extent overflows a 64-bit integer");
    }
    if (numel > 0 && last >= storage.numel) {
      throw fail.apply(
          "tensor view (offset "
              + offset
              + ", last element "
              + last
              + ") exceeds storage '"
              + Unpickler.shorten(storage.key)
              + "' of "
              + storage.numel
              + " elements");
    }
    return new TensorRef(storage, offset, shape, stride, numel);
  }

  private static long[] dims(
      Object v, String what, Function<String, CheckpointFormatException> fail) {
    if (!(v instanceof Unpickler.Tuple)) {
      throw fail.apply("tensor " + what + " is a " + Unpickler.typeName(v) + ", not a tuple");
    }
    Unpickler.Tuple t = (Unpickler.Tuple) v;
    if (t.size() > MAX_DIMS) {
      throw fail.apply(
          "tensor " + what + " has " + t.size() + " dimensions (most " + MAX_DIMS + ")");
    }
    long[] out = new long[t.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = nonNegative(t.get(i), what + "[" + i + "]", fail);
    }
    return out;
  }

  static long nonNegative(Object v, String what, Function<String, CheckpointFormatException> fail) {
    if (!(v instanceof Long)) {
      throw fail.apply(what + " is a " + Unpickler.typeName(v) + ", not a 64-bit int");
    }
    long x = (Long) v;
    if (x < 0) {
      throw fail.apply(what + " is negative: " + x);
    }
    return x;
  }
}
