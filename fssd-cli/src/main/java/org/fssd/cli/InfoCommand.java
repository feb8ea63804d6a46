package org.fssd.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fssd info}: size facts of a configuration, one {@code key: value} per line. */
@Command(
    name = "info",
    mixinStandardHelpOptions = true,
    description = "Print params, priors, size_mb (fp32) and gmacs (per image) of a configuration.")
final class InfoCommand implements Callable<Integer> {
  @Mixin ConfigOptions options = new ConfigOptions();
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    FssdConfig config = options.toConfig();
    long learnable = 0;
    long buffers = 0;
    for (ConvSpec c : config.convs()) {
      learnable += c.weightCount();
      if (c.isHead() || !config.batchNorm()) {
        learnable += c.out(); // bias
      } else {
        learnable += 2L * c.out(); // BN gamma, beta
        buffers += 2L * c.out(); // BN running mean, var
      }
    }
    if (config.fusionBatchNorm()) {
      learnable += 2L * config.widths().fusionConcat();
      buffers += 2L * config.widths().fusionConcat();
    }
    var out = spec.commandLine().getOut();
    out.println("params: " + learnable);
    out.println("priors: " + config.numPriors());
    out.println(String.format(Locale.ROOT, "size_mb: %.1f", (learnable + buffers) * 4 / 1e6));
    out.println(String.format(Locale.ROOT, "gmacs: %.2f", config.macsPerImage() / 1e9));
    out.flush();
    return 0;
  }
}
