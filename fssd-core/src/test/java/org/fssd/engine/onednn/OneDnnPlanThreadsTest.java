package org.fssd.engine.onednn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fssd.model.FssdConfig;
import org.fssd.model.FssdGraph;
import org.fssd.model.FssdTestModels;
import org.junit.jupiter.api.Test;

/**
 * A plan compiled on one thread runs correctly on others (one at a time): the plan owns its
 * scratchpads instead of relying on oneDNN's per-thread library scratchpad.
 */
class OneDnnPlanThreadsTest {

  @Test
  void planCompiledHereRunsOnFreshThreads() throws Exception {
    FssdConfig config = FssdTestModels.narrow300(5, true);
    ComputationGraph graph = FssdGraph.create(config, 21);
    float[] input = new float[3 * 300 * 300];
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) (r.nextGaussian() * 50);
    }
    try (OneDnnPlan plan =
        OneDnnPlan.compile(
            config,
            graph,
            1,
            PlanOptions.builder().algorithm(PlanOptions.Algorithm.WINOGRAD).build())) {
      float[] loc = new float[plan.locLength()];
      float[] conf = new float[plan.confLength()];
      plan.run(input, loc, conf);
      for (int t = 0; t < 4; t++) {
        ExecutorService fresh =
            Executors.newSingleThreadExecutor(); // a thread oneDNN has never seen
        try {
          Future<float[][]> f =
              fresh.submit(
                  () -> {
                    float[] l = new float[plan.locLength()];
                    float[] c = new float[plan.confLength()];
                    plan.run(input, l, c);
                    return new float[][] {l, c};
                  });
          float[][] out = f.get(120, TimeUnit.SECONDS);
          assertThat(out[0]).containsExactly(loc);
          assertThat(out[1]).containsExactly(conf);
        } finally {
          fresh.shutdownNow();
        }
      }
    }
  }

  @Test
  void twoPlansCompiledOnOneThreadRunConcurrentlyOnTwoOthers() throws Exception {
    FssdConfig config =
        FssdConfig.voc300().toBuilder()
            .widths(
                org.fssd.model.Widths.of(
                    new int[] {16, 16, 32, 32, 64, 64, 64, 128, 128, 128, 128, 128, 128},
                    256,
                    256,
                    new int[] {64, 128, 32, 64},
                    new int[] {64, 64, 64},
                    new int[] {128, 128, 64, 64, 64, 64}))
            .build();
    ComputationGraph graph = FssdGraph.create(config, 5);
    float[] input = new float[3 * 300 * 300];
    java.util.Random r = new java.util.Random(4);
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) (r.nextGaussian() * 50);
    }
    PlanOptions wino = PlanOptions.builder().algorithm(PlanOptions.Algorithm.WINOGRAD).build();
    try (OneDnnPlan a = OneDnnPlan.compile(config, graph, 1, wino);
        OneDnnPlan b = OneDnnPlan.compile(config, graph, 1, wino)) {
      float[] loc = new float[a.locLength()];
      float[] conf = new float[a.confLength()];
      a.run(input, loc, conf);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        java.util.List<Future<Boolean>> results = new java.util.ArrayList<>();
        for (OneDnnPlan p : new OneDnnPlan[] {a, b}) {
          results.add(
              pool.submit(
                  () -> {
                    float[] l = new float[p.locLength()];
                    float[] c = new float[p.confLength()];
                    for (int k = 0; k < 6; k++) {
                      p.run(input, l, c);
                      if (!java.util.Arrays.equals(l, loc) || !java.util.Arrays.equals(c, conf)) {
                        return false;
                      }
                    }
                    return true;
                  }));
        }
        for (Future<Boolean> f : results) {
          assertThat(f.get(300, TimeUnit.SECONDS)).isTrue();
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
