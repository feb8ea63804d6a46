/**
 * SPEC §12: a safe reader of PyTorch {@code torch.save} checkpoints (state_dicts), zip and legacy
 * formats.
 *
 * <p>Entry class: {@link org.fssd.io.pytorch.TorchCheckpoint#read(java.nio.file.Path)} returns a
 * {@link org.fssd.io.pytorch.StateDict} of {@link org.fssd.io.pytorch.TorchTensor}s, or throws
 * {@link org.fssd.io.pytorch.CheckpointFormatException} (the only exception it lets escape). {@link
 * org.fssd.io.pytorch.ReaderLimits} bounds what an untrusted file may make it allocate.
 *
 * <p>Safety: the pickles are interpreted by a small package-private virtual machine ({@code
 * Unpickler}) that knows only the opcodes a state_dict uses and an allow-list of globals ({@code
 * collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2}, {@code
 * torch._utils._rebuild_parameter}, the {@code torch.*Storage} classes); it never imports, calls or
 * executes anything. Every length read from a file is checked against the bytes remaining before
 * memory is allocated. Tests fuzz it with mutated files.
 *
 * <p>Thread safety: all public types are immutable; {@code read} keeps no shared state. Stability:
 * the public API is small and intended to stay; the mapping of keys onto the FSSD graph lives with
 * the importer, not here.
 */
@NullMarked
package org.fssd.io.pytorch;

import org.jspecify.annotations.NullMarked;
