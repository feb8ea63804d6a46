package org.fssd.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test class or method that compares floating-point results of native kernels (oneDNN,
 * ND4J, OpenBLAS) with a stored fixture or with another code path. CI runs these a second time with
 * oneDNN limited to AVX2 ({@code .ci/run}: {@code -Dgroups=numerical} under {@code
 * DNNL_MAX_CPU_ISA=AVX2}), so that their tolerances are exercised by other kernels than the build
 * machine's. The JUnit tag is {@value #TAG}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(Numerical.TAG)
public @interface Numerical {
  /** The JUnit 5 tag, for {@code -Dgroups=numerical}. */
  String TAG = "numerical";
}
