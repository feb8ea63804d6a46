package org.fssd.io.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableMap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.ModelFormatException;
import org.fssd.model.ConvSpec;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.reference.ReferenceFixtures;
import org.junit.jupiter.api.Test;

/** The importer's refusals, on state dicts derived from the reference fixture. */
class PyTorchImporterTest {
  private static final Path FILE = ReferenceFixtures.file("narrow300.pth");

  private static Map<String, TorchTensor> fixture() {
    return new LinkedHashMap<>(TorchCheckpoint.read(FILE).asMap());
  }

  private static StateDict dict(Map<String, TorchTensor> m) {
    return new StateDict(FILE.toString(), ImmutableMap.copyOf(m), false);
  }

  /** Importing {@code m} as FSSD300 VOC fails with a {@link ModelFormatException}. */
  private static AbstractThrowableAssert<?, ? extends Throwable> assertImportRefused(
      Map<String, TorchTensor> m) {
    return assertThatThrownBy(
            () -> PyTorchImporter.fromStateDict(dict(m), FssdConfig.voc300(), FILE))
        .isInstanceOf(ModelFormatException.class);
  }

  private static TorchTensor floats(String key, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    long[] stride = new long[shape.length];
    long s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      stride[i] = s;
      s *= shape[i];
    }
    byte[] data = new byte[(int) n * 4];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(new float[(int) n]);
    return floats(key, shape, stride, n, data);
  }

  /** A little-endian float32 tensor of {@code FILE} viewing {@code data} from its start. */
  private static TorchTensor floats(
      String key, long[] shape, long[] stride, long numel, byte[] data) {
    return new TorchTensor(
        FILE.toString(),
        key,
        TorchDtype.FLOAT32,
        shape,
        stride,
        0,
        numel,
        data,
        null,
        ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void parametersHoldTheTensorsValuesInCOrderEvenFromAStridedView() {
    Map<String, TorchTensor> m = fixture();
    // conf.0.weight as a transposed view: the storage holds [in, out, k, k], the strides swap the
    // first two dimensions back, so a copy that ignored the strides would scramble the values.
    long[] shape = m.get("conf.0.weight").shape();
    int o = (int) shape[0];
    int in = (int) shape[1];
    int kk = (int) (shape[2] * shape[3]);
    byte[] data = new byte[o * in * kk * 4];
    ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < o * in * kk; i++) {
      buf.putFloat(i * 4, i * 0.001f - 1f);
    }
    m.put(
        "conf.0.weight",
        floats(
            "conf.0.weight",
            shape,
            new long[] {kk, (long) o * kk, shape[3], 1},
            (long) o * in * kk,
            data));
    StateDict sd = dict(m);
    ComputationGraph graph = PyTorchImporter.fromStateDict(sd, FssdConfig.voc300(), FILE).graph();
    int checked = 0;
    for (ConvSpec c : PyTorchImporter.inferConfig(sd, FssdConfig.voc300(), FILE).convs()) {
      if (c.isHead()) {
        assertThat(graph.getParam(c.name() + "_W").dup('c').data().asFloat())
            .as(c.name())
            .containsExactly(sd.get(c.name() + ".weight").toFloatArray());
        assertThat(graph.getParam(c.name() + "_b").dup('c').data().asFloat())
            .as(c.name())
            .containsExactly(sd.get(c.name() + ".bias").toFloatArray());
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(1);
    assertThat(graph.getParam("conf.0_W").getFloat(1, 0, 0, 0)).isEqualTo(kk * 0.001f - 1f);
  }

  @Test
  void readFloatsHandsOutTheValuesInChunks() {
    TorchTensor t = fixture().get("conf.0.weight");
    float[] all = t.toFloatArray();
    float[] seen = new float[all.length];
    int[] calls = {0};
    t.readFloats(
        1000,
        (start, chunk, length) -> {
          assertThat(length).isBetween(1, 1000);
          System.arraycopy(chunk, 0, seen, (int) start, length);
          calls[0]++;
        });
    assertThat(seen).containsExactly(all);
    assertThat(calls[0]).isEqualTo((all.length + 999) / 1000);
  }

  @Test
  void aLazilyReadCheckpointGivesTheSameValuesAsAnEagerOne() {
    StateDict eager = TorchCheckpoint.read(FILE);
    StateDict lazy = TorchCheckpoint.readLazily(FILE);
    assertThat(lazy.keys()).isEqualTo(eager.keys());
    for (String k : eager.keys()) {
      TorchTensor e = eager.get(k);
      TorchTensor l = lazy.get(k);
      assertThat(l.shape()).as(k).isEqualTo(e.shape());
      if (e.dtype().isFloatingPoint()) {
        float[] streamed = new float[(int) l.numel()];
        l.readFloats(
            100,
            (start, chunk, length) -> System.arraycopy(chunk, 0, streamed, (int) start, length));
        assertThat(streamed).as(k).containsExactly(e.toFloatArray());
        assertThat(l.toFloatArray()).as(k).containsExactly(e.toFloatArray());
      } else {
        assertThat(l.toLongArray()).as(k).containsExactly(e.toLongArray());
      }
    }
  }

  @Test
  void missingTensorIsNamed() {
    Map<String, TorchTensor> m = fixture();
    m.remove("pyramid_ext.2.conv.bias");
    assertImportRefused(m)
        .hasMessageContaining("narrow300.pth")
        .hasMessageContaining("missing tensor 'pyramid_ext.2.conv.bias'");
  }

  @Test
  void extraTensorIsNamed() {
    Map<String, TorchTensor> m = fixture();
    m.put("mystery.weight", floats("mystery.weight", 3));
    assertImportRefused(m).hasMessageContaining("mystery.weight");
  }

  @Test
  void misShapedTensorNamesKeyAndBothShapes() {
    Map<String, TorchTensor> m = fixture();
    // loc.1 reads 8 channels from pyramid_ext.1; give it 9 input channels.
    long[] shape = m.get("loc.1.weight").shape();
    m.put("loc.1.weight", floats("loc.1.weight", shape[0], shape[1] + 1, 3, 3));
    assertImportRefused(m)
        .hasMessageContaining("'loc.1.weight'")
        .hasMessageContaining("[" + shape[0] + ", " + (shape[1] + 1) + ", 3, 3]")
        .hasMessageContaining("[" + shape[0] + ", " + shape[1] + ", 3, 3]");
  }

  @Test
  void nonFiniteWeightsAreRefused() {
    Map<String, TorchTensor> m = fixture();
    long[] shape = m.get("conf.0.bias").shape();
    TorchTensor t = floats("conf.0.bias", shape);
    byte[] data = new byte[(int) t.numel() * 4];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
    m.put("conf.0.bias", floats("conf.0.bias", shape, new long[] {1}, t.numel(), data));
    assertImportRefused(m).hasMessageContaining("conf.0.bias").hasMessageContaining("non-finite");
  }

  @Test
  void notAnFssdCheckpointIsRefused() {
    Map<String, TorchTensor> m = new LinkedHashMap<>();
    m.put("fc.weight", floats("fc.weight", 4, 4));
    assertImportRefused(m).hasMessageContaining("not an FSSD checkpoint");
  }

  @Test
  void backboneImportFillsTheBaseFromVggKeys() {
    // Build a VGG reduced-fc style dict ("N.weight"/"N.bias") from the fixture's base.
    Map<String, TorchTensor> fssd = fixture();
    Map<String, TorchTensor> vgg = new LinkedHashMap<>();
    for (Map.Entry<String, TorchTensor> e : fssd.entrySet()) {
      if (e.getKey().startsWith("base.")) {
        vgg.put(e.getKey().substring("base.".length()), e.getValue());
      }
    }
    FssdConfig config = PyTorchImporter.inferConfig(dict(fssd), FssdConfig.voc300(), FILE);
    ComputationGraph graph = new ComputationGraph(FssdGraph.configuration(config));
    graph.init();
    assertThat(vgg).hasSize(30);
    int copied =
        PyTorchImporter.importBackbone(
            new StateDict("vgg.pth", ImmutableMap.copyOf(vgg), false),
            Path.of("vgg.pth"),
            config,
            graph);
    assertThat(copied).isEqualTo(30);
    float[] expected = fssd.get("base.21.weight").toFloatArray();
    assertThat(graph.getParam("base.21_W").dup().data().asFloat()).containsExactly(expected);
  }
}
