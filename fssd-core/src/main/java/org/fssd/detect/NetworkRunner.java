package org.fssd.detect;

import org.fssd.engine.onednn.OneDnnPlanSet;
import org.fssd.engine.onednn.OneDnnWeights;
import org.fssd.model.FssdModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One replica of the network as {@link FssdDetector} uses it: input floats in, flat loc/conf floats
 * out. Used by one thread at a time (any thread); the detector's pool lends each replica to one
 * caller at a time.
 */
abstract class NetworkRunner implements AutoCloseable {
  /**
   * Runs {@code n} images (a batch size the detector compiled) starting at image {@code first}:
   * input [.. (first+n)*3*S*S], loc [.. (first+n)*P*4], conf [.. (first+n)*P*C] (logits).
   */
  abstract void run(float[] input, int first, int n, float[] loc, float[] conf);

  @Override
  public void close() {}

  /** Runs the DL4J graph (its own copy of the model per replica). */
  static final class Graph extends NetworkRunner {
    private final FssdModel model;

    Graph(FssdModel model) {
      this.model = model;
    }

    /** The model whose graph this replica runs (tests). */
    FssdModel model() {
      return model;
    }

    @Override
    void run(float[] input, int first, int n, float[] loc, float[] conf) {
      int s = model.config().inputSize();
      int image = 3 * s * s;
      float[] slice = new float[n * image];
      System.arraycopy(input, first * image, slice, 0, slice.length);
      INDArray[] out = model.graph().output(Nd4j.create(slice, new long[] {n, 3, s, s}, 'c'));
      float[] l = out[0].dup('c').data().asFloat();
      float[] c = out[1].dup('c').data().asFloat();
      System.arraycopy(l, 0, loc, first * (l.length / n), l.length);
      System.arraycopy(c, 0, conf, first * (c.length / n), c.length);
    }
  }

  /**
   * Runs oneDNN plans of the detector's batch sizes, all compiled when the replica is made, on the
   * detector's shared weights and this replica's own arena.
   */
  static final class OneDnn extends NetworkRunner {
    private final OneDnnPlanSet plans;

    OneDnn(OneDnnWeights weights, int[] batchSizes) {
      this.plans = OneDnnPlanSet.compile(weights, batchSizes);
    }

    @Override
    void run(float[] input, int first, int n, float[] loc, float[] conf) {
      var plan = plans.plan(n);
      int perImageIn = plan.inputLength() / n;
      int perImageLoc = plan.locLength() / n;
      int perImageConf = plan.confLength() / n;
      plan.run(input, first * perImageIn, loc, first * perImageLoc, conf, first * perImageConf);
    }

    /** Bytes of this replica's arena. */
    long arenaBytes() {
      return plans.arenaBytes();
    }

    @Override
    public void close() {
      plans.close();
    }
  }
}
