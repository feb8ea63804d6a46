package org.fssd.train;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.util.Random;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.data.ShapesDataset;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdTestModels;
import org.fssd.testing.GradientChecks;
import org.fssd.train.loss.MultiBoxLoss;
import org.fssd.train.optim.WarmupStepSchedule.Warmup;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Shared fixtures of the fssd-train tests: the ND4J default data types restored after each test,
 * {@code .npy} test resources, the PyTorch reference batch of the MultiBox loss tests and the tiny
 * graph their gradient checks run on, and the tiny shapes runs of the trainer tests.
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

  /**
   * The training set of the trainer tests: {@code count} 96x80 shapes images with one to three
   * shapes each (seed 5), small enough that a run takes seconds.
   */
  public static ShapesDataset shapes(int count) {
    return shapes(count, 5);
  }

  /** Images like {@link #shapes(int)} but from another seed, for evaluation during training. */
  public static ShapesDataset heldOutShapes(int count) {
    return shapes(count, 77);
  }

  private static ShapesDataset shapes(int count, long seed) {
    return ShapesDataset.builder()
        .count(count)
        .imageSize(96, 80)
        .seed(seed)
        .shapesPerImage(1, 3)
        .shapeSize(0.2, 0.6)
        .build();
  }

  /** The tiny FSSD300 of {@link FssdTestModels} for the shapes classes and background. */
  public static FssdConfig tinyShapesConfig() {
    return FssdTestModels.tiny300(ShapesDataset.SHAPES.size() + 1);
  }

  /**
   * A trainer of {@code config} on {@code data} with the settings all trainer tests share: batch 2,
   * seed 11, learning rate 0.01. Each test adds its epochs, schedule and workers.
   */
  public static FssdTrainer.Builder tinyRun(ShapesDataset data, FssdConfig config) {
    return FssdTrainer.builder(data).config(config).batchSize(2).seed(11).learningRate(1e-2);
  }

  /**
   * The first training batch of {@code data} for {@code config}'s priors: 2 images, iterator seed
   * 1, one worker, so that a gradient or update test sees the same batch on every run.
   */
  public static MultiDataSet firstBatch(ShapesDataset data, FssdConfig config) {
    try (FssdDataSetIterator it =
        FssdDataSetIterator.builder(data, config.priors())
            .batchSize(2)
            .seed(1)
            .workers(1)
            .build()) {
      return (MultiDataSet) it.next();
    }
  }

  /**
   * The scheduled run most trainer tests use: {@link #tinyRun} of the tiny shapes model for {@code
   * epochs} epochs with linear warm-up and one rate decay at the start of the last epoch, so that a
   * short run passes through every phase of the schedule.
   */
  public static FssdTrainer.Builder scheduledRun(ShapesDataset data, int epochs, int workers) {
    return tinyRun(data, tinyShapesConfig())
        .epochs(epochs)
        .warmup(Warmup.LINEAR)
        .decayEpochs(epochs - 1)
        .workers(workers);
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
    ComputationGraphConfiguration.GraphBuilder b =
        GradientChecks.doubleNet(12345)
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
                "in");
    return withMultiBoxLoss(b, priors, classes);
  }

  /**
   * Finishes {@code b}, whose vertices {@code loc} and {@code conf} give the raw outputs: merges
   * them into a MultiBox loss layer for {@code priors} priors and {@code classes} classes, the
   * graph's output, and returns the initialised graph.
   */
  public static ComputationGraph withMultiBoxLoss(
      ComputationGraphConfiguration.GraphBuilder b, int priors, int classes) {
    b.addVertex("merged", new MergeVertex(), "loc", "conf")
        .addLayer(
            "loss",
            new LossLayer.Builder(MultiBoxLoss.of(priors, classes))
                .activation(Activation.IDENTITY)
                .build(),
            "merged")
        .setOutputs("loss");
    ComputationGraph graph = new ComputationGraph(b.build());
    graph.init();
    return graph;
  }

  /**
   * A gradient check of the MultiBox loss on {@link #multiBoxGradientCheckGraph}: {@link #PRIORS}
   * priors, {@link #CLASSES} classes, {@link #BATCH} images of {@link #FEATURES} features in [-2,
   * 2). The labels [B, P * columnsPerPrior] start with standard Gaussian loc targets and zeros
   * (background, no weights) that each test overwrites with its positives and weights.
   */
  public record MultiBoxGradientCase(ComputationGraph graph, INDArray input, INDArray labels) {
    public static final int PRIORS = 6;
    public static final int CLASSES = 3;
    public static final int BATCH = 3;
    public static final int FEATURES = 4;

    /**
     * Switches ND4J's default data types to double (restore them with {@link
     * RestoreNd4jDataTypes}), builds the graph and draws the input and the loc targets ({@code
     * labelSeed}).
     */
    public static MultiBoxGradientCase create(int columnsPerPrior, long labelSeed) {
      Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
      ComputationGraph graph = multiBoxGradientCheckGraph(PRIORS, CLASSES, FEATURES);
      INDArray in = Nd4j.rand(DataType.DOUBLE, BATCH, FEATURES).muli(4).subi(2);
      Random r = new Random(labelSeed);
      INDArray labels = Nd4j.zeros(DataType.DOUBLE, BATCH, (long) PRIORS * columnsPerPrior);
      for (int i = 0; i < BATCH; i++) {
        for (int j = 0; j < PRIORS * 4; j++) {
          labels.putScalar(i, j, r.nextGaussian());
        }
      }
      return new MultiBoxGradientCase(graph, in, labels);
    }

    /** Runs the check with {@link GradientChecks}' tolerances. */
    public void assertGradients() {
      GradientChecks.assertPasses(
          GradientChecks.of(graph, input, labels).print(GradientCheckUtil.PrintMode.FAILURES_ONLY),
          "MultiBox loss");
    }
  }
}
