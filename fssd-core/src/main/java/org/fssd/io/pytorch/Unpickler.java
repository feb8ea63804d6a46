package org.fssd.io.pytorch;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle virtual machine for protocols 2 to 5 that knows only the opcodes a {@code torch.save}
 * state_dict needs and only an allow-list of globals. It never imports, calls or executes anything:
 * a global outside the allow-list is refused as soon as its GLOBAL or STACK_GLOBAL opcode is read,
 * and REDUCE on an allowed global builds a plain Java value.
 *
 * <p>Values: Python {@code None} is {@link #NONE}, {@code int} is {@link Long} (or {@link
 * BigInteger} beyond 64 bits), {@code float} is {@link Double}, {@code bool} is {@link Boolean},
 * {@code str} is {@link String}, {@code bytes} is {@code byte[]}, {@code tuple} is {@link Tuple},
 * {@code list} is a mutable {@link ArrayList}, {@code dict} and {@code OrderedDict} are a {@link
 * LinkedHashMap}, a global is a {@link Global}, {@code _rebuild_tensor_v2(...)} is a {@link
 * TensorRef} and a persistent id is whatever the {@link PersistentLoader} returns.
 *
 * <p>Every count read from the input is checked against the bytes left before allocation; the
 * opcode count, stack depth, MARK nesting and string length are bounded by {@link ReaderLimits}.
 * Any problem is a {@link CheckpointFormatException} naming the file, the pickle, the offset and
 * the opcode. Not thread-safe; one instance reads one pickle.
 */
final class Unpickler {
  /** Python's {@code None}. */
  enum PyNone {
    NONE;

    @Override
    public String toString() {
      return "None";
    }
  }

  /** Python's {@code None}. */
  static final PyNone NONE = PyNone.NONE;

  /** A reference to an allowed global {@code module.name}; never called. */
  record Global(String module, String name) {
    String qualifiedName() {
      return module + "." + name;
    }
  }

  /** An immutable Python tuple. */
  static final class Tuple {
    private final ImmutableList<Object> items;

    Tuple(List<Object> items) {
      this.items = ImmutableList.copyOf(items);
    }

    int size() {
      return items.size();
    }

    Object get(int i) {
      return items.get(i);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Tuple && ((Tuple) o).items.equals(items);
    }

    @Override
    public int hashCode() {
      return items.hashCode();
    }

    @Override
    public String toString() {
      return "tuple of " + items.size();
    }
  }

  /** Resolves a persistent id (BINPERSID); throws {@link CheckpointFormatException}. */
  interface PersistentLoader {
    /**
     * @param pid the persistent id popped from the stack
     * @param where "data.pkl offset 123", for messages
     */
    Object load(Object pid, String where);
  }

  /** A loader for pickles that must not hold persistent ids. */
  static final PersistentLoader NO_PERSISTENT_IDS =
      (pid, where) -> {
        throw new IllegalStateException("unreachable");
      };

  static final String OBJ_ORDERED_DICT = "collections.OrderedDict";
  static final String REBUILD_TENSOR_V2 = "torch._utils._rebuild_tensor_v2";
  static final String REBUILD_PARAMETER = "torch._utils._rebuild_parameter";

  /** Every global a pickle may name: {@code module.name}. */
  static final ImmutableSet<String> ALLOWED_GLOBALS;

  static {
    ImmutableSet.Builder<String> b = ImmutableSet.builder();
    b.add(OBJ_ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_PARAMETER);
    for (TorchDtype t : TorchDtype.values()) {
      b.add("torch." + t.storageClass());
    }
    ALLOWED_GLOBALS = b.build();
  }

  private static final int MAX_GLOBAL_NAME = 256;
  private static final int MAX_DICT_KEY_DEPTH = 8;

  private final Path file;
  private final String pickleName;
  private final BoundedInput in;
  private final ReaderLimits limits;
  private final PersistentLoader persistentLoader;
  private final long start;

  private final ArrayList<Object> stack = new ArrayList<>();
  private final ArrayList<Integer> marks = new ArrayList<>();
  private final HashMap<Long, Object> memo = new HashMap<>();
  private long opOffset;
  private int opcode;

  /**
   * @param file the checkpoint, for messages
   * @param pickleName which pickle this is, for messages (e.g. "data.pkl")
   * @param in positioned at the pickle's first byte; offsets in messages count from here
   * @param persistentLoader resolves BINPERSID; {@link #NO_PERSISTENT_IDS} refuses them
   */
  Unpickler(
      Path file,
      String pickleName,
      BoundedInput in,
      ReaderLimits limits,
      PersistentLoader persistentLoader) {
    this.file = file;
    this.pickleName = pickleName;
    this.in = in;
    this.limits = limits;
    this.persistentLoader = persistentLoader;
    this.start = in.position();
  }

  /** Runs the pickle up to its STOP and returns its value. */
  Object load() {
    long ops = 0;
    while (true) {
      opOffset = in.position() - start;
      opcode = readU8("opcode");
      if (++ops > limits.maxPickleOps()) {
        throw fail("more than " + limits.maxPickleOps() + " opcodes (ReaderLimits.maxPickleOps)");
      }
      switch (opcode) {
        case 0x80: // PROTO
          {
            int proto = readU8("protocol number");
            if (proto < 2 || proto > 5) {
              throw fail("unsupported pickle protocol " + proto + " (2 to 5 are read)");
            }
            break;
          }
        case 0x95: // FRAME: a length hint only
          {
            long n = readLongLe("FRAME length");
            if (n < 0 || n > in.remaining()) {
              throw fail("FRAME of " + n + " bytes, " + in.remaining() + " left");
            }
            break;
          }
        case '.': // STOP
          {
            Object result = pop();
            return result;
          }
        case 'c': // GLOBAL
          {
            String module = readLine("GLOBAL module");
            String name = readLine("GLOBAL name");
            push(global(module, name));
            break;
          }
        case 0x93: // STACK_GLOBAL
          {
            Object name = pop();
            Object module = pop();
            if (!(module instanceof String) || !(name instanceof String)) {
              throw fail(
                  "STACK_GLOBAL needs two strings, got "
                      + typeName(module)
                      + " and "
                      + typeName(name));
            }
            push(global((String) module, (String) name));
            break;
          }
        case 'q': // BINPUT
          memoPut(readU8("BINPUT index"));
          break;
        case 'r': // LONG_BINPUT
          memoPut(readU32("LONG_BINPUT index"));
          break;
        case 0x94: // MEMOIZE
          memoPut(memo.size());
          break;
        case 'h': // BINGET
          push(memoGet(readU8("BINGET index")));
          break;
        case 'j': // LONG_BINGET
          push(memoGet(readU32("LONG_BINGET index")));
          break;
        case '(': // MARK
          if (marks.size() >= limits.maxNesting()) {
            throw fail(
                "more than " + limits.maxNesting() + " nested MARKs (ReaderLimits.maxNesting)");
          }
          marks.add(stack.size());
          break;
        case '}': // EMPTY_DICT
          push(new LinkedHashMap<Object, Object>());
          break;
        case ']': // EMPTY_LIST
          push(new ArrayList<Object>());
          break;
        case ')': // EMPTY_TUPLE
          push(new Tuple(List.of()));
          break;
        case 't': // TUPLE
          push(new Tuple(popMark()));
          break;
        case 0x85: // TUPLE1
          push(new Tuple(popN(1)));
          break;
        case 0x86: // TUPLE2
          push(new Tuple(popN(2)));
          break;
        case 0x87: // TUPLE3
          push(new Tuple(popN(3)));
          break;
        case 'K': // BININT1
          push((long) readU8("BININT1"));
          break;
        case 'M': // BININT2
          {
            byte[] b = readBytes(2, "BININT2");
            push((long) ((b[0] & 0xff) | (b[1] & 0xff) << 8));
            break;
          }
        case 'J': // BININT
          {
            byte[] b = readBytes(4, "BININT");
            push((long) ((b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | b[3] << 24));
            break;
          }
        case 0x8a: // LONG1
          {
            int n = readU8("LONG1 length");
            byte[] le = readBytes(n, "LONG1");
            push(littleEndianInt(le));
            break;
          }
        case 'G': // BINFLOAT
          push(ByteBuffer.wrap(readBytes(8, "BINFLOAT")).getDouble());
          break;
        case 'X': // BINUNICODE
          push(utf8(readBytes(stringLength(readU32("BINUNICODE length")), "BINUNICODE")));
          break;
        case 0x8c: // SHORT_BINUNICODE
          push(utf8(readBytes(stringLength(readU8("SHORT_BINUNICODE length")), "string")));
          break;
        case 0x8d: // BINUNICODE8
          push(utf8(readBytes(stringLength(readLongLe("BINUNICODE8 length")), "BINUNICODE8")));
          break;
        case 'T': // BINSTRING (Python 2 str), signed length
          push(latin1(readBytes(stringLength(readS32("BINSTRING length")), "BINSTRING")));
          break;
        case 'U': // SHORT_BINSTRING
          push(latin1(readBytes(stringLength(readU8("SHORT_BINSTRING length")), "string")));
          break;
        case 'B': // BINBYTES
          push(readBytes(stringLength(readU32("BINBYTES length")), "BINBYTES"));
          break;
        case 'C': // SHORT_BINBYTES
          push(readBytes(stringLength(readU8("SHORT_BINBYTES length")), "SHORT_BINBYTES"));
          break;
        case 'N': // NONE
          push(NONE);
          break;
        case 0x88: // NEWTRUE
          push(Boolean.TRUE);
          break;
        case 0x89: // NEWFALSE
          push(Boolean.FALSE);
          break;
        case 's': // SETITEM
          {
            Object value = pop();
            Object key = pop();
            putItem(dictOnTop("SETITEM"), key, value);
            break;
          }
        case 'u': // SETITEMS
          {
            List<Object> items = popMark();
            if (items.size() % 2 != 0) {
              throw fail("SETITEMS with an odd number (" + items.size() + ") of keys and values");
            }
            Map<Object, Object> dict = dictOnTop("SETITEMS");
            for (int i = 0; i < items.size(); i += 2) {
              putItem(dict, items.get(i), items.get(i + 1));
            }
            break;
          }
        case 'd': // DICT
          {
            List<Object> items = popMark();
            if (items.size() % 2 != 0) {
              throw fail("DICT with an odd number (" + items.size() + ") of keys and values");
            }
            Map<Object, Object> dict = new LinkedHashMap<>();
            for (int i = 0; i < items.size(); i += 2) {
              putItem(dict, items.get(i), items.get(i + 1));
            }
            push(dict);
            break;
          }
        case 'a': // APPEND
          {
            Object value = pop();
            listOnTop("APPEND").add(value);
            break;
          }
        case 'e': // APPENDS
          {
            List<Object> items = popMark();
            listOnTop("APPENDS").addAll(items);
            break;
          }
        case 'l': // LIST
          push(new ArrayList<>(popMark()));
          break;
        case '0': // POP
          if (stack.size() > currentMark()) {
            pop();
          } else {
            popMark();
          }
          break;
        case '1': // POP_MARK
          popMark();
          break;
        case 'Q': // BINPERSID
          {
            Object pid = pop();
            if (persistentLoader == NO_PERSISTENT_IDS) {
              throw fail("a persistent id is not expected in this pickle");
            }
            push(persistentLoader.load(pid, where()));
            break;
          }
        case 'R': // REDUCE
          {
            Object args = pop();
            Object callable = pop();
            push(reduce(callable, args));
            break;
          }
        case 0x81: // NEWOBJ
          {
            Object args = pop();
            Object cls = pop();
            if (!(cls instanceof Global)
                || !((Global) cls).qualifiedName().equals(OBJ_ORDERED_DICT)
                || !(args instanceof Tuple)
                || ((Tuple) args).size() != 0) {
              throw fail("NEWOBJ is only read for collections.OrderedDict with no arguments");
            }
            push(new LinkedHashMap<Object, Object>());
            break;
          }
        case 'b': // BUILD
          {
            pop(); // the state: OrderedDict attributes such as _metadata, ignored
            Object target = top("BUILD");
            if (!(target instanceof Map)) {
              throw fail("BUILD is only read on a dict, not on a " + typeName(target));
            }
            break;
          }
        default:
          throw fail(String.format("unsupported pickle opcode 0x%02x", opcode));
      }
    }
  }

  // ---- values ----------------------------------------------------------------------------

  private Object global(String module, String name) {
    String qualified = module + "." + name;
    if (!ALLOWED_GLOBALS.contains(qualified)) {
      throw new CheckpointFormatException(
          file,
          "pickle refers to forbidden global '"
              + shorten(qualified)
              + "' ("
              + where()
              + "; allowed: "
              + String.join(", ", ALLOWED_GLOBALS)
              + ")");
    }
    return new Global(module, name);
  }

  private Object reduce(Object callable, Object argsObject) {
    if (!(callable instanceof Global)) {
      throw fail("REDUCE calls a " + typeName(callable) + ", not a global");
    }
    if (!(argsObject instanceof Tuple)) {
      throw fail("REDUCE arguments are a " + typeName(argsObject) + ", not a tuple");
    }
    Tuple args = (Tuple) argsObject;
    String name = ((Global) callable).qualifiedName();
    switch (name) {
      case OBJ_ORDERED_DICT:
        {
          Map<Object, Object> dict = new LinkedHashMap<>();
          if (args.size() == 1 && args.get(0) instanceof List) {
            for (Object pair : (List<?>) args.get(0)) {
              List<?> kv = pairOf(pair);
              putItem(dict, kv.get(0), kv.get(1));
            }
          } else if (args.size() != 0) {
            throw fail("OrderedDict with " + args.size() + " arguments");
          }
          return dict;
        }
      case REBUILD_TENSOR_V2:
        return TensorRef.rebuild(args, this::fail);
      case REBUILD_PARAMETER:
        if (args.size() < 1 || !(args.get(0) instanceof TensorRef)) {
          throw fail("_rebuild_parameter needs a tensor as first argument");
        }
        return args.get(0);
      default:
        throw fail("global '" + name + "' may not be called");
    }
  }

  private List<?> pairOf(Object pair) {
    if (pair instanceof Tuple && ((Tuple) pair).size() == 2) {
      return List.of(((Tuple) pair).get(0), ((Tuple) pair).get(1));
    }
    if (pair instanceof List && ((List<?>) pair).size() == 2) {
      return (List<?>) pair;
    }
    throw fail("OrderedDict item is a " + typeName(pair) + ", not a key-value pair");
  }

  private void putItem(Map<Object, Object> dict, Object key, Object value) {
    if (!isHashable(key, 0)) {
      throw fail("dict key of unsupported type " + typeName(key));
    }
    dict.put(key, value);
  }

  /** Scalars and (shallow) tuples of them: never a mutable or self-referencing value. */
  private static boolean isHashable(Object key, int depth) {
    if (key instanceof String
        || key instanceof Long
        || key instanceof BigInteger
        || key instanceof Double
        || key instanceof Boolean
        || key == NONE) {
      return true;
    }
    if (key instanceof Tuple && depth < MAX_DICT_KEY_DEPTH) {
      Tuple t = (Tuple) key;
      for (int i = 0; i < t.size(); i++) {
        if (!isHashable(t.get(i), depth + 1)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  @SuppressWarnings("unchecked")
  private Map<Object, Object> dictOnTop(String op) {
    Object target = top(op);
    if (!(target instanceof Map)) {
      throw fail(op + " on a " + typeName(target) + ", not a dict");
    }
    return (Map<Object, Object>) target;
  }

  @SuppressWarnings("unchecked")
  private List<Object> listOnTop(String op) {
    Object target = top(op);
    if (!(target instanceof ArrayList)) {
      throw fail(op + " on a " + typeName(target) + ", not a list");
    }
    return (List<Object>) target;
  }

  private static Object littleEndianInt(byte[] le) {
    if (le.length == 0) {
      return 0L;
    }
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) {
      be[i] = le[le.length - 1 - i];
    }
    BigInteger v = new BigInteger(be); // two's complement
    return v.bitLength() < 64 ? (Object) v.longValue() : v;
  }

  private String utf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw fail("string is not valid UTF-8");
    }
  }

  private static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** A newline-terminated ASCII line (GLOBAL operands), bounded in length. */
  private String readLine(String what) {
    StringBuilder sb = new StringBuilder();
    while (true) {
      int c = readU8(what);
      if (c == '\n') {
        return sb.toString();
      }
      if (c < 0x20 || c > 0x7e) {
        throw fail(String.format("%s holds a non-printable byte 0x%02x", what, c));
      }
      if (sb.length() >= MAX_GLOBAL_NAME) {
        throw fail(what + " is longer than " + MAX_GLOBAL_NAME + " characters");
      }
      sb.append((char) c);
    }
  }

  private long stringLength(long n) {
    if (n < 0 || n > limits.maxStringLength()) {
      throw fail(
          "string length "
              + n
              + " outside 0.."
              + limits.maxStringLength()
              + " (ReaderLimits.maxStringLength)");
    }
    return n;
  }

  // ---- stack and memo -----------------------------------------------------------------

  private int currentMark() {
    return marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
  }

  private void push(Object v) {
    if (stack.size() >= limits.maxStackDepth()) {
      throw fail(
          "pickle stack deeper than " + limits.maxStackDepth() + " (ReaderLimits.maxStackDepth)");
    }
    stack.add(v);
  }

  private Object pop() {
    if (stack.size() <= currentMark()) {
      throw fail("stack underflow");
    }
    return stack.remove(stack.size() - 1);
  }

  private Object top(String op) {
    if (stack.size() <= currentMark()) {
      throw fail(op + " on an empty stack");
    }
    return stack.get(stack.size() - 1);
  }

  private List<Object> popN(int n) {
    if (stack.size() - currentMark() < n) {
      throw fail("stack underflow: " + n + " values needed");
    }
    List<Object> view = stack.subList(stack.size() - n, stack.size());
    List<Object> out = new ArrayList<>(view);
    view.clear();
    return out;
  }

  private List<Object> popMark() {
    if (marks.isEmpty()) {
      throw fail("no MARK to pop to");
    }
    int mark = marks.remove(marks.size() - 1);
    List<Object> view = stack.subList(mark, stack.size());
    List<Object> out = new ArrayList<>(view);
    view.clear();
    return out;
  }

  private void memoPut(long index) {
    memo.put(index, top("memo put"));
  }

  private Object memoGet(long index) {
    Object v = memo.get(index);
    if (v == null) {
      throw fail("memo index " + index + " was never stored");
    }
    return v;
  }

  // ---- input -----------------------------------------------------------------------------

  private int readU8(String what) {
    return in.readU8(pickleName + " " + what);
  }

  private byte[] readBytes(long n, String what) {
    return in.readBytes(n, pickleName + " " + what);
  }

  private long readU32(String what) {
    byte[] b = readBytes(4, what);
    return (b[0] & 0xffL) | (b[1] & 0xffL) << 8 | (b[2] & 0xffL) << 16 | (b[3] & 0xffL) << 24;
  }

  private long readS32(String what) {
    return (int) readU32(what);
  }

  private long readLongLe(String what) {
    return in.readLongLe(pickleName + " " + what);
  }

  // ---- messages --------------------------------------------------------------------------

  private String where() {
    return pickleName + " offset " + opOffset;
  }

  /** An exception naming the file, the pickle, the offset and opcode being run. */
  CheckpointFormatException fail(String problem) {
    return new CheckpointFormatException(
        file, String.format("%s (opcode 0x%02x): %s", where(), opcode, problem));
  }

  /** A short name of a value's Python type, for messages (never the value itself). */
  static String typeName(Object v) {
    if (v == NONE) {
      return "None";
    } else if (v instanceof Long || v instanceof BigInteger) {
      return "int";
    } else if (v instanceof Double) {
      return "float";
    } else if (v instanceof Boolean) {
      return "bool";
    } else if (v instanceof String) {
      return "str";
    } else if (v instanceof byte[]) {
      return "bytes";
    } else if (v instanceof Tuple) {
      return "tuple";
    } else if (v instanceof List) {
      return "list";
    } else if (v instanceof Map) {
      return "dict";
    } else if (v instanceof Global) {
      return "global " + ((Global) v).qualifiedName();
    } else if (v instanceof TensorRef) {
      return "tensor";
    } else if (v instanceof StorageRef) {
      return "storage";
    }
    return v == null ? "null" : v.getClass().getSimpleName();
  }

  /** Keeps hostile strings in messages short and printable. */
  static String shorten(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 120; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (s.length() > 120) {
      sb.append("...");
    }
    return sb.toString();
  }
}
