package org.fssd.engine.onednn;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Places a plan's buffers in one arena by liveness: a buffer is live from the step that writes it
 * to the last step that reads it, and two buffers share bytes only when their lifetimes do not
 * overlap. Greedy, as ONNX Runtime's memory pattern planner: the largest buffers first, each at the
 * lowest offset that fits between the live ones already placed. Offsets are multiples of {@value
 * #ALIGNMENT} bytes (a cache line; oneDNN's own allocations are aligned so).
 *
 * <p>Not thread-safe; used during compilation only.
 */
final class ArenaPlanner {
  /** Byte alignment of every placed buffer. */
  static final long ALIGNMENT = 64;

  /** One buffer: its size and the inclusive range of steps during which it is live. */
  static final class Buffer {
    final long bytes;
    final int first;
    int last;
    long offset = -1;

    private Buffer(long bytes, int first) {
      this.bytes = bytes;
      this.first = first;
      this.last = first;
    }

    /** The byte offset inside the arena; set by {@link ArenaPlanner#place()}. */
    long offset() {
      checkState(offset >= 0, "not placed yet");
      return offset;
    }

    boolean liveWith(Buffer o) {
      return first <= o.last && o.first <= last;
    }
  }

  private final List<Buffer> buffers = new ArrayList<>();
  private long arenaBytes = -1;

  /** A buffer of {@code bytes} written at step {@code step}; extend it with {@link #use}. */
  Buffer add(long bytes, int step) {
    checkArgument(bytes > 0, "bytes must be > 0, got %s", bytes);
    checkState(arenaBytes < 0, "already placed");
    Buffer b = new Buffer(align(bytes), step);
    buffers.add(b);
    return b;
  }

  /** Records that step {@code step} reads {@code b}: it stays live at least until then. */
  void use(Buffer b, int step) {
    checkState(arenaBytes < 0, "already placed");
    b.last = Math.max(b.last, step);
  }

  /** Places every buffer and returns the arena size in bytes. */
  long place() {
    if (arenaBytes >= 0) {
      return arenaBytes;
    }
    List<Buffer> order = new ArrayList<>(buffers);
    order.sort(
        Comparator.comparingLong((Buffer b) -> b.bytes).reversed().thenComparingInt(b -> b.first));
    List<Buffer> placed = new ArrayList<>();
    long size = 0;
    for (Buffer b : order) {
      List<Buffer> live = new ArrayList<>();
      for (Buffer p : placed) {
        if (p.liveWith(b)) {
          live.add(p);
        }
      }
      live.sort(Comparator.comparingLong(p -> p.offset));
      long offset = 0;
      for (Buffer p : live) {
        if (p.offset - offset >= b.bytes) {
          break; // fits in the gap below p
        }
        offset = Math.max(offset, p.offset + p.bytes);
      }
      b.offset = offset;
      placed.add(b);
      size = Math.max(size, offset + b.bytes);
    }
    arenaBytes = size;
    return size;
  }

  /** Bytes of all buffers added, as if none shared memory. */
  long totalBytes() {
    long sum = 0;
    for (Buffer b : buffers) {
      sum += b.bytes;
    }
    return sum;
  }

  static long align(long bytes) {
    return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }
}
