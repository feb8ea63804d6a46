package org.fssd.io.pytorch;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static org.fssd.Checks.atLeast;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * SPEC §12: one tensor of a PyTorch state_dict, as read by {@link TorchCheckpoint}: a dtype, a
 * shape, and a strided view (offset and strides, in elements) into a storage that it may share with
 * other tensors of the same checkpoint.
 *
 * <p>The {@code to*Array()} methods return a fresh array of {@link #numel()} values in C order
 * (row-major, last index fastest), whatever the view's strides (transposed, sliced, zero-stride
 * expanded) — exactly what {@code tensor.contiguous().flatten()} holds in PyTorch. A 0-d tensor has
 * shape {@code []} and one value; an empty tensor has no values.
 *
 * <p>Immutable and thread-safe: the storage bytes are never exposed or modified.
 */
public final class TorchTensor {
  private final String file;
  private final String key;
  private final TorchDtype dtype;
  private final long[] shape;
  private final long[] stride;
  private final long offset;
  private final int numel;
  private final @Nullable ByteBuffer data; // null when read lazily from source
  private final @Nullable StorageSource source;
  private final ByteOrder order;

  /** Where the storage bytes of a lazily read tensor come from (each call reads them anew). */
  interface StorageSource {
    /** The storage's bytes from its first one; the caller closes the stream. */
    InputStream open();

    /** Bytes the storage holds (checked against what the tensor needs when it was made). */
    long byteCount();
  }

  /**
   * One constructor serves both kinds of tensor, so the view's checks and copies stand once.
   *
   * @param offset element offset of element [0, ..., 0] in the storage
   * @param data the whole storage, held in memory; every element of the view was checked to lie
   *     inside it; null when the tensor is read lazily from {@code source}
   * @param source where a lazily read tensor's storage comes from each time its values are asked
   *     for; ignored (and may be null) when {@code data} is given
   */
  TorchTensor(
      String file,
      String key,
      TorchDtype dtype,
      long[] shape,
      long[] stride,
      long offset,
      long numel,
      byte @Nullable [] data,
      @Nullable StorageSource source,
      ByteOrder order) {
    checkArgument(data != null || source != null, "tensor '%s' has neither bytes nor source", key);
    this.file = file;
    this.key = key;
    this.dtype = dtype;
    this.shape = shape.clone();
    this.stride = stride.clone();
    this.offset = offset;
    this.numel = Math.toIntExact(numel);
    this.data = data == null ? null : ByteBuffer.wrap(data).asReadOnlyBuffer().order(order);
    this.source = data == null ? source : null;
    this.order = order;
  }

  /** The whole storage: the bytes held, or (lazy) read now and dropped after use. */
  private ByteBuffer storage() {
    if (data != null) {
      return data;
    }
    StorageSource source = checkNotNull(this.source, "a tensor without bytes has a source");
    try (InputStream in = source.open()) {
      byte[] bytes = new byte[Math.toIntExact(source.byteCount())];
      if (in.readNBytes(bytes, 0, bytes.length) != bytes.length) {
        throw new CheckpointFormatException(
            file, "truncated: the storage of tensor '" + key + "' ends early");
      }
      return ByteBuffer.wrap(bytes).order(order);
    } catch (IOException e) {
      throw new CheckpointFormatException(
          file, "cannot read the storage of tensor '" + key + "': " + e, e);
    }
  }

  /** Whether the view covers its storage elements in C order, without gaps. */
  private boolean contiguous() {
    long expected = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      if (shape[d] != 1 && stride[d] != expected) {
        return false;
      }
      expected *= shape[d];
    }
    return true;
  }

  /** The element type. */
  public TorchDtype dtype() {
    return dtype;
  }

  /** The size of each dimension (a copy); {@code []} for a 0-d tensor. */
  public long[] shape() {
    return shape.clone();
  }

  /** The number of dimensions. */
  public int dim() {
    return shape.length;
  }

  /** The number of elements: the product of {@link #shape()}, 1 for a 0-d tensor. */
  public long numel() {
    return numel;
  }

  /**
   * The values as floats in C order. Reads {@link TorchDtype#FLOAT32}, {@link TorchDtype#FLOAT16}
   * and {@link TorchDtype#BFLOAT16} exactly and {@link TorchDtype#FLOAT64} rounded to nearest.
   *
   * @throws CheckpointFormatException for an integer or bool tensor, naming the key and dtype
   */
  public float[] toFloatArray() {
    requireFloating("toFloatArray()");
    ByteBuffer data = storage();
    float[] out = new float[numel];
    FloatAt at = floatAt();
    forEach((i, p) -> out[i] = at.get(data, p));
    return out;
  }

  /** Receives consecutive runs of a tensor's values; see {@link #readFloats}. */
  interface FloatChunkSink {
    /**
     * Values {@code [start, start + length)} of the tensor (C order) are {@code chunk[0, length)}.
     */
    void accept(long start, float[] chunk, int length);
  }

  /**
   * The values as floats in C order (as {@link #toFloatArray()}), handed to {@code sink} in runs of
   * at most {@code chunkSize} values through one reused buffer, so that a caller copying them into
   * memory of its own needs no array of the whole tensor.
   *
   * @throws CheckpointFormatException for an integer or bool tensor, naming the key and dtype
   */
  void readFloats(int chunkSize, FloatChunkSink sink) {
    requireFloating("readFloats()");
    atLeast("chunkSize", 1, chunkSize);
    float[] chunk = new float[Math.min(chunkSize, Math.max(1, numel))];
    if (data == null && contiguous()) {
      streamFloats(chunk, sink);
      return;
    }
    ByteBuffer data = storage();
    int[] fill = {0};
    long[] start = {0};
    FloatAt at = floatAt();
    forEach(
        (i, p) -> {
          chunk[fill[0]++] = at.get(data, p);
          if (fill[0] == chunk.length) {
            sink.accept(start[0], chunk, fill[0]);
            start[0] += fill[0];
            fill[0] = 0;
          }
        });
    if (fill[0] > 0) {
      sink.accept(start[0], chunk, fill[0]);
    }
  }

  /** {@link #readFloats} of a contiguous lazy tensor: straight from the stream, chunk by chunk. */
  private void streamFloats(float[] chunk, FloatChunkSink sink) {
    int size = dtype.elementSize();
    byte[] raw = new byte[chunk.length * size];
    ByteBuffer buf = ByteBuffer.wrap(raw).order(order);
    FloatAt at = floatAt();
    StorageSource source = checkNotNull(this.source, "a lazy tensor has a source");
    try (InputStream in = source.open()) {
      in.skipNBytes(offset * size);
      for (long start = 0; start < numel; ) {
        int n = (int) Math.min(chunk.length, numel - start);
        if (in.readNBytes(raw, 0, n * size) != n * size) {
          throw new CheckpointFormatException(
              file, "truncated: the storage of tensor '" + key + "' ends early");
        }
        for (int i = 0; i < n; i++) {
          chunk[i] = at.get(buf, i);
        }
        sink.accept(start, chunk, n);
        start += n;
      }
    } catch (java.io.EOFException e) {
      throw new CheckpointFormatException(
          file, "truncated: the storage of tensor '" + key + "' ends early", e);
    } catch (IOException e) {
      throw new CheckpointFormatException(
          file, "cannot read the storage of tensor '" + key + "': " + e, e);
    }
  }

  /** Reads element {@code p} (counted in elements from the buffer's start) as a float. */
  private interface FloatAt {
    float get(ByteBuffer b, int p);
  }

  /**
   * How this floating-point tensor's elements read as floats: FLOAT32, FLOAT16 and BFLOAT16
   * exactly, FLOAT64 rounded to nearest. One place for the conversions that every float reader
   * (whole array, chunks, stream) uses; the dtype is chosen once, not per element.
   */
  private FloatAt floatAt() {
    return switch (dtype) {
      case FLOAT32 -> (b, p) -> b.getFloat(p * 4);
      case FLOAT64 -> (b, p) -> (float) b.getDouble(p * 8);
      case FLOAT16 -> (b, p) -> halfToFloat(b.getShort(p * 2));
      default -> (b, p) -> Float.intBitsToFloat((b.getShort(p * 2) & 0xffff) << 16); // BFLOAT16
    };
  }

  /**
   * The values as doubles in C order; any floating-point dtype, exactly.
   *
   * @throws CheckpointFormatException for an integer or bool tensor, naming the key and dtype
   */
  public double[] toDoubleArray() {
    requireFloating("toDoubleArray()");
    if (dtype == TorchDtype.FLOAT64) {
      ByteBuffer data = storage();
      double[] out = new double[numel];
      forEach((i, p) -> out[i] = data.getDouble(p * 8));
      return out;
    }
    float[] f = toFloatArray();
    double[] out = new double[numel];
    for (int i = 0; i < numel; i++) {
      out[i] = f[i];
    }
    return out;
  }

  /**
   * The values as longs in C order: {@link TorchDtype#INT64}, {@code INT32}, {@code INT16}, {@code
   * INT8}, {@code UINT8} (0..255) and {@code BOOL} (0 or 1).
   *
   * @throws CheckpointFormatException for a floating-point tensor, naming the key and dtype
   */
  public long[] toLongArray() {
    requireFloating(false, "toLongArray() reads INT64, INT32, INT16, INT8, UINT8 and BOOL tensors");
    ByteBuffer data = storage();
    long[] out = new long[numel];
    switch (dtype) {
      case INT64:
        forEach((i, p) -> out[i] = data.getLong(p * 8));
        break;
      case INT32:
        forEach((i, p) -> out[i] = data.getInt(p * 4));
        break;
      case INT16:
        forEach((i, p) -> out[i] = data.getShort(p * 2));
        break;
      case INT8:
        forEach((i, p) -> out[i] = data.get(p));
        break;
      case UINT8:
        forEach((i, p) -> out[i] = data.get(p) & 0xff);
        break;
      default: // BOOL
        forEach((i, p) -> out[i] = data.get(p) != 0 ? 1 : 0);
        break;
    }
    return out;
  }

  @Override
  public String toString() {
    return "TorchTensor[" + key + ": " + dtype + " " + Arrays.toString(shape) + "]";
  }

  private void requireFloating(String method) {
    requireFloating(true, method + " reads FLOAT32, FLOAT64, FLOAT16 and BFLOAT16 tensors");
  }

  /** Refuses a tensor whose dtype is (not) floating point, naming it and what the method reads. */
  private void requireFloating(boolean floating, String reads) {
    if (dtype.isFloatingPoint() != floating) {
      throw new CheckpointFormatException(
          file, "tensor '" + key + "' has dtype " + dtype + "; " + reads);
    }
  }

  private interface ElementSink {
    void accept(int index, int position);
  }

  /** Calls {@code sink} for each element in C order with its position in the storage. */
  private void forEach(ElementSink sink) { // absolute reads only: no buffer state is changed
    if (numel == 0) {
      return;
    }
    int dims = shape.length;
    long[] idx = new long[dims];
    long pos = offset;
    for (int i = 0; i < numel; i++) {
      sink.accept(i, (int) pos); // every position was checked to lie inside the storage
      for (int d = dims - 1; d >= 0; d--) {
        pos += stride[d];
        if (++idx[d] < shape[d]) {
          break;
        }
        pos -= stride[d] * shape[d];
        idx[d] = 0;
      }
    }
  }

  /** IEEE 754 binary16 to float, exactly. */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0) {
      float v = mant * 0x1p-24f; // zero or subnormal
      return sign != 0 ? -v : v;
    }
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // inf or NaN
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }
}
