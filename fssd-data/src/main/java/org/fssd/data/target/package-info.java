/**
 * SPEC §5: training targets. {@link org.fssd.data.target.PriorMatcher} matches one image's ground
 * truths to the priors and encodes loc targets ({@code float[P*4]}) and class targets ({@code
 * int[P]}). Immutable and thread-safe.
 */
package org.fssd.data.target;
