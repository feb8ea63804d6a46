package org.fssd.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.fssd.FssdException;
import org.fssd.ModelFormatException;
import org.fssd.io.AtomicFiles;
import org.jspecify.annotations.Nullable;

/**
 * The native model file: a DL4J {@code ModelSerializer} zip (configuration.json, coefficients.bin,
 * optionally the updater state) plus one entry {@value #ENTRY}:
 *
 * <pre>{@code
 * {"format": "fssd4j-model", "formatVersion": 1,
 *  "config": {...FssdConfig, see ConfigJson...},
 *  "labels": ["aeroplane", ...],            // object classes 1..C-1
 *  "provenance": {"source": "...", ...}}
 * }</pre>
 *
 * <p>Format version 2 is an int8-quantised model ({@link Quantization}, written by {@code fssd
 * quantize}): version 1 plus
 *
 * <pre>{@code
 * "quantization": {"precision": "int8", "method": "mse", "calibration": "...",
 *                  "ranges": {"input": 151.0, "base.0": 17.2, ...}}
 * }</pre>
 *
 * Models without a quantisation are still written as version 1, so that older readers keep reading
 * them; an older reader refuses a version-2 file, naming the version it reads.
 *
 * <p>Reading refuses files of a newer format version (naming the maximum supported), files without
 * {@value #ENTRY}, and graphs whose parameters do not fit the recorded configuration. Writing goes
 * to a temporary file in the target directory that is then moved into place atomically, so a crash
 * never leaves a half-written model under the target name.
 */
public final class ModelFile {
  /** The zip entry holding the fssd4j metadata. */
  public static final String ENTRY = "fssd.json";

  /** The format identifier. */
  public static final String FORMAT = "fssd4j-model";

  /** The newest format version this reader understands (written for quantised models). */
  public static final int FORMAT_VERSION = 2;

  /** The format version of models without a quantisation. */
  public static final int FORMAT_VERSION_FP32 = 1;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final long MAX_METADATA_BYTES = 4 << 20;

  private ModelFile() {}

  /** Writes {@code model} to {@code file} atomically; {@code withUpdater} keeps optimiser state. */
  public static void write(FssdModel model, Path file, boolean withUpdater) {
    try {
      writeGraphZip(
          model.graph(),
          withUpdater,
          file,
          ENTRY,
          MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(metadata(model)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new FssdException(file + ": cannot write model metadata: " + e.getMessage(), e);
    }
  }

  /**
   * Writes a DL4J {@code ModelSerializer} zip of {@code graph} plus one extra entry ({@code entry}
   * = {@code content}, written first) to {@code file}, atomically ({@link AtomicFiles}). Used for
   * model files and training checkpoints.
   */
  public static void writeGraphZip(
      ComputationGraph graph, boolean withUpdater, Path file, String entry, byte[] content) {
    writeGraphZip(graph, withUpdater, file, java.util.Map.of(entry, content));
  }

  /**
   * As {@link #writeGraphZip(ComputationGraph, boolean, Path, String, byte[])} with several extra
   * entries (name to content, written first in the map's iteration order).
   */
  public static void writeGraphZip(
      ComputationGraph graph,
      boolean withUpdater,
      Path file,
      java.util.Map<String, byte[]> extraEntries) {
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new FssdException(file + ": cannot create directory " + dir + ": " + e.getMessage(), e);
    }
    AtomicFiles.write(
        file,
        out -> {
          Path graphTmp = Files.createTempFile(dir, "." + file.getFileName() + ".graph", ".tmp");
          try {
            ModelSerializer.writeModel(graph, graphTmp.toFile(), withUpdater);
            try (OutputStream os = Files.newOutputStream(out);
                ZipOutputStream zos = new ZipOutputStream(os);
                ZipFile graphZip = new ZipFile(graphTmp.toFile())) {
              for (java.util.Map.Entry<String, byte[]> x : extraEntries.entrySet()) {
                zos.putNextEntry(new ZipEntry(x.getKey()));
                zos.write(x.getValue());
                zos.closeEntry();
              }
              Enumeration<? extends ZipEntry> entries = graphZip.entries();
              while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                zos.putNextEntry(new ZipEntry(e.getName()));
                try (InputStream in = graphZip.getInputStream(e)) {
                  in.transferTo(zos);
                }
                zos.closeEntry();
              }
            }
          } finally {
            AtomicFiles.deleteQuietly(graphTmp);
          }
        });
  }

  private static ObjectNode metadata(FssdModel model) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", FORMAT);
    Quantization q = model.quantization();
    root.put("formatVersion", q == null ? FORMAT_VERSION_FP32 : FORMAT_VERSION);
    root.set("config", ConfigJson.toJson(model.config()));
    model.labels().objectClasses().forEach(root.putArray("labels")::add);
    ObjectNode prov = root.putObject("provenance");
    model.provenance().asMap().forEach(prov::put);
    if (q != null) {
      ObjectNode qn = root.putObject("quantization");
      qn.put("precision", "int8");
      qn.put("method", q.method());
      qn.put("calibration", q.calibration());
      ObjectNode ranges = qn.putObject("ranges");
      q.ranges().forEach(ranges::put);
    }
    return root;
  }

  /**
   * Reads a model file; every failure is a {@link ModelFormatException} naming the file.
   *
   * <p>The zip may hold only {@value #ENTRY} (at most 4 MiB), {@code configuration.json} (at most
   * {@link ModelZip#configurationLimit(FssdConfig)} of the recorded configuration), {@code
   * coefficients.bin} (exactly {@link ModelZip#coefficientBytes(long)} of the configuration's
   * parameter count) and {@code updaterState.bin} (written by {@code write(..., true)}; at most two
   * state values per parameter; not read). Each limit is checked against the size the zip declares
   * and again while inflating, so that no entry is ever inflated past its limit (see {@link
   * ModelZip}).
   */
  public static FssdModel read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ModelFormatException(file + ": no such model file");
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ModelZip.Limits names =
          new ModelZip.Limits()
              .allow(ENTRY, MAX_METADATA_BYTES)
              .allow(ModelZip.CONFIGURATION, Long.MAX_VALUE)
              .allow(ModelZip.COEFFICIENTS, Long.MAX_VALUE)
              .allow(ModelZip.UPDATER_STATE, Long.MAX_VALUE);
      if (zip.getEntry(ENTRY) == null) {
        throw new ModelFormatException(
            file + ": not an fssd4j model file (no " + ENTRY + " entry)");
      }
      ModelZip.checkEntries(file, zip, names);
      // Present: checked above.
      Metadata m =
          metadata(
              file,
              java.util.Objects.requireNonNull(
                  ModelZip.readEntry(file, zip, ENTRY, MAX_METADATA_BYTES)));
      org.deeplearning4j.nn.conf.ComputationGraphConfiguration expected;
      try {
        expected = FssdGraph.configuration(m.config());
      } catch (RuntimeException e) {
        throw new ModelFormatException(file + ": invalid " + ENTRY + ": " + e.getMessage(), e);
      }
      long params = ModelZip.paramCount(expected);
      long configLimit = ModelZip.configurationLimit(expected);
      ModelZip.checkEntries(
          file,
          zip,
          new ModelZip.Limits()
              .allow(ENTRY, MAX_METADATA_BYTES)
              .allow(ModelZip.CONFIGURATION, configLimit)
              .allow(ModelZip.COEFFICIENTS, ModelZip.coefficientBytes(params) + 16)
              .allow(ModelZip.UPDATER_STATE, ModelZip.coefficientBytes(2 * params) + 16));
      ComputationGraph graph = ModelZip.restore(file, zip, params, configLimit, false);
      checkFits(file, m.config(), graph);
      FssdModel model = FssdModel.of(m.config(), graph, m.labels(), m.provenance());
      return m.quantization() == null ? model : model.withQuantization(m.quantization());
    } catch (ZipException | NoSuchFileException e) {
      throw new ModelFormatException(
          file + ": not a readable model file (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read model file: " + e.getMessage(), e);
    }
  }

  private record Metadata(
      FssdConfig config,
      Labels labels,
      Provenance provenance,
      @Nullable Quantization quantization) {}

  private static Metadata metadata(Path file, byte[] bytes) {
    JsonNode meta;
    try {
      meta = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new ModelFormatException(file + ": invalid " + ENTRY + ": " + e.getMessage(), e);
    }
    FssdConfig config;
    Labels labels;
    Provenance provenance;
    Quantization quantization = null;
    try {
      if (meta == null || !meta.isObject() || !FORMAT.equals(meta.path("format").asText())) {
        throw new IllegalArgumentException("format is not '" + FORMAT + "'");
      }
      JsonNode version = meta.get("formatVersion");
      if (version == null || !version.isIntegralNumber()) {
        throw new IllegalArgumentException("missing formatVersion");
      }
      if (version.intValue() > FORMAT_VERSION || version.intValue() < 1) {
        throw new ModelFormatException(
            file
                + ": format version "
                + version.intValue()
                + " is not supported (this fssd4j "
                + Provenance.version()
                + " reads versions 1.."
                + FORMAT_VERSION
                + "; a newer file needs a newer fssd4j)");
      }
      config = ConfigJson.fromJson(meta.get("config"));
      JsonNode labelNode = meta.get("labels");
      if (labelNode == null || !labelNode.isArray()) {
        throw new IllegalArgumentException("missing labels array");
      }
      List<String> names = new ArrayList<>();
      labelNode.forEach(n -> names.add(n.asText()));
      labels = Labels.of(names);
      JsonNode provNode = meta.get("provenance");
      if (provNode != null && provNode.isObject() && provNode.size() > 0) {
        Map<String, String> m = new LinkedHashMap<>();
        provNode.fields().forEachRemaining(f -> m.put(f.getKey(), f.getValue().asText()));
        provenance = Provenance.fromMap(m);
      } else {
        provenance = Provenance.unknown();
      }
      JsonNode quant = meta.get("quantization");
      if (version.intValue() >= 2 && quant == null) {
        throw new IllegalArgumentException(
            "format version " + version.intValue() + " without a quantization object");
      }
      if (quant != null) {
        quantization = quantization(quant);
        quantization.checkCovers(config);
      }
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new ModelFormatException(file + ": invalid " + ENTRY + ": " + e.getMessage(), e);
    }
    return new Metadata(config, labels, provenance, quantization);
  }

  private static Quantization quantization(JsonNode q) {
    if (!q.isObject() || !"int8".equals(q.path("precision").asText())) {
      throw new IllegalArgumentException("quantization.precision is not 'int8'");
    }
    JsonNode ranges = q.get("ranges");
    if (ranges == null || !ranges.isObject()) {
      throw new IllegalArgumentException("quantization without a ranges object");
    }
    Map<String, Float> m = new LinkedHashMap<>();
    ranges
        .fields()
        .forEachRemaining(
            f -> {
              if (!f.getValue().isNumber()) {
                throw new IllegalArgumentException(
                    "quantization range of " + f.getKey() + " is not a number");
              }
              m.put(f.getKey(), f.getValue().floatValue());
            });
    return Quantization.of(
        q.path("method").asText("unknown"), q.path("calibration").asText("unknown"), m);
  }

  /** The stored graph must have exactly the parameters the recorded configuration implies. */
  private static void checkFits(Path file, FssdConfig config, ComputationGraph graph) {
    Set<String> outputs = new HashSet<>(graph.getConfiguration().getNetworkOutputs());
    if (!outputs.equals(Set.of(FssdGraph.LOC, FssdGraph.CONF))) {
      throw new ModelFormatException(
          file + ": network outputs " + outputs + " are not [loc, conf]");
    }
    for (ConvSpec c : config.convs()) {
      String name = !c.isHead() && config.batchNorm() ? c.name() + ".conv" : c.name();
      long[] expected = {c.out(), c.in(), c.kernel(), c.kernel()};
      org.nd4j.linalg.api.ndarray.INDArray w;
      try {
        w = graph.getParam(name + "_W");
      } catch (RuntimeException e) {
        w = null;
      }
      if (w == null) {
        throw new ModelFormatException(
            file + ": parameter " + name + "_W is missing from the network");
      }
      if (!java.util.Arrays.equals(w.shape(), expected)) {
        throw new ModelFormatException(
            file
                + ": parameter "
                + name
                + "_W has shape "
                + java.util.Arrays.toString(w.shape())
                + ", the configuration needs "
                + java.util.Arrays.toString(expected));
      }
    }
  }
}
