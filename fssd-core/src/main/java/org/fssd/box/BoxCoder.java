package org.fssd.box;

import static com.google.common.base.Preconditions.checkNotNull;
import static org.fssd.Checks.atLeast;
import static org.fssd.Checks.finitePositive;

import com.google.common.base.Strings;

/**
 * SPEC §4: encodes ground-truth boxes against priors into regression targets, and decodes network
 * offsets back into boxes. Priors are in centre-size form {@code (cx, cy, w, h)}, boxes in point
 * form {@code (x1, y1, x2, y2)}, both relative to the network input; offsets are {@code (l0, l1,
 * l2, l3)}.
 *
 * <ul>
 *   <li>encode: {@code ((gcx - pcx) / (v0 * pw), (gcy - pcy) / (v0 * ph), log(gw / pw) / v1, log(gh
 *       / ph) / v1)} with {@code gcx = (x1 + x2) / 2}, {@code gw = x2 - x1};
 *   <li>decode: {@code cx = pcx + (l0 * v0) * pw}, {@code cy = pcy + (l1 * v0) * ph}, {@code w = pw
 *       * exp(l2 * v1)}, {@code h = ph * exp(l3 * v1)}, then {@code x1 = cx - w / 2}, {@code y1 =
 *       cy - h / 2}, {@code x2 = x1 + w}, {@code y2 = y1 + h}.
 * </ul>
 *
 * All arithmetic is float32 in exactly this order (the variances are rounded to float once), the
 * order of the PyTorch reference; {@code exp} and {@code log} are {@link Math#exp}/{@link Math#log}
 * of the float argument, rounded to float.
 *
 * <p>The bulk methods work on flat arrays with element offsets and allocate nothing. They do not
 * validate values: a ground-truth box with zero width encodes to {@code -Infinity}, and huge
 * offsets decode to infinite boxes; callers that need finite results check them (the detection
 * post-processor skips such priors).
 *
 * <p>Immutable and thread-safe.
 */
public final class BoxCoder {
  private final float v0;
  private final float v1;

  /** A coder with the given variances (each finite and > 0). */
  public BoxCoder(double variance0, double variance1) {
    finitePositive("variance0", variance0);
    this.v1 = (float) finitePositive("variance1", variance1);
    this.v0 = (float) variance0;
  }

  /** A coder with the reference's variances (0.1, 0.2). */
  public BoxCoder() {
    this(0.1, 0.2);
  }

  /** A coder with the variances of {@code config}. */
  public static BoxCoder of(PriorConfig config) {
    double[] v = checkNotNull(config, "config").variances();
    return new BoxCoder(v[0], v[1]);
  }

  /** The centre variance v0 as float. */
  public float variance0() {
    return v0;
  }

  /** The size variance v1 as float. */
  public float variance1() {
    return v1;
  }

  /**
   * Encodes {@code count} ground-truth boxes against {@code count} priors.
   *
   * @param boxes point-form boxes, 4 floats each, from {@code boxOffset}
   * @param priors centre-size priors, 4 floats each, from {@code priorOffset}
   * @param out receives 4 offsets per box from {@code outOffset} (may be {@code boxes} with the
   *     same offset: each quadruple is read before it is written)
   */
  public void encode(
      float[] boxes,
      int boxOffset,
      float[] priors,
      int priorOffset,
      float[] out,
      int outOffset,
      int count) {
    checkBatch("boxes", boxes, boxOffset, priors, priorOffset, out, outOffset, count);
    for (int n = 0; n < count; n++) {
      int b = boxOffset + 4 * n;
      int p = priorOffset + 4 * n;
      int o = outOffset + 4 * n;
      float x1 = boxes[b];
      float y1 = boxes[b + 1];
      float x2 = boxes[b + 2];
      float y2 = boxes[b + 3];
      float pcx = priors[p];
      float pcy = priors[p + 1];
      float pw = priors[p + 2];
      float ph = priors[p + 3];
      out[o] = ((x1 + x2) / 2f - pcx) / (v0 * pw);
      out[o + 1] = ((y1 + y2) / 2f - pcy) / (v0 * ph);
      out[o + 2] = (float) Math.log((x2 - x1) / pw) / v1;
      out[o + 3] = (float) Math.log((y2 - y1) / ph) / v1;
    }
  }

  /**
   * Decodes {@code count} offset quadruples against {@code count} priors into point-form boxes.
   *
   * @param loc offsets, 4 floats each, from {@code locOffset}
   * @param priors centre-size priors, 4 floats each, from {@code priorOffset}
   * @param out receives {@code (x1, y1, x2, y2)} per box from {@code outOffset} (may be {@code loc}
   *     with the same offset)
   */
  public void decode(
      float[] loc,
      int locOffset,
      float[] priors,
      int priorOffset,
      float[] out,
      int outOffset,
      int count) {
    checkBatch("loc", loc, locOffset, priors, priorOffset, out, outOffset, count);
    for (int n = 0; n < count; n++) {
      decodeOne(loc, locOffset + 4 * n, priors, priorOffset + 4 * n, out, outOffset + 4 * n);
    }
  }

  /** Decodes one quadruple; no range checks (callers check once for a whole batch). */
  void decodeOne(float[] loc, int l, float[] priors, int p, float[] out, int o) {
    float pcx = priors[p];
    float pcy = priors[p + 1];
    float pw = priors[p + 2];
    float ph = priors[p + 3];
    float cx = pcx + (loc[l] * v0) * pw;
    float cy = pcy + (loc[l + 1] * v0) * ph;
    float w = pw * (float) Math.exp(loc[l + 2] * v1);
    float h = ph * (float) Math.exp(loc[l + 3] * v1);
    float x1 = cx - w / 2f;
    float y1 = cy - h / 2f;
    out[o] = x1;
    out[o + 1] = y1;
    out[o + 2] = x1 + w;
    out[o + 3] = y1 + h;
  }

  /**
   * Encodes one ground-truth box against one prior.
   *
   * @param gt the ground-truth box (relative coordinates, positive width and height for finite
   *     targets)
   * @param prior {@code (cx, cy, w, h)}, at least 4 floats
   * @return a new {@code float[4]} of offsets
   */
  public float[] encode(Box gt, float[] prior) {
    checkNotNull(gt, "gt");
    float[] out = {gt.x1(), gt.y1(), gt.x2(), gt.y2()};
    encode(out, 0, prior, 0, out, 0, 1);
    return out;
  }

  /**
   * Decodes one offset quadruple against one prior.
   *
   * @param loc {@code (l0, l1, l2, l3)}, at least 4 floats
   * @param prior {@code (cx, cy, w, h)}, at least 4 floats
   * @return the decoded box
   * @throws IllegalArgumentException if the decoded box is not finite (e.g. huge offsets)
   */
  public Box decode(float[] loc, float[] prior) {
    float[] out = new float[4];
    decode(loc, 0, prior, 0, out, 0, 1);
    return Box.of(out[0], out[1], out[2], out[3]);
  }

  /** Checks the three arrays of an encode or decode batch, the input named {@code inName}. */
  private static void checkBatch(
      String inName,
      float[] in,
      int inOffset,
      float[] priors,
      int priorOffset,
      float[] out,
      int outOffset,
      int count) {
    checkRange(in, inOffset, count, inName);
    checkRange(priors, priorOffset, count, "priors");
    checkRange(out, outOffset, count, "out");
  }

  private static void checkRange(float[] a, int offset, int count, String name) {
    checkNotNull(a, name);
    atLeast("count", 0, count);
    if (!(offset >= 0 && (long) offset + 4L * count <= a.length)) {
      throw new IllegalArgumentException(
          Strings.lenientFormat(
              "%s: need %s floats from offset %s, array has %s",
              name, 4L * count, offset, a.length));
    }
  }

  @Override
  public String toString() {
    return "BoxCoder{variances=(" + v0 + ", " + v1 + ")}";
  }
}
