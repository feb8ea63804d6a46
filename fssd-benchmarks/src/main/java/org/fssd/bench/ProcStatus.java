package org.fssd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads this process's memory figures from {@code /proc/self/status} (Linux). */
final class ProcStatus {
  private ProcStatus() {}

  /** Peak resident set size (VmHWM) in MiB, or -1 where /proc is not available. */
  static double peakRssMib() {
    return field("VmHWM:");
  }

  /** Current resident set size (VmRSS) in MiB, or -1 where /proc is not available. */
  static double rssMib() {
    return field("VmRSS:");
  }

  /** One line for stderr: {@code stage <what>: VmRSS x MiB, VmHWM y MiB}. */
  static String stage(String what) {
    return String.format(
        java.util.Locale.ROOT,
        "stage %s: VmRSS %.0f MiB, VmHWM %.0f MiB (Java heap committed %d MiB, used %d MiB; JavaCPP tracked %d MiB)",
        what,
        rssMib(),
        peakRssMib(),
        Runtime.getRuntime().totalMemory() >> 20,
        (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20,
        org.bytedeco.javacpp.Pointer.totalBytes() >> 20);
  }

  private static double field(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(name)) {
          String[] parts = line.substring(name.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) / 1024.0; // kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
