/**
 * The HTTP detection service (issue #12): {@link org.fssd.serve.FssdServer} wraps an {@link
 * org.fssd.detect.FssdDetector} in a Javalin server with dynamic batching.
 */
package org.fssd.serve;
