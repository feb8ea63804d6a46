package org.fssd.model;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.ModelFormatException;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads the DL4J part of a model or checkpoint zip (what {@code ModelSerializer.writeModel} wrote)
 * with every entry's size bounded <b>before</b> it is inflated, in place of {@code
 * ModelSerializer.restoreComputationGraph}.
 *
 * <p>Why not {@code ModelSerializer}: it inflates every entry of the zip into memory, whatever its
 * name, before looking at any of them (a 1 GB-inflating entry of zeros, a few kilobytes compressed,
 * costs gigabytes of heap and seconds); it parses a {@code configuration.json} of any size; it
 * trusts the lengths in the ND4J array header of {@code coefficients.bin}; and it deserialises a
 * {@code preprocessor.bin} entry with Java serialisation. Here:
 *
 * <ul>
 *   <li>every entry name must be in the caller's list of allowed entries, each with a byte limit;
 *       an unknown or duplicated entry refuses the file;
 *   <li>the size the zip declares for an entry is checked against its limit first, and the entry is
 *       then read through a stream that stops with an error one byte past the limit (the declared
 *       size can lie);
 *   <li>{@code coefficients.bin} must hold exactly the ND4J binary form of a float vector of the
 *       expected parameter count (see {@link #coefficientBytes(long)}); its header is parsed and
 *       checked before ND4J allocates anything;
 *   <li>{@code updaterState.bin} is read only when the updater is wanted, and must then hold
 *       exactly the state size of the restored graph's updater.
 * </ul>
 *
 * <p>Every refusal is a {@link ModelFormatException} naming the file, the entry and the limit.
 */
public final class ModelZip {
  /** DL4J's entry holding the graph configuration JSON. */
  public static final String CONFIGURATION = "configuration.json";

  /** DL4J's entry holding the flattened parameters. */
  public static final String COEFFICIENTS = "coefficients.bin";

  /** DL4J's entry holding the updater (optimiser) state, when written with it. */
  public static final String UPDATER_STATE = "updaterState.bin";

  /**
   * Bytes of the ND4J header of a rank-1 float array as {@code Nd4j.write} stores it (DL4J
   * 1.0.0-M2.1): the shape-information buffer (allocation mode as modified UTF-8 {@code
   * "MIXED_DATA_TYPES"}: 2 + 16 bytes; its length as a long: 8; data type {@code "LONG"}: 2 + 4;
   * the 2 * rank + 4 = 6 longs: 48) and the data buffer's header (allocation mode: 18; length: 8;
   * data type {@code "FLOAT"}: 2 + 5). A rank-2 {@code [1, n]} vector has two more longs (16
   * bytes).
   */
  static final int HEADER_BYTES_RANK1 = 18 + 8 + 6 + 6 * 8 + 18 + 8 + 7;

  private ModelZip() {}

  /**
   * Exact size of {@code coefficients.bin} for {@code params} float parameters stored as a rank-1
   * vector, as DL4J 1.0.0-M2.1 writes it: {@value #HEADER_BYTES_RANK1} header bytes plus 4 bytes
   * per parameter (a rank-2 {@code [1, n]} vector, which older writers used, has 16 more).
   */
  public static long coefficientBytes(long params) {
    return HEADER_BYTES_RANK1 + 4 * params;
  }

  /** The number of parameters {@code conf} implies, computed without allocating them. */
  public static long paramCount(ComputationGraphConfiguration conf) {
    long n = 0;
    for (GraphVertex v : conf.getVertices().values()) {
      n += v.numParams(true);
    }
    return n;
  }

  /**
   * A limit for {@code configuration.json} of a model of {@code config}: four times the length of
   * the JSON this version writes for it, plus 64 KiB (older versions wrote shorter JSON; the slack
   * leaves room for a newer DL4J's extra fields), so a hostile entry can never make the JSON parser
   * build gigabytes of tree.
   */
  public static long configurationLimit(FssdConfig config) {
    return configurationLimit(FssdGraph.configuration(config));
  }

  static long configurationLimit(ComputationGraphConfiguration conf) {
    return 4L * conf.toJson().length() + (64 << 10);
  }

  /** Entry names and their byte limits, for {@link #restore}; insertion-ordered. */
  public static final class Limits {
    private final Map<String, Long> limits = new LinkedHashMap<>();

    /** Allows {@code entry} with at most {@code maxBytes} inflated bytes; returns this. */
    public Limits allow(String entry, long maxBytes) {
      limits.put(entry, maxBytes);
      return this;
    }

    @Nullable Long limit(String entry) {
      return limits.get(entry);
    }

    @Override
    public String toString() {
      return limits.toString();
    }
  }

  /**
   * Checks the entry list of {@code zip}: every entry allowed by {@code limits}, none twice, each
   * declared size within its limit.
   */
  public static void checkEntries(Path file, ZipFile zip, Limits limits) {
    Set<String> seen = new HashSet<>();
    Enumeration<? extends ZipEntry> entries = zip.entries();
    while (entries.hasMoreElements()) {
      ZipEntry e = entries.nextElement();
      String name = e.getName();
      Long limit = limits.limit(name);
      if (limit == null) {
        throw new ModelFormatException(
            file
                + ": unexpected zip entry '"
                + printable(name)
                + "' (a model file holds only "
                + limits.limits.keySet()
                + ")");
      }
      if (!seen.add(name)) {
        throw new ModelFormatException(file + ": zip entry " + name + " appears more than once");
      }
      if (e.getSize() > limit) {
        throw tooLarge(file, name, limit, "declares " + e.getSize() + " bytes, more than allowed");
      }
    }
  }

  /**
   * Reads entry {@code name} entirely, refusing it once more than {@code limit} bytes come out.
   *
   * @return the bytes, or {@code null} when there is no such entry
   */
  public static byte @Nullable [] readEntry(Path file, ZipFile zip, String name, long limit) {
    ZipEntry e = zip.getEntry(name);
    if (e == null) {
      return null;
    }
    if (e.getSize() > limit) {
      throw tooLarge(file, name, limit, "declares " + e.getSize() + " bytes, more than allowed");
    }
    try (InputStream in = new Bounded(zip.getInputStream(e), file, name, limit)) {
      return in.readAllBytes();
    } catch (IOException ex) {
      throw new ModelFormatException(
          file + ": cannot read zip entry " + name + ": " + ex.getMessage(), ex);
    }
  }

  /**
   * Restores the computation graph of a zip whose entries were checked by {@link #checkEntries}.
   *
   * @param expectedParams the parameter count the caller expects, or -1 to take the count the
   *     stored configuration implies (its size is then bounded by {@code configurationLimit})
   * @param configurationLimit byte limit of {@value #CONFIGURATION}
   * @param loadUpdater also restore the updater state ({@value #UPDATER_STATE}) when present
   */
  public static ComputationGraph restore(
      Path file, ZipFile zip, long expectedParams, long configurationLimit, boolean loadUpdater) {
    byte[] json = readEntry(file, zip, CONFIGURATION, configurationLimit);
    if (json == null) {
      throw new ModelFormatException(
          file + ": no " + CONFIGURATION + " entry (not a DL4J model zip)");
    }
    ComputationGraphConfiguration conf;
    try {
      conf = ComputationGraphConfiguration.fromJson(new String(json, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new ModelFormatException(
          file + ": invalid " + CONFIGURATION + ": " + e.getMessage(), e);
    }
    if (conf.getNetworkInputs() == null
        || conf.getVertices() == null
        || conf.getVertices().isEmpty()) {
      throw new ModelFormatException(file + ": " + CONFIGURATION + " is not a computation graph");
    }
    long stored;
    try {
      stored = paramCount(conf);
    } catch (RuntimeException e) {
      throw new ModelFormatException(
          file + ": invalid " + CONFIGURATION + ": " + e.getMessage(), e);
    }
    if (expectedParams >= 0 && stored != expectedParams) {
      throw new ModelFormatException(
          file
              + ": "
              + CONFIGURATION
              + " describes a network of "
              + stored
              + " parameters, the model's configuration needs "
              + expectedParams);
    }
    INDArray params = readVector(file, zip, COEFFICIENTS, stored);
    ComputationGraph graph;
    try {
      conf.setDataType(params.dataType());
      graph = new ComputationGraph(conf);
      graph.init(params, false);
    } catch (RuntimeException e) {
      throw new ModelFormatException(
          file + ": cannot build the stored network: " + e.getMessage(), e);
    }
    if (loadUpdater && zip.getEntry(UPDATER_STATE) != null) {
      INDArray view = graph.getUpdater(true).getStateViewArray();
      long state = view == null ? 0 : view.length();
      INDArray restored = readVector(file, zip, UPDATER_STATE, state);
      if (state > 0) {
        graph.getUpdater().setStateViewArray(restored);
      }
    }
    return graph;
  }

  /**
   * Reads an ND4J float vector of exactly {@code length} elements from {@code entry}: the zip's
   * declared size and the header are checked first, the data is read through a bounded stream.
   */
  static INDArray readVector(Path file, ZipFile zip, String entry, long length) {
    ZipEntry e = zip.getEntry(entry);
    if (e == null) {
      throw new ModelFormatException(file + ": no " + entry + " entry");
    }
    long rank1 = coefficientBytes(length);
    long rank2 = rank1 + 16;
    if (e.getSize() >= 0 && e.getSize() != rank1 && e.getSize() != rank2) {
      throw new ModelFormatException(
          file
              + ": zip entry "
              + entry
              + " declares "
              + e.getSize()
              + " bytes, but "
              + length
              + " float values take exactly "
              + rank1
              + " bytes (limit "
              + rank2
              + ")");
    }
    try (Bounded in = new Bounded(zip.getInputStream(e), file, entry, rank2)) {
      byte[] head = in.readNBytes(HEADER_BYTES_RANK1 + 16);
      int headerLength = checkHeader(file, entry, head, length);
      INDArray array;
      try (DataInputStream data =
          new DataInputStream(
              new SequenceInputStream(new ByteArrayInputStream(head), new NonClosing(in)))) {
        array = Nd4j.read(data);
        if (data.read() >= 0) {
          throw new ModelFormatException(
              file
                  + ": zip entry "
                  + entry
                  + " has bytes after its "
                  + length
                  + " values (limit "
                  + (headerLength + 4 * length)
                  + " bytes)");
        }
      }
      if (array.length() != length || array.dataType() != DataType.FLOAT) {
        throw new ModelFormatException(
            file
                + ": zip entry "
                + entry
                + " holds "
                + array.length()
                + " "
                + array.dataType()
                + " values, expected "
                + length
                + " FLOAT");
      }
      return array;
    } catch (IOException ex) {
      throw new ModelFormatException(
          file + ": zip entry " + entry + " is truncated or unreadable: " + ex.getMessage(), ex);
    } catch (ModelFormatException ex) {
      throw ex;
    } catch (RuntimeException ex) {
      ModelFormatException cause = causeOf(ex);
      if (cause != null) {
        throw cause;
      }
      throw new ModelFormatException(
          file + ": zip entry " + entry + " is not a valid ND4J array: " + ex.getMessage(), ex);
    }
  }

  /** Validates the ND4J header in {@code head}; returns its length in bytes. */
  private static int checkHeader(Path file, String entry, byte[] head, long length)
      throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(head));
    String where = file + ": zip entry " + entry + ": ";
    String mode = in.readUTF();
    long infoLength = in.readLong();
    String infoType = in.readUTF();
    if (!isAllocationMode(mode)
        || !infoType.equals("LONG")
        || (infoLength != 6 && infoLength != 8)) {
      throw new ModelFormatException(
          where
              + "not the ND4J header of a float vector (shape buffer "
              + printable(mode)
              + "/"
              + printable(infoType)
              + "/"
              + infoLength
              + ")");
    }
    long rank = in.readLong();
    if (rank != (infoLength - 4) / 2) {
      throw new ModelFormatException(
          where + "shape information of rank " + rank + " in a buffer of " + infoLength);
    }
    long elements = 1;
    for (int i = 0; i < rank; i++) {
      elements *= in.readLong();
    }
    for (int i = 0; i < infoLength - 1 - rank; i++) {
      in.readLong(); // strides, flags, element-wise stride, order
    }
    String dataMode = in.readUTF();
    long dataLength = in.readLong();
    String dataType = in.readUTF();
    if (!isAllocationMode(dataMode)
        || !dataType.equals("FLOAT")
        || dataLength != length
        || elements != length) {
      throw new ModelFormatException(
          where
              + "holds "
              + dataLength
              + " "
              + printable(dataType)
              + " values of shape size "
              + elements
              + ", expected "
              + length
              + " FLOAT (limit "
              + coefficientBytes(length)
              + " bytes)");
    }
    return head.length - in.available();
  }

  private static boolean isAllocationMode(String s) {
    return s.equals("MIXED_DATA_TYPES")
        || s.equals("LONG_SHAPE")
        || s.equals("DIRECT")
        || s.equals("HEAP")
        || s.equals("JAVACPP");
  }

  private static @Nullable ModelFormatException causeOf(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ModelFormatException m) {
        return m;
      }
    }
    return null;
  }

  private static ModelFormatException tooLarge(Path file, String entry, long limit, String what) {
    return new ModelFormatException(
        file + ": zip entry " + entry + " " + what + " (limit " + limit + " bytes for it)");
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < Math.min(s.length(), 80); i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return b.toString();
  }

  /** Counts what comes out and fails one byte past the limit, whatever the zip declared. */
  private static final class Bounded extends FilterInputStream {
    private final Path file;
    private final String entry;
    private final long limit;
    private long count;

    Bounded(InputStream in, Path file, String entry, long limit) {
      super(in);
      this.file = file;
      this.entry = entry;
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int c = super.read();
      if (c >= 0) {
        count(1);
      }
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      // Never ask for more than one byte past the limit, so that overshoot is detected without
      // inflating the rest.
      int n = super.read(b, off, (int) Math.min(len, Math.max(1, limit + 1 - count)));
      if (n > 0) {
        count(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = super.skip(Math.min(n, Math.max(1, limit + 1 - count)));
      count(s);
      return s;
    }

    private void count(long n) {
      count += n;
      if (count > limit) {
        throw tooLarge(file, entry, limit, "inflates to more bytes than allowed");
      }
    }
  }

  /** Keeps {@code SequenceInputStream} from closing the bounded stream under the caller. */
  private static final class NonClosing extends FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {}
  }
}
