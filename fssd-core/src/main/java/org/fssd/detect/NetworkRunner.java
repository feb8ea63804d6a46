package org.fssd.detect;

import java.util.HashMap;
import java.util.Map;
import org.fssd.engine.onednn.OneDnnPlan;
import org.fssd.engine.onednn.PlanOptions;
import org.fssd.model.FssdModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One replica of the network as {@link FssdDetector} uses it: input floats in, flat loc/conf
 * floats out. Not thread-safe; the detector's pool hands each replica to one thread at a time.
 */
abstract class NetworkRunner implements AutoCloseable {
  /** Runs {@code n} images: input [n*3*S*S], loc [n*P*4], conf [n*P*C] (logits). */
  abstract void run(float[] input, int n, float[] loc, float[] conf);

  @Override
  public void close() {}

  /** Runs the DL4J graph. */
  static final class Graph extends NetworkRunner {
    private final FssdModel model;

    Graph(FssdModel model) {
      this.model = model;
    }

    @Override
    void run(float[] input, int n, float[] loc, float[] conf) {
      int s = model.config().inputSize();
      INDArray[] out = model.graph().output(Nd4j.create(input, new long[] {n, 3, s, s}, 'c'));
      System.arraycopy(out[0].dup('c').data().asFloat(), 0, loc, 0, loc.length);
      System.arraycopy(out[1].dup('c').data().asFloat(), 0, conf, 0, conf.length);
    }
  }

  /** Runs oneDNN plans compiled from the model's parameters, one per batch size (lazily). */
  static final class OneDnn extends NetworkRunner {
    private final FssdModel model;
    private final PlanOptions options;
    private final Map<Integer, OneDnnPlan> plans = new HashMap<>();

    OneDnn(FssdModel model, PlanOptions options) {
      this.model = model;
      this.options = options;
    }

    /** Compiles the batch-1 plan now, so that a broken native setup fails at build time. */
    OneDnn warm() {
      plan(1);
      return this;
    }

    private OneDnnPlan plan(int n) {
      return plans.computeIfAbsent(n, k -> OneDnnPlan.compile(model.config(), model.graph(), k, options));
    }

    @Override
    void run(float[] input, int n, float[] loc, float[] conf) {
      plan(n).run(input, loc, conf);
    }

    @Override
    public void close() {
      plans.values().forEach(OneDnnPlan::close);
      plans.clear();
    }
  }
}
