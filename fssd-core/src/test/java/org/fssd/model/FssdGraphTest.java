package org.fssd.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class FssdGraphTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({"voc300, 34131424, 11620", "voc512, 35526006, 32756"})
  void presetHasThePublishedParameterCountAndPriors(String preset, long params, int priors) {
    FssdConfig config = FssdConfig.preset(preset);
    ComputationGraph graph = new ComputationGraph(FssdGraph.configuration(config));
    graph.init();
    assertThat(graph.numParams()).isEqualTo(params);
    assertThat(config.numPriors()).isEqualTo(priors);
  }

  @Test
  void layerShapesOf300() {
    Map<String, InputType> types = activationTypes(FssdConfig.voc300());
    assertConv(types, "base.2", 64, 300);
    assertConv(types, "base.4", 64, 150);
    assertConv(types, "base.14", 256, 75);
    assertConv(types, "base.16", 256, 38); // ceil mode
    assertConv(types, "base.21", 512, 38);
    assertConv(types, "base.23", 512, 19);
    assertConv(types, "base.30", 512, 19); // pool5 keeps the size
    assertConv(types, "base.31", 1024, 19);
    assertConv(types, "base.33", 1024, 19);
    assertConv(types, "extras.1", 512, 17);
    assertConv(types, "extras.3", 256, 9);
    assertConv(types, "ft_module.1.up", 256, 38);
    assertConv(types, "ft_module.2.up", 256, 38);
    assertConv(types, FssdGraph.CONCAT, 768, 38);
    int[] sizes = {38, 19, 10, 5, 3, 1};
    int[] channels = {512, 512, 256, 256, 256, 256};
    for (int k = 0; k < 6; k++) {
      assertConv(types, "pyramid_ext." + k, channels[k], sizes[k]);
    }
    assertThat(((InputType.InputTypeFeedForward) types.get(FssdGraph.LOC)).getSize())
        .isEqualTo(11620L * 4);
    assertThat(((InputType.InputTypeFeedForward) types.get(FssdGraph.CONF)).getSize())
        .isEqualTo(11620L * 21);
  }

  @Test
  void layerShapesOf512AndBatchNormVariant() {
    Map<String, InputType> types =
        activationTypes(FssdConfig.voc512().toBuilder().batchNorm(true).build());
    assertConv(types, "base.16", 256, 64);
    assertConv(types, "base.21", 512, 64);
    assertConv(types, "base.21.bn", 512, 64);
    assertConv(types, "base.33", 1024, 32);
    assertConv(types, "extras.3", 256, 15); // 32 -> 30 -> 30 -> 15
    assertConv(types, FssdGraph.CONCAT, 768, 64);
    int[] sizes = {64, 32, 16, 8, 4, 2, 1};
    for (int k = 0; k < 7; k++) {
      assertConv(types, "pyramid_ext." + k, k < 2 ? 512 : 256, sizes[k]);
    }
    assertThat(((InputType.InputTypeFeedForward) types.get(FssdGraph.CONF)).getSize())
        .isEqualTo(32756L * 21);
  }

  @Test
  void narrowNetworkRunsAndGivesFlatOutputs() {
    FssdConfig config = FssdTestModels.narrow300(5, false);
    ComputationGraph graph = FssdGraph.create(config, 7);
    INDArray input =
        Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 3, 300, 300).muli(255).subi(117);
    INDArray[] out = graph.output(input);
    assertThat(out[0].shape()).containsExactly(2, 11620L * 4);
    assertThat(out[1].shape()).containsExactly(2, 11620L * 5);
    assertThat(out[0].isInfinite().any() || out[0].isNaN().any()).isFalse();
    assertThat(out[1].stdNumber().doubleValue()).isGreaterThan(0.0);
  }

  @Test
  void initializationIsDeterministicAndFollowsTheRecipe() {
    FssdConfig config = FssdTestModels.narrow300(5, true);
    ComputationGraph a = FssdGraph.create(config, 42);
    ComputationGraph b = FssdGraph.create(config, 42);
    ComputationGraph c = FssdGraph.create(config, 43);
    assertThat(a.params()).isEqualTo(b.params());
    assertThat(a.params()).isNotEqualTo(c.params());
    assertThat(a.getParam("base.0.bn_gamma").minNumber().doubleValue()).isEqualTo(1.0);
    assertThat(a.getParam("loc.0_b").amaxNumber().doubleValue()).isEqualTo(0.0);
    // Kaiming normal fan_out: std = sqrt(2 / (out * k * k)) for pyramid_ext.0 (3x3).
    ConvSpec p0 = config.conv(ConvSpec.Group.PYRAMID, 0);
    double expected = Math.sqrt(2.0 / (p0.out() * 9));
    assertThat(a.getParam("pyramid_ext.0.conv_W").stdNumber().doubleValue())
        .isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(5));
    // Heads: uniform in +-1/sqrt(fan_in).
    ConvSpec conf0 = config.conv(ConvSpec.Group.CONF, 0);
    double bound = 1 / Math.sqrt(conf0.in() * 9.0);
    assertThat(a.getParam("conf.0_W").amaxNumber().doubleValue())
        .isLessThanOrEqualTo(bound)
        .isGreaterThan(bound * 0.9);
  }

  private static Map<String, InputType> activationTypes(FssdConfig config) {
    ComputationGraphConfiguration conf = FssdGraph.configuration(config);
    return conf.getLayerActivationTypes(
        InputType.convolutional(config.inputSize(), config.inputSize(), 3));
  }

  private static void assertConv(
      Map<String, InputType> types, String name, long channels, long size) {
    assertThat(types).containsKey(name);
    InputType.InputTypeConvolutional t = (InputType.InputTypeConvolutional) types.get(name);
    assertThat(new long[] {t.getChannels(), t.getHeight(), t.getWidth()})
        .as(name)
        .containsExactly(channels, size, size);
  }
}
