package org.fssd.engine.onednn;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.javacpp.Pointer;
import org.jspecify.annotations.Nullable;

/**
 * One block of native memory holding the activations and scratchpad of one plan, or of all plans of
 * an {@link OneDnnPlanSet} (which never run at the same time). Zero-filled when allocated ({@code
 * calloc}: for large blocks the kernel maps zero pages lazily, so only the bytes a run touches
 * become resident). 64-byte aligned.
 *
 * <p>{@link #acquire()} / {@link #release()} mark a run in progress, so that a second thread using
 * the same arena at once fails with an exception instead of corrupting both runs.
 */
final class Arena implements AutoCloseable {
  /** Bytes of all arenas not yet freed, in this JVM (tests check that closing frees them). */
  private static final java.util.concurrent.atomic.AtomicLong LIVE =
      new java.util.concurrent.atomic.AtomicLong();

  private final @Nullable Pointer raw;
  private final long base;
  private final long bytes;
  private final AtomicBoolean busy = new AtomicBoolean();
  private boolean closed;

  /** A pointer at a given address, owned by the arena (no deallocator of its own). */
  private static final class View extends Pointer {
    View(long address) {
      this.address = address;
    }
  }

  private Arena(@Nullable Pointer raw, long bytes) {
    this.raw = raw;
    this.bytes = bytes;
    long a = raw == null ? 0 : raw.address();
    this.base = (a + ArenaPlanner.ALIGNMENT - 1) / ArenaPlanner.ALIGNMENT * ArenaPlanner.ALIGNMENT;
  }

  /** A zero-filled arena of at least {@code bytes} bytes (none allocated for 0). */
  static Arena allocate(long bytes) {
    checkArgument(bytes >= 0, "bytes must be >= 0, got %s", bytes);
    if (bytes == 0) {
      return new Arena(null, 0);
    }
    Pointer p = Pointer.calloc(bytes + ArenaPlanner.ALIGNMENT, 1);
    if (p == null || p.isNull()) {
      throw new OutOfMemoryError("cannot allocate a oneDNN arena of " + bytes + " bytes");
    }
    LIVE.addAndGet(bytes);
    return new Arena(p, bytes);
  }

  /** Bytes of all arenas allocated and not yet closed. */
  static long liveBytes() {
    return LIVE.get();
  }

  long bytes() {
    return bytes;
  }

  /** The address {@code offset} bytes into the arena. */
  Pointer at(long offset) {
    checkArgument(
        offset >= 0 && offset <= bytes, "offset %s outside an arena of %s bytes", offset, bytes);
    checkState(!closed, "the arena is freed");
    return new View(base + offset);
  }

  /** Marks a run in progress; throws if another one is. */
  void acquire() {
    if (!busy.compareAndSet(false, true)) {
      throw new IllegalStateException(
          "two threads ran plans sharing one arena at the same time;"
              + " a oneDNN plan (or plan set) may be used by one thread at a time");
    }
  }

  void release() {
    busy.set(false);
  }

  /** Frees the memory; idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (raw != null) {
        Pointer.free(raw);
        LIVE.addAndGet(-bytes);
      }
    }
  }
}
