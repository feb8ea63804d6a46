import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The slow-client scenario of tools/load-test.sh: N clients upload to {@code POST /v1/detect} on
 * loopback, each sending its headers (a large declared Content-Length) and then one body byte per
 * interval; a client whose connection is answered or closed reconnects after a second. Meanwhile
 * one prober asks {@code GET /health} every 100 ms on a fresh connection and records how long the
 * whole answer took (an unanswered probe counts as its 10 s timeout). Bounded: it stops after the
 * given seconds. Loopback only: the address is fixed to 127.0.0.1.
 *
 * <pre>java tools/SlowClients.java PORT [CLIENTS=300] [SECONDS=30] [INTERVAL_MS=2000]</pre>
 *
 * Prints one summary: the /health latency percentiles, failed probes, and what the slow clients got.
 */
public final class SlowClients {
  private static final int PROBE_TIMEOUT_MS = 10_000;
  private static final int DECLARED = 1 << 20;

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: java SlowClients.java PORT [CLIENTS] [SECONDS] [INTERVAL_MS]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    int intervalMs = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
    if (clients < 1 || clients > 2000 || seconds < 1 || seconds > 600 || intervalMs < 10) {
      System.err.println("clients in [1, 2000], seconds in [1, 600], interval >= 10 ms");
      System.exit(2);
    }
    InetAddress host = InetAddress.getLoopbackAddress();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    AtomicLong bytesSent = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Thread t = new Thread(null, () -> slowClient(host, port, intervalMs, end, outcomes, bytesSent),
          "slow-" + i, 128 * 1024);
      t.setDaemon(true);
      t.start();
      threads.add(t);
      Thread.sleep(2); // a ramp of clients * 2 ms, not one burst of connects
    }
    // Let every client be connected and past its headers before measuring.
    Thread.sleep(Math.min(3000, seconds * 1000L / 4));
    List<Long> micros = new ArrayList<>();
    int failed = 0;
    Map<String, Integer> probeStatus = new TreeMap<>();
    while (System.nanoTime() < end) {
      long t0 = System.nanoTime();
      String status = probe(host, port);
      long us = (System.nanoTime() - t0) / 1000;
      if (status == null) {
        failed++;
        us = Math.max(us, PROBE_TIMEOUT_MS * 1000L);
      } else {
        probeStatus.merge(status, 1, Integer::sum);
      }
      micros.add(us);
      long sleepMs = 100 - us / 1000;
      if (sleepMs > 0) {
        Thread.sleep(sleepMs);
      }
    }
    for (Thread t : threads) {
      t.join(intervalMs + 2000L);
    }
    Collections.sort(micros);
    System.out.printf(Locale.ROOT,
        "slow clients: %d, one byte per %d ms, %d s; /health probes: %d (status %s), failed %d;"
            + " /health ms p50 %.1f p95 %.1f p99 %.1f max %.1f%n",
        clients, intervalMs, seconds, micros.size(), probeStatus, failed, pct(micros, 50), pct(micros, 95),
        pct(micros, 99), micros.isEmpty() ? Double.NaN : micros.get(micros.size() - 1) / 1000.0);
    Map<String, Long> sorted = new TreeMap<>();
    outcomes.forEach((k, v) -> sorted.put(k, v.sum()));
    System.out.printf(Locale.ROOT, "slow clients' uploads ended by: %s; body bytes sent %d%n", sorted, bytesSent.get());
  }

  private static double pct(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1000.0;
  }

  /** One slow uploader: reconnects (after a second) whenever its connection is answered or dropped. */
  private static void slowClient(InetAddress host, int port, int intervalMs, long end, Map<String, LongAdder> outcomes,
      AtomicLong bytesSent) {
    while (System.nanoTime() < end) {
      String outcome;
      try (Socket s = new Socket(host, port)) {
        s.setSoTimeout(intervalMs);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        out.write(("POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: "
            + DECLARED + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        outcome = null;
        while (outcome == null && System.nanoTime() < end) {
          try {
            byte[] head = new byte[12];
            int n = in.read(head);
            outcome = n < 0 ? "closed" : "HTTP " + new String(head, 0, n, StandardCharsets.ISO_8859_1).replaceFirst("^HTTP/1\\.1 ", "").trim();
          } catch (SocketTimeoutException e) {
            out.write('x');
            out.flush();
            bytesSent.incrementAndGet();
          }
        }
        if (outcome == null) {
          outcome = "still uploading at the end";
        }
      } catch (IOException e) {
        outcome = "connection error (" + e.getClass().getSimpleName() + ")";
      }
      outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
      sleepUntil(Math.min(end, System.nanoTime() + 1_000_000_000L));
    }
  }

  private static void sleepUntil(long nanos) {
    long ms = (nanos - System.nanoTime()) / 1_000_000;
    if (ms > 0) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** GET /health on a fresh connection; the status code, or null when no full answer came in time. */
  private static String probe(InetAddress host, int port) {
    try (Socket s = new Socket(host, port)) {
      s.setSoTimeout(PROBE_TIMEOUT_MS);
      s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[1024];
      int n;
      while ((n = s.getInputStream().read(buf)) > 0) {
        got.write(buf, 0, n);
      }
      String text = got.toString(StandardCharsets.ISO_8859_1);
      return text.startsWith("HTTP/1.1 ") && text.length() >= 12 ? text.substring(9, 12) : null;
    } catch (IOException e) {
      return null;
    }
  }
}
