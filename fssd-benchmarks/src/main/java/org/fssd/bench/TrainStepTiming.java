package org.fssd.bench;

import java.util.Arrays;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.data.ShapesDataset;
import org.fssd.data.batch.FssdDataSetIterator;
import org.fssd.model.ConvImpl;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.train.TrainingGraph;
import org.fssd.train.loss.MultiBoxLoss;
import org.fssd.train.optim.PyTorchSgd;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Manual timing of one training step of the divisor-8 FSSD300 (6 classes, batch 8), split into the
 * data iterator, the forward pass, forward + backward + update, and the loss alone: a quick
 * breakdown, not a benchmark ({@link TrainStepBenchmark} and {@link IteratorBenchmark} are the
 * measurements). Run: {@code java -cp fssd-benchmarks/target/fssd-benchmarks.jar
 * org.fssd.bench.TrainStepTiming [repeats] [divisor] [STOCK|FAST]} ({@code -Dbn=true} for the BN
 * variant).
 */
public final class TrainStepTiming {
  private TrainStepTiming() {}

  /** Runs the timings and prints ms per batch of 8 and images/s. */
  public static void main(String[] args) {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int divisor = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    ConvImpl impl = args.length > 2 ? ConvImpl.valueOf(args[2]) : ConvImpl.FAST;
    int batch = 8;
    ShapesDataset shapes = ShapesDataset.builder().count(64).build();
    FssdConfig base =
        FssdConfig.voc300().toBuilder().numClasses(shapes.labels().numClasses()).build();
    FssdConfig config =
        base.toBuilder()
            .widths(base.widths().divided(divisor))
            .batchNorm(Boolean.getBoolean("bn"))
            .build();
    System.out.printf(
        "config %s, %.3f GMACs/image, %s convolutions%n",
        config, config.macsPerImage() / 1e9, impl);

    FssdDataSetIterator data =
        FssdDataSetIterator.builder(shapes, config.priors())
            .batchSize(batch)
            .seed(1)
            .workers(2)
            .build();
    // (a) the iterator alone
    long t0 = System.nanoTime();
    int n = 0;
    MultiDataSet first = null;
    while (data.hasNext()) {
      MultiDataSet m = data.next();
      if (first == null) {
        first = m;
      }
      n++;
    }
    report("(a) data iterator", t0, n, batch);
    data.close();
    INDArray features = first.getFeatures(0);
    INDArray labels = TrainingGraph.labels((org.nd4j.linalg.dataset.MultiDataSet) first);

    ComputationGraph inference = FssdGraph.create(config, 1, impl);
    // (b) forward only (inference mode)
    inference.output(features);
    t0 = System.nanoTime();
    for (int i = 0; i < repeats; i++) {
      inference.output(features);
    }
    report("(b) forward (inference graph, test mode)", t0, repeats, batch);

    ComputationGraph train =
        new ComputationGraph(
            TrainingGraph.configuration(config, PyTorchSgd.of(1e-4, 0.9), 5e-4, impl));
    train.init();
    TrainingGraph.copyParams(inference, train);
    org.nd4j.linalg.dataset.MultiDataSet mds =
        new org.nd4j.linalg.dataset.MultiDataSet(
            new INDArray[] {features}, new INDArray[] {labels});
    // (b') forward in training mode on the training graph
    train.feedForward(new INDArray[] {features}, true, false);
    t0 = System.nanoTime();
    for (int i = 0; i < repeats; i++) {
      train.feedForward(new INDArray[] {features}, true, false);
    }
    report("(b') forward (training graph, train mode)", t0, repeats, batch);
    // (c) forward + backward + update
    train.fit(mds);
    t0 = System.nanoTime();
    for (int i = 0; i < repeats; i++) {
      train.fit(mds);
    }
    report("(c) fit (forward+backward+update)", t0, repeats, batch);
    System.out.println("   score " + train.score());

    // (d) the loss alone
    MultiBoxLoss loss = TrainingGraph.loss(train);
    INDArray pre = Nd4j.randn(features.dataType(), batch, loss.inputWidth()).muli(0.1);
    loss.computeGradientAndScore(labels, pre, new ActivationIdentity(), null, true);
    t0 = System.nanoTime();
    for (int i = 0; i < repeats; i++) {
      loss.computeGradientAndScore(labels, pre, new ActivationIdentity(), null, true);
    }
    report("(d) MultiBoxLoss score+gradient", t0, repeats, batch);
    System.out.println("features " + Arrays.toString(features.shape()));
    if (Boolean.getBoolean("perLayer")) {
      perLayer(train, features, repeats);
    }
  }

  /** Forward and backward time of every convolution layer alone, on its real input. */
  private static void perLayer(ComputationGraph train, INDArray features, int repeats) {
    java.util.Map<String, INDArray> acts =
        train.feedForward(new INDArray[] {features}, true, false);
    org.deeplearning4j.nn.workspace.LayerWorkspaceMgr mgr =
        org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces();
    double totalF = 0;
    double totalB = 0;
    for (org.deeplearning4j.nn.graph.vertex.GraphVertex v : train.getVertices()) {
      if (!v.hasLayer()
          || !(v.getLayer().conf().getLayer()
              instanceof org.deeplearning4j.nn.conf.layers.ConvolutionLayer c)) {
        continue;
      }
      String inName = train.getConfiguration().getVertexInputs().get(v.getVertexName()).get(0);
      INDArray x = inName.equals(FssdGraph.INPUT) ? features : acts.get(inName);
      org.deeplearning4j.nn.api.Layer l = v.getLayer();
      l.setInput(x, mgr);
      INDArray y = l.activate(true, mgr);
      INDArray eps = Nd4j.randn(y.dataType(), y.shape());
      l.backpropGradient(eps, mgr);
      long t0 = System.nanoTime();
      for (int i = 0; i < repeats; i++) {
        l.activate(true, mgr);
      }
      double f = (System.nanoTime() - t0) / 1e6 / repeats;
      t0 = System.nanoTime();
      for (int i = 0; i < repeats; i++) {
        l.setInput(x, mgr);
        l.activate(true, mgr);
        l.backpropGradient(eps, mgr);
      }
      double b = (System.nanoTime() - t0) / 1e6 / repeats - f;
      totalF += f;
      totalB += b;
      System.out.printf(
          "  %-22s k%d s%d d%d %4d->%-4d @%-3d fwd %7.1f ms  bwd %7.1f ms%n",
          v.getVertexName(),
          c.getKernelSize()[0],
          c.getStride()[0],
          c.getDilation()[0],
          c.getNIn(),
          c.getNOut(),
          x.size(2),
          f,
          b);
    }
    System.out.printf("  all convs: fwd %.1f ms, bwd %.1f ms per batch%n", totalF, totalB);
  }

  private static void report(String what, long t0, int batches, int batch) {
    double ms = (System.nanoTime() - t0) / 1e6 / batches;
    System.out.printf("%-45s %9.1f ms/batch  %8.2f images/s%n", what, ms, batch * 1000.0 / ms);
  }
}
