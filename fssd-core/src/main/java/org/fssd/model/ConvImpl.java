package org.fssd.model;

/**
 * SPEC §2: which DL4J layer computes the FSSD convolutions of a graph built by {@link FssdGraph}.
 * Both hold the same parameters under the same names and give the same outputs (to float rounding),
 * so graphs of either kind exchange parameters and model files freely.
 */
public enum ConvImpl {
  /** DL4J's stock {@code ConvolutionLayer} (im2col + GEMM). */
  STOCK,
  /**
   * {@link org.fssd.model.graph.FastConvolutionLayer}: libnd4j's {@code conv2d}/{@code conv2d_bp}
   * ops (oneDNN), several times faster on CPU, forward and backward.
   */
  FAST
}
