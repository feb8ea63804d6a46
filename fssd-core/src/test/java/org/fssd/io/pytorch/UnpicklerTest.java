package org.fssd.io.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-assembled pickles: the opcodes, the allow-list, the limits and the tensor checks. */
class UnpicklerTest {
  private static final Path FILE = Path.of("model.pth");

  @TempDir Path tmp;

  private static Object load(byte[] pickle) {
    return load(pickle, ReaderLimits.defaults());
  }

  private static Object load(byte[] pickle, ReaderLimits limits) {
    BoundedInput in = new BoundedInput(FILE, new ByteArrayInputStream(pickle), pickle.length);
    return new Unpickler(FILE, "data.pkl", in, limits, new StorageRegistry(FILE)).load();
  }

  @Test
  void readsTheScalarsAndContainersOfAStateDict() {
    byte[] p =
        PickleBytes.proto2()
            .op('}', 'q', 0) // dict, memo 0
            .mark()
            .str("ints")
            .mark()
            .integer(7)
            .integer(300)
            .integer(-5)
            .integer(70000)
            .op(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1) // LONG1 2^64
            .op(0x8a, 0) // LONG1 0
            .op('l') // LIST
            .str("float")
            .op('G')
            .raw(ByteBuffer.allocate(8).putDouble(-0.375).array())
            .str("flags")
            .op(0x88, 0x89, 'N', 0x87) // (True, False, None)
            .str("bytes")
            .op('C', 2, 'h', 'i')
            .str("py2")
            .op('U', 3, 'a', 'b', 'c')
            .str("self")
            .op('h', 0) // BINGET 0: the dict itself
            .op('u', '.')
            .bytes();
    @SuppressWarnings("unchecked")
    Map<Object, Object> d = (Map<Object, Object>) load(p);
    assertThat(d.keySet()).containsExactly("ints", "float", "flags", "bytes", "py2", "self");
    @SuppressWarnings("unchecked")
    List<Object> ints = (List<Object>) d.get("ints");
    assertThat(ints).containsExactly(7L, 300L, -5L, 70000L, BigInteger.ONE.shiftLeft(64), 0L);
    assertThat(d.get("float")).isEqualTo(-0.375);
    Unpickler.Tuple flags = (Unpickler.Tuple) d.get("flags");
    assertThat(List.of(flags.get(0), flags.get(1), flags.get(2)))
        .containsExactly(true, false, Unpickler.NONE);
    assertThat((byte[]) d.get("bytes")).containsExactly('h', 'i');
    assertThat(d.get("py2")).isEqualTo("abc");
    assertThat(d.get("self")).isSameAs(d);
  }

  @Test
  void unsupportedOpcodeIsNamedWithItsOffset() {
    byte[] p = PickleBytes.proto2().op('}').op('i').bytes(); // INST (protocol 0)
    assertThatThrownBy(() -> load(p))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessage("model.pth: data.pkl offset 3 (opcode 0x69): unsupported pickle opcode 0x69");
  }

  @Test
  void forbiddenGlobalsAreRefusedWhenRead() {
    for (String[] g :
        new String[][] {
          {"os", "system"},
          {"builtins", "eval"},
          {"subprocess", "Popen"},
          {"posix", "system"},
          {"builtins", "getattr"},
          {"torch", "load"},
          {"torch._utils", "_rebuild_qtensor"}
        }) {
      byte[] p = PickleBytes.proto2().global(g[0], g[1]).bytes(); // no STOP: refused before
      assertThatThrownBy(() -> load(p))
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageStartingWith(
              "model.pth: pickle refers to forbidden global '" + g[0] + "." + g[1] + "'");
    }
    byte[] stackGlobal =
        PickleBytes.proto2()
            .op(0x80, 4)
            .op(0x8c, 2, 'o', 's', 0x8c, 6)
            .raw("system".getBytes())
            .op(0x93)
            .bytes();
    assertThatThrownBy(() -> load(stackGlobal))
        .hasMessageContaining("forbidden global 'os.system'");
  }

  @Test
  void allowedGlobalsAreNotCallableExceptTheRebuilders() {
    byte[] p = PickleBytes.proto2().global("torch", "FloatStorage").op(')', 'R', '.').bytes();
    assertThatThrownBy(() -> load(p))
        .hasMessageContaining("'torch.FloatStorage' may not be called");
    // OrderedDict([('a', 1)]), protocol-0 style: the items as a list argument
    byte[] q2 =
        PickleBytes.proto2()
            .global("collections", "OrderedDict")
            .mark()
            .str("a")
            .integer(1)
            .op(0x86)
            .op('l', 0x85, 'R', '.')
            .bytes();
    @SuppressWarnings("unchecked")
    Map<Object, Object> od = (Map<Object, Object>) load(q2);
    assertThat(od).containsEntry("a", 1L);
    byte[] newobj =
        PickleBytes.proto2().global("collections", "OrderedDict").op(')', 0x81, '.').bytes();
    assertThat(load(newobj)).isInstanceOf(Map.class);
  }

  @Test
  void malformedStreamsAreRefusedWithoutOtherExceptions() {
    byte[][] bad = {
      {(byte) 0x80, 2, '.'}, // STOP on an empty stack
      {(byte) 0x80, 2, 'h', 5, '.'}, // memo never stored
      {(byte) 0x80, 2, 't', '.'}, // TUPLE without MARK
      {(byte) 0x80, 2, ']', 'K', 1, 's', '.'}, // SETITEM on a list
      {(byte) 0x80, 2, '}', 'K', 1, 'a', '.'}, // APPEND on a dict
      {(byte) 0x80, 2, '}', '(', 'K', 1, 'u', '.'}, // SETITEMS with an odd count
      {(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}, // huge string length
      {(byte) 0x80, 2, 'X', 10, 0, 0, 0, 'a'}, // string longer than the input
      {(byte) 0x80, 2, 'X', 2, 0, 0, 0, (byte) 0xc3, (byte) 0x28, '.'}, // bad UTF-8
      {(byte) 0x80, 9}, // protocol 9
      {(byte) 0x80, 2, 'K', 1, 'K', 2, 'R', '.'}, // REDUCE on an int
      {(byte) 0x80, 2, ']', ']', 'b', '.'}, // BUILD on a list
      {(byte) 0x80, 2, 'N', 'Q', '.'}, // persistent id None
      {(byte) 0x80, 2, 'c', 'o', 's'}, // GLOBAL line cut off
      {(byte) 0x80, 2, 'c', 'o', 0, '\n', 'x', '\n'}, // GLOBAL with a control byte
      {(byte) 0x80, 2, '}', ']', 'K', 1, 's', '.'}, // list as a dict key
      {(byte) 0x80, 2, '1', '.'}, // POP_MARK without MARK
      {(byte) 0x80, 2, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0, (byte) 0x80}, // FRAME negative
    };
    for (byte[] p : bad) {
      assertThatThrownBy(() -> load(p))
          .as(java.util.Arrays.toString(p))
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageStartingWith("model.pth: ");
    }
  }

  @Test
  void selfReferenceAndDeepNestingNeverOverflowTheJavaStack() {
    // d = {}; l = []; l.append(l); key = (((...(l,)...),),) 200,000 deep; d[key] = 1
    PickleBytes p = PickleBytes.proto2().op('}', ']', 'q', 0, 'h', 0, 'a');
    for (int i = 0; i < 200_000; i++) {
      p.op(0x85); // TUPLE1
    }
    p.op('K', 1, 's', '.');
    assertThatThrownBy(() -> load(p.bytes()))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("dict key of unsupported type tuple");
    PickleBytes q = PickleBytes.proto2().op('}', ']', 'q', 0, 'h', 0, 'a', 'K', 1, 's', '.');
    assertThatThrownBy(() -> load(q.bytes()))
        .hasMessageContaining("dict key of unsupported type list");
  }

  @Test
  void limitsStopRunawayPickles() {
    PickleBytes many = PickleBytes.proto2();
    for (int i = 0; i < 2000; i++) {
      many.op('(');
    }
    assertThatThrownBy(() -> load(many.bytes())).hasMessageContaining("ReaderLimits.maxNesting");
    PickleBytes deep = PickleBytes.proto2();
    for (int i = 0; i < 200; i++) {
      deep.op('N');
    }
    assertThatThrownBy(() -> load(deep.bytes(), ReaderLimits.builder().maxStackDepth(100).build()))
        .hasMessageContaining("ReaderLimits.maxStackDepth");
    PickleBytes loop = PickleBytes.proto2();
    for (int i = 0; i < 200; i++) {
      loop.op('N', '0');
    }
    assertThatThrownBy(() -> load(loop.bytes(), ReaderLimits.builder().maxPickleOps(100).build()))
        .hasMessageContaining("ReaderLimits.maxPickleOps");
  }

  // ---- tensors ----

  private static byte[] stateDict(String key, PickleBytes tensorOps) {
    return PickleBytes.proto2().op('}').str(key).raw(tensorOps.bytes()).op('s', '.').bytes();
  }

  private static PickleBytes tensor(long numel, long offset, long[] size, long[] stride) {
    return new PickleBytes().tensor("FloatStorage", "0", numel, offset, size, stride);
  }

  /**
   * {@code {"w": tensor}} over a 6-float storage from offset 0, whose size and stride tuples are
   * {@code sizeAndStride}'s opcodes: values that {@link #tensor} cannot write.
   */
  private static byte[] viewOfSixFloats(PickleBytes sizeAndStride) {
    return PickleBytes.proto2()
        .op('}')
        .str("w")
        .global("torch._utils", "_rebuild_tensor_v2")
        .mark()
        .storage("FloatStorage", "0", 6)
        .integer(0)
        .raw(sizeAndStride.bytes())
        .op(0x89)
        .global("collections", "OrderedDict")
        .op(')', 'R')
        .tuple()
        .op('R', 's', '.')
        .bytes();
  }

  @Test
  void tensorViewsMustLieInsideTheirStorage() {
    assertThatThrownBy(
            () -> load(stateDict("w", tensor(6, 1, new long[] {2, 3}, new long[] {3, 1}))))
        .hasMessageContaining("exceeds storage '0' of 6 elements");
    assertThatThrownBy(
            () -> load(stateDict("w", tensor(6, 0, new long[] {3, 2}, new long[] {2, 3}))))
        .hasMessageContaining("exceeds storage");
    // an empty tensor may sit anywhere; zero strides repeat one element
    assertThat(load(stateDict("w", tensor(0, 0, new long[] {0, 5}, new long[] {5, 1}))))
        .isInstanceOf(Map.class);
    assertThat(load(stateDict("w", tensor(1, 0, new long[] {1000, 1000}, new long[] {0, 0}))))
        .isInstanceOf(Map.class);
    byte[] negative = viewOfSixFloats(new PickleBytes().ints(6).mark().op('J').u32(-1L).tuple());
    assertThatThrownBy(() -> load(negative)).hasMessageContaining("stride[0] is negative: -1");
    long big = 1L << 31;
    byte[] overflow =
        viewOfSixFloats(
            new PickleBytes()
                .mark()
                .op('J')
                .u32(big - 1)
                .op('J')
                .u32(big - 1)
                .op('J')
                .u32(big - 1)
                .tuple()
                .ints(0, 0, 0));
    assertThatThrownBy(() -> load(overflow)).hasMessageContaining("overflows");
  }

  @Test
  void storageIdsAreValidated() {
    byte[] badKey =
        stateDict(
            "w",
            new PickleBytes().tensor("FloatStorage", "../x", 1, 0, new long[] {1}, new long[] {1}));
    assertThatThrownBy(() -> load(badKey)).hasMessageContaining("is not a plain name");
    byte[] twoTypes =
        PickleBytes.proto2()
            .op('}')
            .str("a")
            .raw(
                new PickleBytes()
                    .tensor("FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1})
                    .bytes())
            .str("b")
            .raw(
                new PickleBytes()
                    .tensor("LongStorage", "0", 4, 0, new long[] {4}, new long[] {1})
                    .bytes())
            .op('u', '.')
            .bytes();
    byte[] withMark = new byte[twoTypes.length + 1]; // insert MARK after EMPTY_DICT for SETITEMS
    System.arraycopy(twoTypes, 0, withMark, 0, 3);
    withMark[3] = '(';
    System.arraycopy(twoTypes, 3, withMark, 4, twoTypes.length - 3);
    assertThatThrownBy(() -> load(withMark))
        .hasMessageContaining("declared as 4 x FLOAT32 and as 4 x INT64");
  }

  // ---- whole files built by hand ----

  private Path zipWith(byte[] pkl, Map<String, byte[]> entries) {
    return PickleBytes.writeZip(tmp.resolve("t" + System.nanoTime() + ".pth"), pkl, entries);
  }

  @Test
  void mixedModulePrefixIsLeftAlone() {
    byte[] pkl =
        PickleBytes.proto2()
            .op('}')
            .mark()
            .str("module.a")
            .raw(tensor(2, 0, new long[] {1}, new long[] {1}).bytes())
            .str("b")
            .raw(tensor(2, 1, new long[] {1}, new long[] {1}).bytes())
            .op('u', '.')
            .bytes();
    StateDict sd = TorchCheckpoint.read(zipWith(pkl, Map.of("data/0", PickleBytes.floats(5, 6))));
    assertThat(sd.keys()).containsExactly("module.a", "b");
    assertThat(sd.modulePrefixStripped()).isFalse();
    assertThat(sd.get("b").toFloatArray()).containsExactly(6f);
  }

  @Test
  void bigEndianByteOrderRecordIsHonoured() {
    byte[] pkl = stateDict("w", tensor(2, 0, new long[] {2}, new long[] {1}));
    byte[] be = ByteBuffer.allocate(8).putFloat(1.25f).putFloat(-2f).array();
    StateDict sd =
        TorchCheckpoint.read(zipWith(pkl, Map.of("data/0", be, "byteorder", "big".getBytes())));
    assertThat(sd.get("w").toFloatArray()).containsExactly(1.25f, -2f);
  }

  @Test
  void parameterWrapperAndModelKeyAreUnwrapped() {
    byte[] pkl =
        PickleBytes.proto2()
            .op('}')
            .str("epoch")
            .integer(3)
            .op('s')
            .str("model")
            .op('}')
            .str("p")
            .global("torch._utils", "_rebuild_parameter")
            .mark()
            .raw(tensor(2, 0, new long[] {2}, new long[] {1}).bytes())
            .op(0x88)
            .global("collections", "OrderedDict")
            .op(')', 'R')
            .tuple()
            .op('R')
            .op('s', 's', '.')
            .bytes();
    StateDict sd = TorchCheckpoint.read(zipWith(pkl, Map.of("data/0", PickleBytes.floats(1, 2))));
    assertThat(sd.keys()).containsExactly("p");
    assertThat(sd.get("p").toFloatArray()).containsExactly(1f, 2f);
  }

  @Test
  void notAStateDictIsRefused() {
    byte[] list = PickleBytes.proto2().op(']', '.').bytes();
    assertThatThrownBy(() -> TorchCheckpoint.read(zipWith(list, Map.of())))
        .hasMessageContaining("the pickled object is a list, not a dict");
    byte[] noTensors = PickleBytes.proto2().op('}').str("epoch").integer(3).op('s', '.').bytes();
    assertThatThrownBy(() -> TorchCheckpoint.read(zipWith(noTensors, Map.of())))
        .hasMessageContaining("no tensors in the top-level dict (keys: ['epoch'])");
  }

  @Test
  void shortStorageEntryIsTruncation() {
    byte[] pkl = stateDict("w", tensor(4, 0, new long[] {4}, new long[] {1}));
    assertThatThrownBy(
            () -> TorchCheckpoint.read(zipWith(pkl, Map.of("data/0", PickleBytes.floats(1, 2)))))
        .hasMessageContaining(
            "truncated: storage '0' needs 16 bytes, zip entry 'archive/data/0' holds 8");
  }

  @Test
  void legacyStorageViewsAreRead() throws Exception {
    // Old-style pid with view metadata ('0v', offset 2, size 3) into root '0' of 6 elements.
    PickleBytes obj =
        PickleBytes.proto2()
            .op('}')
            .str("v")
            .global("torch._utils", "_rebuild_tensor_v2")
            .mark()
            .mark()
            .str("storage")
            .global("torch", "FloatStorage")
            .str("0")
            .str("cpu")
            .integer(6)
            .mark()
            .str("0v")
            .integer(2)
            .integer(3)
            .tuple()
            .tuple()
            .op('Q')
            .integer(1)
            .ints(2)
            .ints(1)
            .op(0x89)
            .global("collections", "OrderedDict")
            .op(')', 'R')
            .tuple()
            .op('R', 's', '.');
    byte[] magic =
        PickleBytes.proto2()
            .op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19)
            .stop()
            .bytes();
    byte[] version = PickleBytes.proto2().integer(1001).stop().bytes();
    byte[] sysInfo = PickleBytes.proto2().op('}').stop().bytes();
    byte[] keys = PickleBytes.proto2().op(']').str("0").op('a', '.').bytes();
    java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
    f.writeBytes(magic);
    f.writeBytes(version);
    f.writeBytes(sysInfo);
    f.writeBytes(obj.bytes());
    f.writeBytes(keys);
    f.writeBytes(ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(6).array());
    f.writeBytes(PickleBytes.floats(0, 1, 2, 3, 4, 5));
    Path file = Files.write(tmp.resolve("view.pth"), f.toByteArray());
    // storage view starts at element 2, tensor offset 1 within it, stride 1: elements 3, 4
    assertThat(TorchCheckpoint.read(file).get("v").toFloatArray()).containsExactly(3f, 4f);
  }

  @Test
  void halfPrecisionDecodesExactly() {
    assertThat(TorchTensor.halfToFloat((short) 0x3c00)).isEqualTo(1f);
    assertThat(TorchTensor.halfToFloat((short) 0xc000)).isEqualTo(-2f);
    assertThat(TorchTensor.halfToFloat((short) 0x7bff)).isEqualTo(65504f);
    assertThat(TorchTensor.halfToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
    assertThat(TorchTensor.halfToFloat((short) 0x8000)).isEqualTo(-0f);
    assertThat(TorchTensor.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(TorchTensor.halfToFloat((short) 0x7e00)).isNaN();
  }
}
