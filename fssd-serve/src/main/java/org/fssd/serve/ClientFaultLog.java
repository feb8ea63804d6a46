package org.fssd.serve;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Logs what clients did wrong (an upload cut short, an upload too slow, uploads turned away at the
 * cap) as single WARN lines without stack traces, at most one line per kind per interval: a client
 * fault is not a server failure, and hundreds of misbehaving connections must not flood the log. A
 * line written after a quiet spell says how many faults of its kind were left out since the
 * previous line. Thread-safe.
 */
final class ClientFaultLog {
  /** Default: at most one line per kind every 10 seconds. */
  static final long DEFAULT_INTERVAL_MS = 10_000;

  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final Consumer<String> sink;
  private final Map<String, long[]> kinds =
      new HashMap<>(); // kind -> {last line at, left out since}

  ClientFaultLog(long intervalMs, LongSupplier nanoClock, Consumer<String> sink) {
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    this.nanoClock = nanoClock;
    this.sink = sink;
  }

  /** Writes to {@code log} at WARN, at most one line per kind per {@link #DEFAULT_INTERVAL_MS}. */
  static ClientFaultLog warnings(Logger log) {
    return new ClientFaultLog(DEFAULT_INTERVAL_MS, System::nanoTime, log::warn);
  }

  /**
   * Records one fault of {@code kind} (a short word such as {@code incomplete_body}); writes {@code
   * detail} unless a line of this kind was written less than an interval ago.
   *
   * @return whether a line was written
   */
  boolean fault(String kind, String detail) {
    long now = nanoClock.getAsLong();
    long leftOut;
    synchronized (kinds) {
      long[] state = kinds.get(kind);
      if (state != null && now - state[0] < intervalNanos) {
        state[1]++;
        return false;
      }
      leftOut = state == null ? 0 : state[1];
      kinds.put(kind, new long[] {now, 0});
    }
    StringBuilder line =
        new StringBuilder("client fault ").append(kind).append(": ").append(detail);
    if (leftOut > 0) {
      line.append(" (")
          .append(leftOut)
          .append(" more like it since the last such line, not logged)");
    }
    sink.accept(line.toString());
    return true;
  }
}
