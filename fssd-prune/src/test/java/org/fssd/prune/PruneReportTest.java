package org.fssd.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.FssdModel;
import org.fssd.model.Labels;
import org.fssd.model.Widths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PruneReportTest {
  /**
   * SPEC §2.8: the published 50 %-pruned VOC300 base, conv6 and conv7 (other groups unpruned here).
   */
  static final String PUBLISHED_BASE =
      "[38, 58, M, 101, 121, M, 218, 232, 234, C, 282, 297, 243, M, 214, 199, 54]";

  static FssdConfig publishedPrunedBase() {
    Widths full = Widths.full300();
    Widths w =
        Widths.of(
            Widths.parseBase(PUBLISHED_BASE),
            136,
            212,
            full.extras(),
            full.fusion(),
            full.pyramid());
    return FssdConfig.voc300().toBuilder().batchNorm(true).widths(w).build();
  }

  @Test
  void parameterCountMatchesTheGraphAndThePublishedSize() {
    FssdConfig voc300 = FssdConfig.voc300();
    assertThat(PruneReport.parameterCount(voc300)).isEqualTo(34_131_424L);
    PruneReport same = PruneReport.compare(voc300, voc300);
    assertThat(same.sizeMbBefore()).isCloseTo(136.525696, within(1e-9)); // SPEC §11: "136 MB"
    assertThat(same.gmacsAfter()).isEqualTo(same.gmacsBefore());
    FssdConfig bn = FssdConfig.voc512().toBuilder().batchNorm(true).fusionBatchNorm(true).build();
    ComputationGraph g = new ComputationGraph(FssdGraph.configuration(bn));
    g.init();
    assertThat(PruneReport.parameterCount(bn)).isEqualTo(g.numParams());
  }

  @Test
  void narrowingTheLastLevelCountsItsHeadsToo() {
    FssdConfig before = FssdConfig.voc300();
    int[] pyramid = Widths.full300().pyramid();
    pyramid[5] = 128;
    Widths full = Widths.full300();
    FssdConfig after =
        before.toBuilder()
            .widths(
                Widths.of(
                    full.base(), full.conv6(), full.conv7(), full.extras(), full.fusion(), pyramid))
            .build();
    PruneReport r = PruneReport.compare(before, after);
    // pyramid_ext.5: 256x128x3x3 weights + 128 biases; loc.5 (16 out) and conf.5 (4 x 21 = 84 out)
    // lose 128 input channels of 3x3: 294912 + 128 + 18432 + 96768. All at 1x1, so MACs = weights.
    assertThat(r.paramsBefore() - r.paramsAfter()).isEqualTo(410_240L);
    assertThat(Math.round((r.gmacsBefore() - r.gmacsAfter()) * 1e9)).isEqualTo(410_112L);
    assertThat(r.layers()).hasSize(15 + 4 + 3 + 6);
    assertThat(r.layers().get(r.layers().size() - 1))
        .isEqualTo(new PruneReport.Layer("pyramid_ext.5", 256, 128));
    assertThat(r.layers().get(13).name()).isEqualTo("base.31");
    String table = r.toString();
    assertThat(table).contains("pyramid_ext.5").contains("34,131,424").contains("136.5 MB");
    assertThat(table.lines().filter(l -> l.startsWith("pyramid_ext.5")).findFirst().orElseThrow())
        .matches("pyramid_ext\\.5\\s+256\\s+128\\s+50\\.0%");
  }

  @Test
  void differentTopologiesAreRefused() {
    assertThatThrownBy(() -> PruneReport.compare(FssdConfig.voc300(), FssdConfig.voc512()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("different topologies");
  }

  @Test
  void publishedPrunedWidthsBuildRunSaveAndLoad(@TempDir Path dir) {
    FssdConfig config = publishedPrunedBase();
    assertThat(config.widths().base())
        .containsExactly(38, 58, 101, 121, 218, 232, 234, 282, 297, 243, 214, 199, 54);
    assertThat(config.conv(org.fssd.model.ConvSpec.Group.FUSION, 0).in())
        .isEqualTo(243); // conv4_3 (10th conv) width
    assertThat(config.conv(org.fssd.model.ConvSpec.Group.EXTRAS, 0).in())
        .isEqualTo(212); // conv7's width
    FssdModel model = FssdModel.create(config, Labels.voc(), 3);
    assertThat(model.graph().numParams()).isEqualTo(PruneReport.parameterCount(config));
    INDArray input = Nd4j.randn(9L, new long[] {1, 3, 300, 300}).castTo(DataType.FLOAT).muli(50);
    INDArray[] out = model.graph().output(input);
    assertThat(out[0].shape()).containsExactly(1, 11620L * 4);
    assertThat(out[1].shape()).containsExactly(1, 11620L * 21);
    Path file = dir.resolve("published-pruned.fssd");
    model.save(file);
    FssdModel loaded = FssdModel.load(file);
    assertThat(loaded.config()).isEqualTo(config);
    assertThat(loaded.graph().params()).isEqualTo(model.graph().params());
    PruneReport r =
        PruneReport.compare(FssdConfig.voc300().toBuilder().batchNorm(true).build(), config);
    assertThat(r.paramsAfter()).isLessThan(r.paramsBefore());
    assertThat(r.gmacsAfter()).isLessThan(r.gmacsBefore());
    org.slf4j.LoggerFactory.getLogger(PruneReportTest.class).info("published pruned base:\n{}", r);
  }
}
