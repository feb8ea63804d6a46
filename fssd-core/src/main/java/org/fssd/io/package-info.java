/**
 * File helpers shared by every module: {@link org.fssd.io.AtomicFiles} (all-or-nothing writes).
 * PyTorch checkpoint reading lives in {@code org.fssd.io.pytorch}.
 */
package org.fssd.io;
