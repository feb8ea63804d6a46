package org.fssd.train;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.fssd.train.loss.MultiBoxLoss;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Shared fixtures of the fssd-train tests: the ND4J default data types restored after each test,
 * {@code .npy} test resources, the PyTorch reference batch of the MultiBox loss tests and the tiny
 * graph their gradient checks run on.
 */
public final class TrainTestFixtures {
  private TrainTestFixtures() {}

  /**
   * JUnit extension for tests that change {@link Nd4j#setDefaultDataTypes}: saves the default data
   * types before each test and puts them back after it. Use with
   * {@code @ExtendWith(TrainTestFixtures.RestoreNd4jDataTypes.class)}.
   */
  public static final class RestoreNd4jDataTypes implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS =
        ExtensionContext.Namespace.create(RestoreNd4jDataTypes.class);

    @Override
    public void beforeEach(ExtensionContext context) {
      context
          .getStore(NS)
          .put("types", new DataType[] {Nd4j.dataType(), Nd4j.defaultFloatingPointType()});
    }

    @Override
    public void afterEach(ExtensionContext context) {
      DataType[] saved = context.getStore(NS).remove("types", DataType[].class);
      if (saved != null) {
        Nd4j.setDefaultDataTypes(saved[0], saved[1]);
      }
    }
  }

  /** Reads the {@code .npy} test resource {@code name} that lies in {@code anchor}'s package. */
  public static INDArray npy(Class<?> anchor, String name) {
    URL url = anchor.getResource(name);
    if (url == null) {
      throw new IllegalArgumentException(
          "no test resource " + name + " next to " + anchor.getName());
    }
    try {
      return Nd4j.createFromNpyFile(new File(url.toURI()));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("bad resource URL " + url, e);
    }
  }

  /**
   * The MultiBox loss inputs written by PyTorch ({@code tools/reference}): raw outputs {@code loc}
   * [B, P, 4] and {@code conf} [B, P, C], targets {@code locT} [B, P, 4] and {@code confT} [B, P]
   * (class ids), float32; read from the resources of {@code org.fssd.train.loss}.
   */
  public record MultiBoxReference(INDArray loc, INDArray conf, INDArray locT, INDArray confT) {
    /** Reads the reference batch. */
    public static MultiBoxReference load() {
      return new MultiBoxReference(
          npy(MultiBoxLoss.class, "loc.npy"),
          npy(MultiBoxLoss.class, "conf.npy"),
          npy(MultiBoxLoss.class, "loc_t.npy"),
          npy(MultiBoxLoss.class, "conf_t.npy"));
    }

    /** Images in the batch (B). */
    public int batch() {
      return (int) loc.size(0);
    }

    /** Priors per image (P). */
    public int priors() {
      return (int) loc.size(1);
    }

    /** Classes including background (C). */
    public int classes() {
      return (int) conf.size(2);
    }

    /** The loss layer's input as DL4J sees it: [B, P*4 + P*C], loc then conf. */
    public INDArray preOutput() {
      return Nd4j.hstack(
          loc.reshape(batch(), priors() * 4L), conf.reshape(batch(), (long) priors() * classes()));
    }

    /** The loss layer's labels: [B, P*4 + P], loc targets then class ids. */
    public INDArray labels() {
      return Nd4j.hstack(locT.reshape(batch(), priors() * 4L), confT);
    }
  }

  /**
   * A tiny double-precision graph for gradient checks of {@link MultiBoxLoss}: input [B, {@code
   * features}] into two dense layers (P*4 loc and P*C conf outputs, identity), merged into a
   * MultiBox loss layer for {@code priors} priors and {@code classes} classes. Seed 12345, Xavier
   * weights, no updater.
   */
  public static ComputationGraph multiBoxGradientCheckGraph(int priors, int classes, int features) {
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .dataType(DataType.DOUBLE)
            .seed(12345)
            .updater(new NoOp())
            .weightInit(WeightInit.XAVIER)
            .graphBuilder()
            .addInputs("in")
            .addLayer(
                "loc",
                new DenseLayer.Builder()
                    .nIn(features)
                    .nOut(priors * 4)
                    .activation(Activation.IDENTITY)
                    .build(),
                "in")
            .addLayer(
                "conf",
                new DenseLayer.Builder()
                    .nIn(features)
                    .nOut(priors * classes)
                    .activation(Activation.IDENTITY)
                    .build(),
                "in")
            .addVertex("merged", new MergeVertex(), "loc", "conf")
            .addLayer(
                "loss",
                new LossLayer.Builder(MultiBoxLoss.of(priors, classes))
                    .activation(Activation.IDENTITY)
                    .build(),
                "merged")
            .setOutputs("loss")
            .build();
    ComputationGraph graph = new ComputationGraph(conf);
    graph.init();
    return graph;
  }
}
