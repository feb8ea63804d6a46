package org.fssd.cli;

import org.fssd.model.FssdConfig;
import org.fssd.model.Labels;
import picocli.CommandLine.Option;

/** Shared options that pick a network configuration: {@code --config NAME [--bn]}. */
final class ConfigOptions {
  @Option(
      names = "--config",
      defaultValue = "voc300",
      description = "voc300 | voc512 | coco300 | coco512 (default: ${DEFAULT-VALUE})")
  String config;

  @Option(names = "--bn", description = "BatchNorm variant (SPEC 2.7)")
  boolean batchNorm;

  @Option(
      names = "--width-divisor",
      defaultValue = "1",
      description =
          "divide every conv width by this (at least 1 channel each) for a narrow network (default: ${DEFAULT-VALUE})")
  int widthDivisor = 1;

  FssdConfig toConfig() {
    FssdConfig c = FssdConfig.preset(config).toBuilder().batchNorm(batchNorm).build();
    if (widthDivisor < 1) {
      throw new IllegalArgumentException("--width-divisor must be >= 1, got " + widthDivisor);
    }
    return widthDivisor == 1 ? c : c.toBuilder().widths(c.widths().divided(widthDivisor)).build();
  }

  /**
   * For imports, where the variant comes from the checkpoint: refuses an explicit {@code --bn} that
   * the checkpoint contradicts.
   */
  void checkVariant(FssdConfig imported) {
    if (batchNorm && !imported.batchNorm()) {
      throw new IllegalArgumentException(
          "--bn was given but the checkpoint is the plain variant (no base.N.bn keys)");
    }
  }

  /** The preset's labels: VOC or COCO. */
  Labels presetLabels() {
    return config.toLowerCase(java.util.Locale.ROOT).startsWith("coco")
        ? Labels.coco()
        : Labels.voc();
  }
}
