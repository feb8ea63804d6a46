package org.fssd.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.data.ShapesDataset;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdModel;
import org.fssd.model.FssdTestModels;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link PreciseBatchNorm}: the first BN layer (whose input does not depend on any other BN layer)
 * gets exactly the mean and biased variance of its inputs pooled over all batches; every BN layer
 * is changed; nothing else is; the model-level variant gives the same statistics.
 */
@Numerical
class PreciseBatchNormTest {
  @Test
  void firstLayerGetsThePooledStatisticsOfItsInputs() {
    FssdConfig config =
        FssdTestModels.tiny300(ShapesDataset.SHAPES.size() + 1).toBuilder().batchNorm(true).build();
    FssdModel model =
        FssdModel.create(config, ShapesDataset.builder().count(1).build().labels(), 5);
    ComputationGraph g = model.graph().clone();
    Nd4j.getRandom().setSeed(3);
    List<INDArray> batches =
        List.of(
            Nd4j.rand(DataType.FLOAT, 2, 3, 300, 300).muli(200).subi(100),
            Nd4j.rand(DataType.FLOAT, 2, 3, 300, 300).muli(50).addi(20),
            Nd4j.rand(DataType.FLOAT, 2, 3, 300, 300).muli(120).subi(60));
    INDArray before = g.params().dup();

    int layers = PreciseBatchNorm.recalibrate(g, batches);
    assertThat(layers).isGreaterThan(5);

    // The input of base.0.bn is the output of base.0.conv on the raw batch.
    INDArray pooled =
        Nd4j.concat(
                0,
                batches.stream()
                    .map(b -> g.feedForward(new INDArray[] {b}, true, false).get("base.0.conv"))
                    .toArray(INDArray[]::new))
            .castTo(DataType.DOUBLE);
    INDArray mean = pooled.mean(0, 2, 3);
    INDArray var = pooled.var(false, 0, 2, 3);
    INDArray runMean = g.getParam("base.0.bn_mean");
    INDArray runVar = g.getParam("base.0.bn_var");
    FloatArrays.assertClose(
        runMean.reshape(mean.shape()), mean, 1e-4, 1e-4, "running mean of base.0.bn");
    FloatArrays.assertClose(
        runVar.reshape(var.shape()), var, 1e-4, 0, "running variance of base.0.bn");
    // Only running statistics changed, and all of them did.
    Map<String, INDArray> after = g.paramTable();
    Map<String, INDArray> orig = model.graph().paramTable();
    for (Map.Entry<String, INDArray> e : after.entrySet()) {
      boolean stat = e.getKey().endsWith("_mean") || e.getKey().endsWith("_var");
      if (stat) {
        assertThat(e.getValue()).as(e.getKey()).isNotEqualTo(orig.get(e.getKey()));
      } else {
        assertThat(e.getValue()).as(e.getKey()).isEqualTo(orig.get(e.getKey()));
      }
    }
    assertThat(g.params()).isNotEqualTo(before);

    // The model-level variant (FAST training graph) measures the same statistics: compared on the
    // base network (the deepest base BN is 15 layers down); past it, the 1x1 and 3x3 pyramid levels
    // normalise over 2-18 values per channel, which amplifies float differences between the stock
    // and FAST paths beyond a fixed tolerance.
    FssdModel re = PreciseBatchNorm.recalibrate(model, batches, "test");
    assertThat(re.provenance().get("bn.recalibrated")).isEqualTo("test");
    for (String k : after.keySet()) {
      if (k.startsWith("base.") && (k.endsWith("_mean") || k.endsWith("_var"))) {
        INDArray a = re.graph().getParam(k);
        INDArray b = after.get(k);
        double scale = Math.max(1e-2, FloatArrays.maxAbs(b)); // FAST vs stock float paths
        FloatArrays.assertClose(a, b, 1e-3, 1e-3 * scale, k + " FAST vs stock");
      }
    }
    assertThat(model.graph().params()).isEqualTo(before);
  }
}
