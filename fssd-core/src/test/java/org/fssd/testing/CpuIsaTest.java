package org.fssd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import org.bytedeco.dnnl.global.dnnl;
import org.junit.jupiter.api.Test;

/**
 * CI's second pass over the {@link Numerical} tests limits the native kernels to AVX2 through
 * environment variables; this check makes sure they arrived and were obeyed, since a misspelt
 * variable, or one that never reached the forked test JVM, would let that pass run the default
 * (AVX-512) kernels again unnoticed. Without the variable (the normal build) it is skipped.
 * (OpenBLAS, whose GEMM runs the DL4J graph's convolutions, reads {@code OPENBLAS_CORETYPE} from
 * the same environment but has no Java call that reports its choice.)
 */
@Numerical
class CpuIsaTest {

  /**
   * oneDNN (the ONEDNN engine; ND4J's statically linked copy, which runs pooling and concat of the
   * DL4J graph, reads the same variable) runs with at most the ISA in {@code DNNL_MAX_CPU_ISA}.
   */
  @Test
  void oneDnnHonoursDnnlMaxCpuIsa() throws ReflectiveOperationException {
    String max = System.getenv("DNNL_MAX_CPU_ISA");
    assumeTrue(max != null && !max.isBlank(), "DNNL_MAX_CPU_ISA is not set");
    int limit =
        dnnl.class.getField("dnnl_cpu_isa_" + max.trim().toLowerCase(Locale.ROOT)).getInt(null);
    assumeTrue(limit != dnnl.dnnl_cpu_isa_all, "DNNL_MAX_CPU_ISA=ALL sets no limit");
    int effective = dnnl.dnnl_get_effective_cpu_isa();
    // oneDNN's ISA values are bit sets: each ISA holds the bits of the ones it extends.
    assertThat(effective & ~limit)
        .as("oneDNN's effective ISA 0x%x under DNNL_MAX_CPU_ISA=%s (0x%x)", effective, max, limit)
        .isZero();
    assertThat(effective).as("oneDNN's effective ISA").isNotZero();
  }
}
