/**
 * Custom DL4J graph vertices the FSSD topology needs (SPEC §2.3, §2.5).
 *
 * <p>{@link org.fssd.model.graph.BilinearResizeVertex}: PyTorch {@code align_corners=False}
 * bilinear resize with an exact backward pass (a precomputed interpolation matrix). {@link
 * org.fssd.model.graph.HeadFlattenVertex}: NCHW to NHWC flattening of the heads. {@link
 * org.fssd.model.graph.FastConvolutionLayer}: a convolution with the stock layer's parameters whose
 * forward and backward run libnd4j's {@code conv2d}/{@code conv2d_bp} ops (oneDNN inside ND4J); the
 * training graph uses it ({@link org.fssd.model.ConvImpl#FAST}). All are serialisable by {@code
 * ModelSerializer} (state through {@code @JsonProperty} constructors and getters) and
 * gradient-checked in the tests. Instances belong to one graph and are not thread-safe.
 */
@NullMarked
package org.fssd.model.graph;

import org.jspecify.annotations.NullMarked;
