package org.fssd.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.graph.FastConvolutionLayer;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The whole FSSD graph with {@link ConvImpl#FAST} convolutions equals the {@link ConvImpl#STOCK}
 * one, up to float32 summation order: |fast - stock| <= 1e-4 * max(1, max |stock|) (see
 * FloatArrays).
 */
@Numerical
class FssdGraphConvImplTest {

  @Test
  void fastGraphEqualsStockGraphPlain() {
    checkSame(FssdTestModels.narrow300(5, false));
  }

  @Test
  void fastGraphEqualsStockGraphBatchNorm() {
    checkSame(FssdTestModels.narrow300(5, true));
  }

  private static void checkSame(FssdConfig config) {
    ComputationGraph stock = FssdGraph.create(config, 3);
    ComputationGraph fast = FssdGraph.create(config, 99, ConvImpl.FAST);
    assertThat(fast.paramTable().keySet()).isEqualTo(stock.paramTable().keySet());
    long fastConvs =
        java.util.Arrays.stream(fast.getLayers())
            .filter(l -> l.conf().getLayer() instanceof FastConvolutionLayer)
            .count();
    assertThat(fastConvs).isEqualTo(config.convs().size());
    assertThat(
            java.util.Arrays.stream(stock.getLayers())
                .filter(l -> l.conf().getLayer() instanceof FastConvolutionLayer)
                .count())
        .isZero();
    fast.setParams(stock.params());
    Nd4j.getRandom().setSeed(5);
    INDArray in = Nd4j.rand(DataType.FLOAT, 2, 3, 300, 300).subi(0.5).muli(200);
    INDArray[] a = stock.output(in);
    INDArray[] b = fast.output(in);
    assertThat(b).hasSameSizeAs(a);
    for (int i = 0; i < a.length; i++) {
      double scale = Math.max(1.0, FloatArrays.maxAbs(a[i]));
      FloatArrays.assertClose(
          b[i],
          a[i],
          FloatArrays.OUTPUT_REL,
          FloatArrays.OUTPUT_REL * scale,
          "output " + i + " fast vs stock");
    }
  }
}
