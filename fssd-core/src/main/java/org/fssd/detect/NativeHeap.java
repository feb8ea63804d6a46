package org.fssd.detect;

import java.lang.reflect.Method;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the native heap's free pages back to the operating system once a detector is built.
 *
 * <p>Compiling a oneDNN plan frees many native blocks of a few MB (each parameter's own copy once
 * re-ordered, re-order buffers) while allocating larger ones (Winograd weights are 4x the size), so
 * the freed blocks become holes that glibc keeps resident; {@code malloc_trim} returns them.
 * JavaCPP, which already links it, calls it when its own memory limit is reached, through a private
 * method; this class calls that method once. Where the method is missing or the call is refused
 * nothing happens: the memory is only held longer.
 */
final class NativeHeap {
  private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);

  private NativeHeap() {}

  /** Trims the native heap; best effort, never throws. */
  static void trim() {
    try {
      Method m = Pointer.class.getDeclaredMethod("trimMemory");
      m.setAccessible(true);
      Object trimmed = m.invoke(null);
      LOG.debug("native heap trimmed: {}", trimmed);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.debug("native heap not trimmed ({})", e.toString());
    }
  }
}
