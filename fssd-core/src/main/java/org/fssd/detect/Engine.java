package org.fssd.detect;

/**
 * Which implementation runs the network inside an {@link FssdDetector}. Both give the same outputs
 * within the fidelity tolerance (1e-4); detections are the same.
 */
public enum Engine {
  /**
   * {@link #ONEDNN} on the ND4J CPU backend when oneDNN loads, else {@link #GRAPH}. The default.
   */
  AUTO,
  /**
   * A compiled oneDNN plan ({@code org.fssd.engine.onednn.OneDnnPlan}): weights re-ordered once,
   * Winograd where it wins, BN folded. The fast CPU path. One plan per batch size, per replica.
   */
  ONEDNN,
  /** The DL4J {@code ComputationGraph} itself (the model of record; what CUDA runs). */
  GRAPH
}
