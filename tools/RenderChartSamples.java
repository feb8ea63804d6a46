import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.fssd.plots.EvaluationCharts;
import org.fssd.plots.PruningCharts;
import org.fssd.plots.RunReport;
import org.fssd.plots.TrainingCharts;
import org.fssd.train.eval.ApMethod;

/**
 * Renders every chart and a report from realistic made-up data into a directory, for a person to
 * look at (the chart tests check the data drawn, not the look). A single-file program on the
 * class path of fssd-plots:
 *
 * <pre>
 * mvn -B -o -q -pl fssd-plots -am compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp "fssd-plots/target/classes:fssd-train/target/classes:$(cat /tmp/cp.txt)" \
 *     tools/RenderChartSamples.java /tmp/plots-look
 * </pre>
 */
public final class RenderChartSamples {
  private RenderChartSamples() {}

  /** Writes the pictures and report.html to the directory {@code args[0]}. */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: RenderChartSamples OUTPUT_DIR");
      System.exit(2);
    }
    System.setProperty("java.awt.headless", "true");
    Path dir = Files.createDirectories(Path.of(args[0]));
    Random rnd = new Random(42);
    int n = 1200;
    long[] it = new long[n];
    double[] total = new double[n];
    double[] loc = new double[n];
    double[] conf = new double[n];
    double[] lr = new double[n];
    for (int i = 0; i < n; i++) {
      it[i] = 100L * i;
      loc[i] = 0.9 + 2.2 * Math.exp(-i / 150.0) + 0.25 * rnd.nextGaussian();
      conf[i] = 1.6 + 5.0 * Math.exp(-i / 120.0) + 0.4 * rnd.nextGaussian();
      total[i] = loc[i] + conf[i];
      double base = it[i] < 80000 ? 1e-3 : it[i] < 100000 ? 1e-4 : 1e-5;
      lr[i] = it[i] < 500 ? base * it[i] / 500.0 : base;
    }
    TrainingCharts.trainingLoss(dir.resolve("loss.png"), it, total, loc, conf);
    TrainingCharts.learningRate(dir.resolve("lr.png"), it, lr);
    int[] epochs = new int[24];
    double[] map = new double[24];
    for (int e = 0; e < 24; e++) {
      epochs[e] = 10 * (e + 1);
      map[e] = 0.78 * (1 - Math.exp(-(e + 1) / 5.0)) + 0.01 * rnd.nextGaussian();
    }
    TrainingCharts.mapCurve(dir.resolve("map.png"), epochs, map);
    long[] evalIt = new long[24];
    for (int e = 0; e < 24; e++) {
      evalIt[e] = 5000L * (e + 1);
    }
    TrainingCharts.mapDuringTraining(dir.resolve("map-it.png"), evalIt, map, "VOC07 11-point");
    double[] iou = new double[10];
    double[] apIou = new double[10];
    double apSum = 0;
    for (int t = 0; t < 10; t++) {
      iou[t] = 0.5 + 0.05 * t;
      apIou[t] = 0.52 * (1 - Math.pow(t / 10.0, 2.2)) + 0.02;
      apSum += apIou[t];
    }
    EvaluationCharts.cocoApPerIou(dir.resolve("coco-iou.png"), iou, apIou, apSum / 10);
    EvaluationCharts.precisionRecall(dir.resolve("pr-class1.png"), "aeroplane", 1, new double[] {0.1, 0.3, 0.5},
        new double[] {1.0, 0.8, 0.6}, 0.5);
    int m = 200;
    double[] rec = new double[m];
    double[] prec = new double[m];
    int tp = 0;
    for (int i = 0; i < m; i++) {
      if (rnd.nextDouble() < 0.95 - 0.6 * i / m) {
        tp++;
      }
      rec[i] = tp / 150.0;
      prec[i] = tp / (double) (i + 1);
    }
    EvaluationCharts.precisionRecall(dir.resolve("pr.png"), "dog", rec, prec, ApMethod.VOC10_ALL_POINT.ap(rec, prec));
    String[] voc = {"aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
        "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
        "train", "tvmonitor"};
    double[] ap = new double[voc.length];
    for (int i = 0; i < ap.length; i++) {
      ap[i] = 0.45 + 0.45 * rnd.nextDouble();
    }
    EvaluationCharts.apBars(dir.resolve("ap.png"), voc, ap);
    float[] gam = new float[5000];
    for (int i = 0; i < gam.length; i++) {
      gam[i] = i % 50 == 0 ? 0f : (float) Math.exp(rnd.nextGaussian() * 1.5 - 2.5);
    }
    PruningCharts.gammaHistogram(dir.resolve("gamma.png"), gam, 0.02);
    String[] layers = {"conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
        "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3", "fc6", "fc7"};
    int[] before = {64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
    int[] after = new int[before.length];
    for (int i = 0; i < before.length; i++) {
      after[i] = (int) (before[i] * (0.3 + 0.6 * rnd.nextDouble()));
    }
    PruningCharts.keptChannels(dir.resolve("kept.png"), layers, before, after);
    Map<String, String> cfg = new LinkedHashMap<>();
    cfg.put("model", "VOC_300");
    cfg.put("batch", "32");
    cfg.put("lr", "1e-3, steps 80k/100k");
    RunReport.Builder b = RunReport.builder().title("fssd train VOC07+12 (sample)")
        .commandLine("fssd train --config voc300.json --out runs/a <sample & test>")
        .config(cfg).finalNumbers(Map.of("mAP (VOC07 test)", "0.7790", "final loss", "2.61"))
        .provenance(Map.of("fssd4j", "0.1.0-SNAPSHOT", "java", System.getProperty("java.version")));
    for (String p : new String[] {"loss", "lr", "map", "pr", "ap", "gamma", "kept"}) {
      b.picture(dir.resolve(p + ".png"), p + " chart");
    }
    b.build().writeTo(dir.resolve("report.html"));
    System.out.println("wrote " + dir.resolve("report.html") + " and its pictures");
  }
}
