package org.fssd.train;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of a training run that a checkpoint records besides its {@link TrainingState} and
 * that a resumed run may change: how often checkpoints are written, how many are kept, and free
 * {@code notes} of the application that drives the trainer (e.g. {@code fssd train} stores its
 * augmentation, Mixup, evaluation and precise-BN options there, so that {@code --resume} without
 * them continues the run as it was started). {@link FssdTrainer#resume} takes them as defaults; the
 * builder's setters override them.
 *
 * @param checkpointEvery iterations between checkpoints (0 = only at the end)
 * @param keepCheckpoints checkpoints kept in the directory, >= 1
 * @param notes the application's settings, name to value (copied, order kept)
 */
public record RunSettings(int checkpointEvery, int keepCheckpoints, Map<String, String> notes) {

  /** Validates and copies. */
  public RunSettings {
    checkArgument(checkpointEvery >= 0, "checkpointEvery must be >= 0, got %s", checkpointEvery);
    checkArgument(keepCheckpoints >= 1, "keepCheckpoints must be >= 1, got %s", keepCheckpoints);
    Objects.requireNonNull(notes, "notes");
    notes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(notes));
  }

  ObjectNode toJson(ObjectMapper m) {
    ObjectNode n = m.createObjectNode();
    n.put("checkpointEvery", checkpointEvery);
    n.put("keepCheckpoints", keepCheckpoints);
    ObjectNode o = n.putObject("notes");
    notes.forEach(o::put);
    return n;
  }

  static RunSettings fromJson(JsonNode n) {
    checkArgument(n.isObject(), "settings must be an object");
    Map<String, String> notes = new LinkedHashMap<>();
    JsonNode o = n.path("notes");
    o.fieldNames().forEachRemaining(k -> notes.put(k, o.get(k).asText()));
    return new RunSettings(
        n.path("checkpointEvery").asInt(0), n.path("keepCheckpoints").asInt(2), notes);
  }
}
