/**
 * File helpers shared by every module: {@link org.fssd.io.AtomicFiles} (all-or-nothing writes).
 * PyTorch checkpoint reading lives in {@code org.fssd.io.pytorch}.
 */
@NullMarked
package org.fssd.io;

import org.jspecify.annotations.NullMarked;
