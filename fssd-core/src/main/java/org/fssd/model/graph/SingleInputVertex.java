package org.fssd.model.graph;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Configuration base of the project's vertices that take one input and hold no parameters. No state
 * of its own, so subclasses serialise exactly as before.
 */
abstract class SingleInputVertex extends GraphVertex {
  private static final long serialVersionUID = 1L;

  @Override
  public long numParams(boolean backprop) {
    return 0;
  }

  @Override
  public int minVertexInputs() {
    return 1;
  }

  @Override
  public int maxVertexInputs() {
    return 1;
  }

  /**
   * DL4J's entry point, handing on to {@link #instantiate(ComputationGraph, String, int, DataType)}
   * without the parameter view: these vertices have no parameters.
   */
  @Override
  public final org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(
      ComputationGraph graph,
      String name,
      int idx,
      INDArray paramsView,
      boolean initializeParams,
      DataType networkDatatype) {
    return instantiate(graph, name, idx, networkDatatype);
  }

  /** The runtime vertex; with no parameters there is no view to hand on or initialise. */
  abstract ParameterlessVertexImpl instantiate(
      ComputationGraph graph, String name, int idx, DataType networkDatatype);

  /**
   * The one input of {@link #getOutputType}, which must be convolutional (NCHW).
   *
   * @throws InvalidInputTypeException naming the vertex class and the inputs given
   */
  final InputType.InputTypeConvolutional convolutionalInput(InputType... vertexInputs) {
    if (vertexInputs.length != 1
        || !(vertexInputs[0] instanceof InputType.InputTypeConvolutional)) {
      throw new InvalidInputTypeException(
          getClass().getSimpleName()
              + " needs one convolutional input, got "
              + Arrays.toString(vertexInputs));
    }
    return (InputType.InputTypeConvolutional) vertexInputs[0];
  }

  @Override
  public MemoryReport getMemoryReport(InputType... inputTypes) {
    InputType out = getOutputType(-1, inputTypes);
    return new LayerMemoryReport.Builder(null, getClass(), inputTypes[0], out)
        .standardMemory(0, 0)
        .workingMemory(0, 0, 0, 0)
        .cacheMemory(0, 0)
        .build();
  }
}
