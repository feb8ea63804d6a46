package org.fssd.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.FssdException;
import org.fssd.ModelFormatException;
import org.fssd.model.ModelFile;
import org.fssd.model.ModelZip;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training checkpoints in a directory: {@code checkpoint-NNNNNNNNNN.zip} (N = iterations done, ten
 * digits), each a DL4J {@code ModelSerializer} zip of the training graph <b>with</b> the updater
 * state (SGD velocities) plus one entry {@value #ENTRY}:
 *
 * <pre>{@code {"format": "fssd4j-checkpoint", "formatVersion": 1, "state": {...TrainingState...}}}
 * </pre>
 *
 * <p>(written by {@link FssdTrainer}, the object also holds {@code "settings"}: the run's {@link
 * RunSettings}, absent in older checkpoints) and, when written by {@link FssdTrainer}, the run's
 * {@link TrainingHistory} in the entry {@value #HISTORY_ENTRY} (losses and learning rate per
 * iteration, held-out evaluations), which a resumed run continues.
 *
 * <p>A checkpoint is written to a hidden temporary file ({@code .checkpoint-N.zip.*.tmp}) in the
 * same directory and then renamed with {@code ATOMIC_MOVE}, so a file under a checkpoint name is
 * always complete; {@link #latest(Path)} only considers such names (a stray temporary file left by
 * a crash is never picked up) and skips, with a warning, any that cannot be read. Older checkpoints
 * beyond the number to keep are deleted after a successful write.
 *
 * <p>Stateless utility; one writer per directory.
 */
public final class Checkpoints {
  /** The zip entry holding the {@link TrainingState}. */
  public static final String ENTRY = "fssd-train.json";

  /**
   * The zip entry holding the {@link TrainingHistory} (losses per iteration, evaluations); absent
   * in checkpoints written without one (read as an empty history).
   */
  public static final String HISTORY_ENTRY = "fssd-history.json";

  /** The format identifier. */
  public static final String FORMAT = "fssd4j-checkpoint";

  /** The newest format version this reader understands (and the one it writes). */
  public static final int FORMAT_VERSION = 1;

  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final Pattern NAME = Pattern.compile("checkpoint-(\\d{10})\\.zip");
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int MAX_METADATA_BYTES = 1 << 20;

  /** The history holds a few numbers per iteration: 64 MiB is far more than any real run. */
  private static final long MAX_HISTORY_BYTES = 64L << 20;

  private Checkpoints() {}

  /** A training graph and its state, as read from a checkpoint. */
  public record Loaded(Path file, ComputationGraph graph, TrainingState state) {}

  /** The file name of the checkpoint after {@code iteration} updates. */
  public static String fileName(long iteration) {
    return String.format("checkpoint-%010d.zip", iteration);
  }

  /**
   * Writes a checkpoint of {@code graph} (with its updater state) at {@code state}'s iteration
   * atomically, then deletes all but the newest {@code keep} checkpoints.
   *
   * @return the checkpoint file
   */
  public static Path write(Path dir, ComputationGraph graph, TrainingState state, int keep) {
    return write(dir, graph, state, null, keep);
  }

  /**
   * As {@link #write(Path, ComputationGraph, TrainingState, int)}, also storing {@code history} (if
   * not null) in the entry {@link #HISTORY_ENTRY}.
   *
   * @return the checkpoint file
   */
  public static Path write(
      Path dir, ComputationGraph graph, TrainingState state, TrainingHistory history, int keep) {
    return write(dir, graph, state, history, null, keep);
  }

  /**
   * As {@link #write(Path, ComputationGraph, TrainingState, TrainingHistory, int)}, keeping {@code
   * settings.keepCheckpoints()} checkpoints and storing {@code settings} for {@link #readSettings}.
   *
   * @return the checkpoint file
   */
  public static Path write(
      Path dir,
      ComputationGraph graph,
      TrainingState state,
      TrainingHistory history,
      RunSettings settings) {
    return write(dir, graph, state, history, settings, settings.keepCheckpoints());
  }

  private static Path write(
      Path dir,
      ComputationGraph graph,
      TrainingState state,
      TrainingHistory history,
      RunSettings settings,
      int keep) {
    Path target = dir.resolve(fileName(state.iteration())).toAbsolutePath();
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", FORMAT);
    root.put("formatVersion", FORMAT_VERSION);
    root.set("state", state.toJson(MAPPER));
    if (settings != null) {
      root.set("settings", settings.toJson(MAPPER));
    }
    try {
      java.util.Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
      entries.put(ENTRY, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      if (history != null) {
        entries.put(HISTORY_ENTRY, history.toJsonBytes());
      }
      ModelFile.writeGraphZip(graph, true, target, entries);
    } catch (IOException | RuntimeException e) {
      throw e instanceof FssdException
          ? (FssdException) e
          : new FssdException(target + ": cannot write checkpoint: " + e.getMessage(), e);
    }
    prune(dir, keep, target);
    return target;
  }

  /** Checkpoint files of {@code dir} (complete names only), newest first. */
  public static List<Path> list(Path dir) {
    List<Path> found = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return found;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)) {
          found.add(p);
        }
      }
    } catch (IOException e) {
      throw new FssdException(dir + ": cannot list checkpoints: " + e.getMessage(), e);
    }
    found.sort(Comparator.comparingLong(Checkpoints::iterationOf).reversed());
    return found;
  }

  /** The newest readable checkpoint of {@code dir}, if any. */
  public static Optional<Path> latest(Path dir) {
    for (Path p : list(dir)) {
      try {
        readState(p);
        return Optional.of(p);
      } catch (RuntimeException e) {
        LOG.warn("skipping unreadable checkpoint {}: {}", p, e.getMessage());
      }
    }
    return Optional.empty();
  }

  /** Reads the state of a checkpoint without restoring the network. */
  public static TrainingState readState(Path file) {
    JsonNode root = readRoot(file);
    try {
      return TrainingState.fromJson(root.get("state"));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new ModelFormatException(file + ": invalid checkpoint state: " + e.getMessage(), e);
    }
  }

  /**
   * The {@link RunSettings} a checkpoint recorded; empty for a checkpoint written without them (by
   * {@link #write(Path, ComputationGraph, TrainingState, int)} or an older version).
   *
   * @throws ModelFormatException when the file cannot be read or its settings are invalid
   */
  public static Optional<RunSettings> readSettings(Path file) {
    JsonNode s = readRoot(file).get("settings");
    if (s == null || s.isNull()) {
      return Optional.empty();
    }
    try {
      return Optional.of(RunSettings.fromJson(s));
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(file + ": invalid checkpoint settings: " + e.getMessage(), e);
    }
  }

  private static JsonNode readRoot(Path file) {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ZipEntry e = zip.getEntry(ENTRY);
      if (e == null) {
        throw new ModelFormatException(file + ": not an fssd4j checkpoint (no " + ENTRY + ")");
      }
      if (zip.getEntry("configuration.json") == null || zip.getEntry("coefficients.bin") == null) {
        throw new ModelFormatException(file + ": checkpoint has no network");
      }
      JsonNode root;
      try (InputStream in = zip.getInputStream(e)) {
        byte[] bytes = in.readNBytes(MAX_METADATA_BYTES + 1);
        if (bytes.length > MAX_METADATA_BYTES) {
          throw new ModelFormatException(file + ": " + ENTRY + " is too large");
        }
        root = MAPPER.readTree(bytes);
      }
      if (root == null || !FORMAT.equals(root.path("format").asText())) {
        throw new ModelFormatException(file + ": format is not " + FORMAT);
      }
      int version = root.path("formatVersion").asInt(-1);
      if (version < 1 || version > FORMAT_VERSION) {
        throw new ModelFormatException(
            file
                + ": checkpoint format version "
                + version
                + " is not supported (this reader: 1.."
                + FORMAT_VERSION
                + ")");
      }
      return root;
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read checkpoint: " + e.getMessage(), e);
    }
  }

  /**
   * The {@link TrainingHistory} stored in a checkpoint; empty when it has none.
   *
   * @throws ModelFormatException when the file or its history cannot be read
   */
  public static TrainingHistory readHistory(Path file) {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ZipEntry e = zip.getEntry(HISTORY_ENTRY);
      if (e == null) {
        return TrainingHistory.empty();
      }
      return TrainingHistory.fromJsonBytes(
          ModelZip.readEntry(file, zip, HISTORY_ENTRY, MAX_HISTORY_BYTES));
    } catch (IOException e) {
      throw new ModelFormatException(
          file + ": cannot read the training history: " + e.getMessage(), e);
    } catch (ModelFormatException e) {
      throw new ModelFormatException(file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a checkpoint: training graph with updater state, and its {@link TrainingState}. */
  public static Loaded read(Path file) {
    TrainingState state = readState(file);
    // Every entry bounded before it is inflated (ModelZip); the parameter and updater-state
    // sizes follow from the stored configuration, whose own size is bounded by the state's config.
    long configLimit = ModelZip.configurationLimit(state.config());
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ModelZip.checkEntries(
          file,
          zip,
          new ModelZip.Limits()
              .allow(ENTRY, MAX_METADATA_BYTES)
              .allow(HISTORY_ENTRY, MAX_HISTORY_BYTES)
              .allow(ModelZip.CONFIGURATION, configLimit)
              .allow(ModelZip.COEFFICIENTS, Long.MAX_VALUE)
              .allow(ModelZip.UPDATER_STATE, Long.MAX_VALUE));
      ComputationGraph g = ModelZip.restore(file, zip, -1, configLimit, true);
      return new Loaded(file, g, state);
    } catch (IOException e) {
      throw new ModelFormatException(
          file + ": cannot restore the training graph: " + e.getMessage(), e);
    }
  }

  private static long iterationOf(Path p) {
    Matcher m = NAME.matcher(p.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  private static void prune(Path dir, int keep, Path justWritten) {
    List<Path> all = list(dir);
    int kept = 0;
    for (Path p : all) {
      if (p.toAbsolutePath().equals(justWritten) || kept < keep) {
        kept++;
        continue;
      }
      deleteQuietly(p);
    }
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        LOG.warn("cannot delete {}: {}", p, e.getMessage());
      }
    }
  }
}
