package org.fssd.bench;

import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * What the command-line mains of this package ({@link BenchTable}, {@link OnnxCompare}, {@link
 * TrainCompare}) share: running a picocli command, the {@code -h}/{@code --help} option, checks of
 * option values, and the statistics of their timings.
 */
final class BenchMains {
  private BenchMains() {}

  /** The {@code -h}/{@code --help} option (picocli mixin). */
  static final class Help {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "print this help and exit")
    boolean help;
  }

  /**
   * Parses {@code args} into {@code command} and runs it. A later repeat of an option overrides an
   * earlier one; arguments are taken as they are ({@code @file}s are not expanded). Bad options
   * print a message and the usage on stderr and exit with code 2; a failure of the run prints its
   * stack trace and exits with code 1; success returns normally.
   */
  static void run(Object command, String[] args) {
    int code =
        new CommandLine(command)
            .setOverwrittenOptionsAllowed(true)
            .setExpandAtFiles(false)
            .execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Checks {@code value >= min} for option {@code name}, else a usage error. */
  static void checkAtLeast(CommandSpec spec, String name, long value, long min) {
    if (value < min) {
      throw new ParameterException(
          spec.commandLine(), "option '" + name + "' must be >= " + min + ", got " + value);
    }
  }

  /** Median of {@code values} (the mean of the middle two for an even count). */
  static double median(double[] values) {
    double[] c = values.clone();
    Arrays.sort(c);
    int n = c.length;
    return n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
  }

  /** Median of {@code values}; see {@link #median(double[])}. */
  static double median(List<Double> values) {
    return median(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** Smallest of {@code values}, NaN when there are none. */
  static double min(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }
}
