package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Arrays;
import java.util.List;
import org.fssd.data.GtBox;
import org.fssd.image.BgrImage;
import org.fssd.image.Preprocessor;

/**
 * The evaluation transform: SPEC §1 exactly ({@link Preprocessor}: INTER_LINEAR resize to S x S,
 * means subtracted, CHW), boxes divided by the original width and height, no randomness, no box
 * dropped. Immutable and thread-safe.
 */
public final class EvalTransform implements SampleTransform {
  private final Preprocessor pre;

  /** The transform for S x S inputs with the reference means. */
  public EvalTransform(int size) {
    this(new Preprocessor(size));
  }

  /** The transform of {@code pre}. */
  public EvalTransform(Preprocessor pre) {
    this.pre = checkNotNull(pre, "pre");
  }

  /** S. */
  @Override
  public int size() {
    return pre.size();
  }

  /** {@link #apply(BgrImage, List)}; {@code r} is not used. */
  @Override
  public AugmentedSample apply(BgrImage image, List<GtBox> boxes, java.util.SplittableRandom r) {
    return apply(image, boxes);
  }

  /** Transforms one image (not modified) and its boxes (pixels). */
  public AugmentedSample apply(BgrImage image, List<GtBox> boxes) {
    int n = boxes.size();
    float[] b = new float[4 * n];
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      GtBox g = boxes.get(i);
      b[4 * i] = g.box().x1() / image.width();
      b[4 * i + 1] = g.box().y1() / image.height();
      b[4 * i + 2] = g.box().x2() / image.width();
      b[4 * i + 3] = g.box().y2() / image.height();
      l[i] = g.label();
    }
    float[] w = new float[n];
    Arrays.fill(w, 1f);
    return new AugmentedSample(pre.toTensor(image), pre.size(), b, l, w);
  }
}
