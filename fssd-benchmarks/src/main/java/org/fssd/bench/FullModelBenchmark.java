package org.fssd.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JMH settings of the benchmarks that run a whole FSSD network (JMH reads class-level settings
 * from the superclass): milliseconds per operation, 2 x 3 s warm-up, 3 x 5 s measurement, one fork
 * with a 6 GB heap and room for the native (JavaCPP) buffers of the full-size plans and graphs, so
 * that all of them run under the same memory limits.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Xmx6g",
      "-Dorg.bytedeco.javacpp.maxbytes=8G",
      "-Dorg.bytedeco.javacpp.maxphysicalbytes=14G"
    })
public abstract class FullModelBenchmark {}
