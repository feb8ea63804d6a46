package org.fssd.train;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.fssd.model.ConfigJson;
import org.fssd.model.FssdConfig;
import org.fssd.model.Labels;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;

/**
 * Everything besides the network and optimiser state that a checkpoint records to continue a
 * training run exactly: the model description, the run's settings and the position in it. The data
 * order is reproducible from ({@code seed}, {@code epoch}), so the position is {@code epoch} and
 * {@code batchInEpoch} (batches of that epoch already trained on).
 *
 * @param config the network configuration
 * @param labels the class names (classes 1..C-1)
 * @param seed seed of shuffling and augmentation
 * @param batchSize images per batch
 * @param epochs planned number of epochs
 * @param iteration parameter updates done
 * @param epoch current epoch (0-based)
 * @param batchInEpoch batches of {@code epoch} done
 * @param dataset dataset name
 * @param datasetSize number of images in the dataset
 * @param baseLr base learning rate
 * @param warmup warm-up variant
 * @param decayEpochs epochs at which the rate is multiplied by {@code decayFactor}
 * @param decayFactor the decay factor
 * @param momentum SGD momentum
 * @param weightDecay weight decay
 * @param initSource provenance source of the initial weights
 */
public record TrainingState(
    FssdConfig config,
    Labels labels,
    long seed,
    int batchSize,
    int epochs,
    long iteration,
    int epoch,
    int batchInEpoch,
    String dataset,
    int datasetSize,
    double baseLr,
    Warmup warmup,
    int[] decayEpochs,
    double decayFactor,
    double momentum,
    double weightDecay,
    String initSource) {

  /** Validates and copies. */
  public TrainingState {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(warmup, "warmup");
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(initSource, "initSource");
    checkArgument(
        iteration >= 0 && epoch >= 0 && batchInEpoch >= 0,
        "negative position: iteration %s epoch %s batch %s",
        iteration,
        epoch,
        batchInEpoch);
    decayEpochs = decayEpochs.clone();
  }

  @Override
  public int[] decayEpochs() {
    return decayEpochs.clone();
  }

  /** The same run at another position. */
  public TrainingState at(long iteration, int epoch, int batchInEpoch) {
    return with(epochs, iteration, epoch, batchInEpoch);
  }

  /** The same run with another planned number of epochs. */
  public TrainingState withEpochs(int epochs) {
    return with(epochs, iteration, epoch, batchInEpoch);
  }

  // The only fields a resumed or extended run changes; everything else describes the run itself.
  private TrainingState with(int epochs, long iteration, int epoch, int batchInEpoch) {
    return new TrainingState(
        config,
        labels,
        seed,
        batchSize,
        epochs,
        iteration,
        epoch,
        batchInEpoch,
        dataset,
        datasetSize,
        baseLr,
        warmup,
        decayEpochs,
        decayFactor,
        momentum,
        weightDecay,
        initSource);
  }

  ObjectNode toJson(ObjectMapper m) {
    ObjectNode n = m.createObjectNode();
    n.set("config", ConfigJson.toJson(config));
    labels.objectClasses().forEach(n.putArray("labels")::add);
    n.put("seed", seed);
    n.put("batchSize", batchSize);
    n.put("epochs", epochs);
    n.put("iteration", iteration);
    n.put("epoch", epoch);
    n.put("batchInEpoch", batchInEpoch);
    n.put("dataset", dataset);
    n.put("datasetSize", datasetSize);
    n.put("baseLr", baseLr);
    n.put("warmup", warmup.name());
    Arrays.stream(decayEpochs).forEach(n.putArray("decayEpochs")::add);
    n.put("decayFactor", decayFactor);
    n.put("momentum", momentum);
    n.put("weightDecay", weightDecay);
    n.put("initSource", initSource);
    return n;
  }

  static TrainingState fromJson(JsonNode n) {
    List<String> names = new ArrayList<>();
    need(n, "labels").forEach(x -> names.add(x.asText()));
    int[] decay = new int[need(n, "decayEpochs").size()];
    for (int i = 0; i < decay.length; i++) {
      decay[i] = n.get("decayEpochs").get(i).asInt();
    }
    return new TrainingState(
        ConfigJson.fromJson(need(n, "config")),
        Labels.of(names),
        need(n, "seed").asLong(),
        need(n, "batchSize").asInt(),
        need(n, "epochs").asInt(),
        need(n, "iteration").asLong(),
        need(n, "epoch").asInt(),
        need(n, "batchInEpoch").asInt(),
        need(n, "dataset").asText(),
        need(n, "datasetSize").asInt(),
        need(n, "baseLr").asDouble(),
        Warmup.valueOf(need(n, "warmup").asText()),
        decay,
        need(n, "decayFactor").asDouble(),
        need(n, "momentum").asDouble(),
        need(n, "weightDecay").asDouble(),
        need(n, "initSource").asText());
  }

  private static JsonNode need(JsonNode n, String key) {
    JsonNode v = n.get(key);
    checkArgument(v != null && !v.isNull(), "missing field %s", key);
    return v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrainingState s
        && s.toJson(new ObjectMapper()).equals(toJson(new ObjectMapper()));
  }

  @Override
  public int hashCode() {
    return toJson(new ObjectMapper()).hashCode();
  }
}
