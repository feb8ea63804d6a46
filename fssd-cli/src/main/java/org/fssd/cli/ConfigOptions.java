package org.fssd.cli;

import org.fssd.detect.Labels;
import org.fssd.model.FssdConfig;
import picocli.CommandLine.Option;

/** Shared options that pick a network configuration: {@code --config NAME [--bn]}. */
final class ConfigOptions {
  @Option(names = "--config", defaultValue = "voc300",
      description = "voc300 | voc512 | coco300 | coco512 (default: ${DEFAULT-VALUE})")
  String config;

  @Option(names = "--bn", description = "BatchNorm variant (SPEC 2.7)")
  boolean batchNorm;

  FssdConfig toConfig() {
    return FssdConfig.preset(config).toBuilder().batchNorm(batchNorm).build();
  }

  /**
   * For imports, where the variant comes from the checkpoint: refuses an explicit {@code --bn}
   * that the checkpoint contradicts.
   */
  void checkVariant(FssdConfig imported) {
    if (batchNorm && !imported.batchNorm()) {
      throw new IllegalArgumentException("--bn was given but the checkpoint is the plain variant (no base.N.bn keys)");
    }
  }

  /** The preset's labels: VOC or COCO. */
  Labels presetLabels() {
    return config.toLowerCase(java.util.Locale.ROOT).startsWith("coco") ? Labels.coco() : Labels.voc();
  }
}
