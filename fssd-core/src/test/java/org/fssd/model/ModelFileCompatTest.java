package org.fssd.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.fssd.testing.FloatArrays;
import org.fssd.testing.Numerical;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Files written by older fssd4j versions must keep loading (Tribuo habit): {@code fssd-v1.zip} is a
 * committed model file of format version 1 with its outputs for a fixed input. The method that
 * wrote it stays here; run it with {@code -Dfssd.writeCompatFixtures=true} only when adding a new
 * format version (never to "fix" this test). The recorded outputs come from one machine's kernels;
 * others sum in other orders, so they are compared within float32 tolerance (see FloatArrays).
 */
@Numerical
class ModelFileCompatTest {
  private static final Path FIXTURES = Paths.get("src/test/resources/org/fssd/model");

  private static INDArray fixedInput() {
    // Deterministic without any RNG: a smooth pattern in the range of mean-subtracted pixels.
    float[] data = new float[3 * 300 * 300];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) (100 * Math.sin(i * 0.001) + 20 * Math.cos(i * 0.037));
    }
    return Nd4j.create(data, new long[] {1, 3, 300, 300}, 'c');
  }

  @Test
  void version1FileLoadsAndGivesItsRecordedOutputs() throws Exception {
    FssdModel model = FssdModel.load(FIXTURES.resolve("fssd-v1.zip"));
    assertThat(model.config()).isEqualTo(FssdTestModels.tiny300(3));
    assertThat(model.labels()).isEqualTo(Labels.of("circle", "square"));
    assertThat(model.provenance().get("source")).isEqualTo("init seed=11");
    assertThat(model.provenance().get("fssd4j")).isNotEqualTo(Provenance.UNKNOWN);
    INDArray[] out = model.graph().output(fixedInput());
    INDArray loc = Nd4j.createFromNpyFile(FIXTURES.resolve("fssd-v1-loc.npy").toFile());
    INDArray conf = Nd4j.createFromNpyFile(FIXTURES.resolve("fssd-v1-conf.npy").toFile());
    FloatArrays.assertClose(
        out[0].reshape(loc.shape()),
        loc,
        FloatArrays.OUTPUT_REL,
        FloatArrays.OUTPUT_ABS,
        "loc of fssd-v1.zip");
    FloatArrays.assertClose(
        out[1].reshape(conf.shape()),
        conf,
        FloatArrays.OUTPUT_REL,
        FloatArrays.OUTPUT_ABS,
        "conf of fssd-v1.zip");
  }

  @Test
  @EnabledIfSystemProperty(named = "fssd.writeCompatFixtures", matches = "true")
  void writeVersion1Fixture() throws Exception {
    FssdModel model =
        FssdModel.create(FssdTestModels.tiny300(3), Labels.of("circle", "square"), 11);
    // Non-zero biases, so that they are covered too; seeded, so that a rewrite gives the same file.
    Nd4j.getRandom().setSeed(12);
    for (String k : model.graph().paramTable().keySet()) {
      if (k.endsWith("_b")) {
        model
            .graph()
            .getParam(k)
            .assign(Nd4j.rand(DataType.FLOAT, model.graph().getParam(k).shape()).subi(0.5));
      }
    }
    Files.createDirectories(FIXTURES);
    model.save(FIXTURES.resolve("fssd-v1.zip"));
    INDArray[] out = model.graph().output(fixedInput());
    Nd4j.writeAsNumpy(out[0], new File(FIXTURES.resolve("fssd-v1-loc.npy").toString()));
    Nd4j.writeAsNumpy(out[1], new File(FIXTURES.resolve("fssd-v1-conf.npy").toString()));
  }
}
