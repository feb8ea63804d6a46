/**
 * Batch object detection on Apache Spark 3.5 (DESIGN "Scale-out").
 *
 * <p>Entry points: {@link org.fssd.spark.FssdSpark} ({@code detect} on a Dataset of (path, content)
 * rows, {@code detectPaths} on any Hadoop path), configured by {@link
 * org.fssd.spark.DetectOptions}; {@link org.fssd.spark.FssdSparkJob} is the {@code spark-submit}
 * main class that writes Parquet and JSON lines. The model file is broadcast; each executor JVM
 * builds one {@code FssdDetector} lazily and reuses it for all its tasks; a bad image becomes an
 * error row, never a failed job.
 *
 * <p>Thread safety: {@code FssdSpark} is stateless; {@code DetectOptions} is immutable; the per-JVM
 * detector cache is concurrent (tasks of one executor share the detector, which is thread-safe).
 */
package org.fssd.spark;
