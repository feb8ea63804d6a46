package org.fssd.bench;

import static com.google.common.base.Preconditions.checkNotNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.engine.onednn.OneDnnTrainingPlan;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.ConvImpl;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.train.TrainingGraph;
import org.fssd.train.optim.PyTorchSgd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Manual timing of the oneDNN training plan ({@link OneDnnTrainingPlan}) on FSSD300 (21 classes;
 * {@code -Dbn=true} for the BN variant), batch 8: forward + backward of the network (no loss, no
 * updater) per batch, next to DL4J's {@code fit} of the same training graph (forward + loss +
 * backward + updater) on the same images. A quick comparison, not a benchmark. Run: {@code java -cp
 * fssd-benchmarks/target/fssd-benchmarks.jar org.fssd.bench.PlanTrainTiming [repeats]
 * [dl4jRepeats]} (0 DL4J repeats skips DL4J). {@code -Dprecisions=FP32,BF16} times the FP32 and the
 * BF16 plan in turns (step by step) and prints the ratio; {@code -Dalgorithm=DIRECT} the direct
 * convolutions.
 */
public final class PlanTrainTiming {
  private PlanTrainTiming() {}

  /** Runs the timings and prints ms per batch of 8. */
  public static void main(String[] args) {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int dl4jRepeats = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int batch = 8;
    FssdConfig config = FssdConfig.voc300().toBuilder().batchNorm(Boolean.getBoolean("bn")).build();
    ComputationGraph inference = FssdGraph.create(config, 1);
    ComputationGraph train =
        new ComputationGraph(
            TrainingGraph.configuration(
                config,
                PyTorchSgd.of(TrainGraphs.LEARNING_RATE, TrainGraphs.MOMENTUM),
                TrainGraphs.WEIGHT_DECAY,
                ConvImpl.FAST));
    train.init();
    TrainingGraph.copyParams(inference, train);
    System.out.printf(
        "config %s, %.3f GMACs/image, batch %d%n", config, config.macsPerImage() / 1e9, batch);
    int s = config.inputSize();
    Random rng = new Random(1);
    INDArray images = Nd4j.create(DataType.FLOAT, batch, 3, s, s);
    float[] v = new float[(int) images.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rng.nextFloat() * 2 - 1;
    }
    images.assign(Nd4j.create(v, images.shape(), 'c'));

    long t0;
    PlanOptions.Algorithm algorithm =
        PlanOptions.Algorithm.valueOf(System.getProperty("algorithm", "AUTO"));
    // several precisions are timed in turns, step by step, so that a load on the machine falls on
    // each of them alike
    List<PlanOptions.Precision> precisions = new ArrayList<>();
    for (String p : System.getProperty("precisions", "FP32").split(",")) {
      precisions.add(PlanOptions.Precision.valueOf(p.trim().toUpperCase(java.util.Locale.ROOT)));
    }
    List<OneDnnTrainingPlan> plans = new ArrayList<>();
    try {
      INDArray outputGradient = null;
      Map<String, INDArray> gradients = new HashMap<>();
      for (PlanOptions.Precision precision : precisions) {
        t0 = System.nanoTime();
        OneDnnTrainingPlan plan =
            OneDnnTrainingPlan.build(
                config,
                train,
                batch,
                PlanOptions.builder().algorithm(algorithm).precision(precision).build());
        plans.add(plan);
        System.out.printf(
            "plan (%s, %s) built in %.1f s, arena %.2f GB%n",
            algorithm, precision, (System.nanoTime() - t0) / 1e9, plan.arenaBytes() / 1e9);
        if (Boolean.getBoolean("describe")) {
          plan.describe().forEach(l -> System.out.println("  " + l));
        }
        INDArray out = plan.forward(images);
        if (outputGradient == null) {
          outputGradient = Nd4j.randn(DataType.FLOAT, out.shape()).muli(1e-3);
        }
        plan.backward(outputGradient, gradients);
      }
      double[] forward = new double[plans.size()];
      double[] total = new double[plans.size()];
      for (int i = 0; i < repeats; i++) {
        for (int k = 0; k < plans.size(); k++) {
          long a = System.nanoTime();
          plans.get(k).forward(images);
          long b = System.nanoTime();
          plans.get(k).backward(checkNotNull(outputGradient), gradients);
          long c = System.nanoTime();
          forward[k] += (b - a) / 1e6;
          total[k] += (c - a) / 1e6;
        }
      }
      for (int k = 0; k < plans.size(); k++) {
        System.out.printf(
            "%-45s %9.1f ms/batch (forward %.1f, backward %.1f)%n",
            "oneDNN plan forward+backward " + precisions.get(k),
            total[k] / repeats,
            forward[k] / repeats,
            (total[k] - forward[k]) / repeats);
      }
      if (plans.size() > 1) {
        System.out.printf(
            "%s / %s time: %.2f%n", precisions.get(0), precisions.get(1), total[0] / total[1]);
      }
    } finally {
      plans.forEach(OneDnnTrainingPlan::close);
    }
    if (Boolean.getBoolean("compare")) {
      compareAlgorithms(config, train, images);
    }
    if (dl4jRepeats > 0) {
      INDArray labels = syntheticLabels(config, batch, rng);
      MultiDataSet mds = new MultiDataSet(new INDArray[] {images}, new INDArray[] {labels});
      train.fit(mds);
      t0 = System.nanoTime();
      for (int i = 0; i < dl4jRepeats; i++) {
        train.fit(mds);
      }
      System.out.printf(
          "%-45s %9.1f ms/batch%n",
          "DL4J fit (forward+loss+backward+update)", (System.nanoTime() - t0) / 1e6 / dl4jRepeats);
    }
    System.out.println("(" + TrainingGraph.LOSS_INPUT + " layout: loc then conf per image)");
  }

  /**
   * Prints how far the Winograd (AUTO) plan's gradients are from the direct plan's, per parameter
   * (largest difference over the largest direct value), on the same batch and output gradient.
   */
  private static void compareAlgorithms(
      FssdConfig config, ComputationGraph train, INDArray images) {
    Map<String, INDArray> direct = new HashMap<>();
    Map<String, INDArray> auto = new HashMap<>();
    INDArray outputGradient = null;
    for (PlanOptions.Algorithm a :
        new PlanOptions.Algorithm[] {PlanOptions.Algorithm.DIRECT, PlanOptions.Algorithm.AUTO}) {
      try (OneDnnTrainingPlan plan =
          OneDnnTrainingPlan.build(config, train, (int) images.size(0), a)) {
        if (Boolean.getBoolean("describe")) {
          plan.describe().forEach(l -> System.out.println("  " + l));
        }
        INDArray out = plan.forward(images);
        if (outputGradient == null) {
          outputGradient = Nd4j.randn(DataType.FLOAT, out.shape()).muli(1e-3);
        }
        Map<String, INDArray> g = new HashMap<>();
        plan.backward(outputGradient, g);
        Map<String, INDArray> into = a == PlanOptions.Algorithm.DIRECT ? direct : auto;
        g.forEach((k, v) -> into.put(k, v.dup()));
      }
    }
    double worst = 0;
    String worstKey = "";
    double squaredError = 0;
    double squaredNorm = 0;
    for (Map.Entry<String, INDArray> e : direct.entrySet()) {
      squaredError +=
          Math.pow(auto.get(e.getKey()).sub(e.getValue()).norm2Number().doubleValue(), 2);
      squaredNorm += Math.pow(e.getValue().norm2Number().doubleValue(), 2);
      double scale = Math.max(1e-30, e.getValue().amaxNumber().doubleValue());
      double d = auto.get(e.getKey()).sub(e.getValue()).amaxNumber().doubleValue() / scale;
      if (d > worst) {
        worst = d;
        worstKey = e.getKey();
      }
    }
    System.out.printf(
        "AUTO (Winograd) vs DIRECT gradients: largest difference %.2e of max |gradient| (%s);"
            + " whole gradient L2 relative %.2e%n",
        worst, worstKey, Math.sqrt(squaredError / squaredNorm));
  }

  /**
   * Labels in the training graph's layout [B, P*4 + P]: zero loc targets and every 50th prior a
   * positive of class 1, the rest background.
   */
  private static INDArray syntheticLabels(FssdConfig config, int batch, Random rng) {
    int p = config.numPriors();
    INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, 5L * p);
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < p; i += 50) {
        labels.putScalar(b, 4L * p + i, 1 + rng.nextInt(config.numClasses() - 1));
      }
    }
    return labels;
  }
}
