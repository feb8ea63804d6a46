/**
 * The FSSD HTTP detection service: the detector behind a small JSON API, with dynamic batching,
 * health and Prometheus metrics, and a self-contained web page.
 *
 * <p>Entry point: {@link org.fssd.serve.FssdServer} (builder, {@code start()}, {@code port()},
 * graceful {@code close()}, and {@code main} for {@code fssd serve}: the lifecycle). Its parts:
 * {@link org.fssd.serve.ServerSettings} (the immutable settings the server copies from its builder,
 * the detection settings one {@link org.fssd.detect.DetectorSettings}), {@code Endpoints} (the
 * handlers, routes and error answers), {@link org.fssd.serve.ServeOptions} (the one command line,
 * shared by {@code main} and fssd-cli's {@code fssd serve}) with {@link
 * org.fssd.serve.DetectorOptions} (the detection options of every command that detects; here
 * because fssd-core has no picocli). Package-private helpers: {@code DynamicBatcher} (bounded
 * queue, worker threads that each own one detector; batches of 1, 2, 4, ... or max-batch images,
 * started when max-batch wait or the oldest has waited max-delay), {@code ServeMetrics} (a
 * Prometheus Java client registry: the service's series, JVM, process, native memory), {@code
 * V2Protocol} (the Open Inference Protocol's JSON tensors), {@code Multipart} (reads the {@code
 * image} field of a form upload), {@code ApiException} (an error answer), {@code Uploads} (upload
 * permits, body reads bounded in size and time), {@code ClientFaultLog} (rate-limited WARN lines
 * for client faults), {@code JsonErrorHandler} (Jetty's own error answers as JSON), {@code
 * FssdServerCommand} ({@code main}'s command: the shared options, {@code --model} required). The
 * page is the resource {@code org/fssd/serve/index.html}, the OpenAPI document {@code
 * org/fssd/serve/openapi.json}; the page's real-browser test is {@code WebPageBrowserIT} (Maven
 * profile {@code browser}, on where {@code /usr/bin/chromedriver} exists).
 *
 * <p>Thread safety: {@code FssdServer} is safe to use from any thread; requests are served by
 * Jetty's pool; every detector call happens on the worker thread that built the detector (a design
 * choice: a detector may be used from any thread, see {@code DynamicBatcher}).
 */
package org.fssd.serve;
