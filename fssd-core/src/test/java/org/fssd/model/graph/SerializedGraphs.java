package org.fssd.model.graph;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/** Round trips of test graphs through {@link ModelSerializer}, as a saved model takes them. */
final class SerializedGraphs {
  private SerializedGraphs() {}

  /** {@code g} written by {@link ModelSerializer} (without updater) and read back. */
  static ComputationGraph roundTrip(ComputationGraph g) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ModelSerializer.writeModel(g, bytes, false);
    return ModelSerializer.restoreComputationGraph(
        new ByteArrayInputStream(bytes.toByteArray()), false);
  }
}
