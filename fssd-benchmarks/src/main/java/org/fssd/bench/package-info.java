/**
 * Speed measurements of fssd4j (DESIGN "Speed"): JMH benchmarks ({@link
 * org.fssd.bench.ForwardBenchmark}, {@link org.fssd.bench.DetectBenchmark}, {@link
 * org.fssd.bench.PostprocessBenchmark}, {@link org.fssd.bench.IteratorBenchmark}, {@link
 * org.fssd.bench.TrainStepBenchmark}), the quick {@link org.fssd.bench.BenchTable} (images/s,
 * ms/image, GFLOP/s, peak RSS), and the Java halves of {@code tools/bench-compare.sh}: {@link
 * org.fssd.bench.OnnxCompare} (fssd4j against ONNX Runtime on the same weights and input) and
 * {@link org.fssd.bench.TrainCompare} (a training step on the same weights and batch as PyTorch).
 *
 * <p>Nothing here is part of the test run. Build with {@code mvn -B -o install -DskipTests}, then
 * {@code OMP_NUM_THREADS=2 java -jar fssd-benchmarks/target/fssd-benchmarks.jar ForwardBenchmark}
 * (JMH) or {@code java -cp fssd-benchmarks/target/fssd-benchmarks.jar org.fssd.bench.BenchTable};
 * see {@code docs/performance.md}. {@code OMP_NUM_THREADS} must be set before the JVM starts
 * (oneDNN and ND4J read it once); JMH forks inherit it.
 *
 * <p>Models are random-weight networks from a fixed seed ({@link org.fssd.bench.BenchModels}):
 * speed does not depend on the weights' values. Classes here are not thread-safe and are not a
 * stable API.
 */
package org.fssd.bench;
