package org.fssd.io.pytorch;

/**
 * What a persistent id {@code ('storage', torch.<T>Storage, key, location, numel[, view])} names:
 * {@code numel} elements of type {@code dtype} starting at element {@code elementOffset} of the
 * storage {@code key}. The bytes are read after the pickle, and only for storages that the
 * state_dict uses.
 */
final class StorageRef {
  final String key;
  final TorchDtype dtype;
  final long elementOffset;
  final long numel;

  StorageRef(String key, TorchDtype dtype, long elementOffset, long numel) {
    this.key = key;
    this.dtype = dtype;
    this.elementOffset = elementOffset;
    this.numel = numel;
  }
}
