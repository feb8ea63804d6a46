package org.fssd.data.augment;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.FssdException;
import org.fssd.data.DetectionDataset;
import org.fssd.data.GtBox;
import org.fssd.data.Sample;
import org.fssd.image.AnnotatedBox;
import org.fssd.image.Annotator;
import org.fssd.image.BgrImage;
import org.fssd.image.ImageLoader;
import org.fssd.image.Preprocessor;

/**
 * Writes PNGs that show what the SPEC §8 augmentation does, for eyeballing: for each of the first
 * {@code count} images, {@code orig-<i>.png} (the image with its ground truth) and {@code
 * aug-<i>.png} (the augmented S x S network input, means added back, with its relative boxes scaled
 * to S). With {@link MixupOptions} every {@code aug-<i>.png} is a {@link Mixup} sample of image i
 * and a partner drawn as in training (probability taken as 1 so that each preview is mixed), its
 * boxes named with their weight. Stateless; thread-safe.
 */
public final class AugmentPreview {
  private AugmentPreview() {}

  /** Writes previews at S = 300, epoch 0. */
  public static List<Path> write(DetectionDataset dataset, int count, long seed, Path outDir) {
    return write(dataset, count, seed, outDir, 300);
  }

  /**
   * Writes {@code 2 * min(count, dataset.size())} PNGs into {@code outDir} (created if needed).
   *
   * @return the files written, in order
   */
  public static List<Path> write(
      DetectionDataset dataset, int count, long seed, Path outDir, int size) {
    return write(dataset, count, seed, outDir, size, null);
  }

  /**
   * {@link #write(DetectionDataset, int, long, Path, int)}, with {@link Mixup} samples when {@code
   * mixup} is not null (its alpha; every preview mixed).
   *
   * @return the files written, in order
   */
  public static List<Path> write(
      DetectionDataset dataset, int count, long seed, Path outDir, int size, MixupOptions mixup) {
    checkNotNull(dataset, "dataset");
    checkNotNull(outDir, "outDir");
    checkArgument(count >= 1, "count must be >= 1, got %s", count);
    try {
      Files.createDirectories(outDir);
    } catch (IOException e) {
      throw new FssdException("cannot create " + outDir + ": " + e, e);
    }
    Preprocessor pre = new Preprocessor(size);
    TrainTransform tt = new TrainTransform(pre);
    Mixup mix =
        mixup == null
            ? null
            : new Mixup(tt, MixupOptions.builder().alpha(mixup.alpha()).probability(1).build());
    Annotator annotator = new Annotator();
    List<Path> written = new ArrayList<>();
    for (int i = 0; i < Math.min(count, dataset.size()); i++) {
      try (Sample s = dataset.sample(i)) {
        List<AnnotatedBox> gt = new ArrayList<>();
        for (GtBox g : s.annotation().boxes()) {
          gt.add(
              new AnnotatedBox(
                  g.box().x1(),
                  g.box().y1(),
                  g.box().x2(),
                  g.box().y2(),
                  g.label(),
                  dataset.labels().name(g.label())
                      + (g.difficult() ? " (d)" : "")
                      + (g.crowd() ? " (crowd)" : "")));
        }
        Path orig = outDir.resolve("orig-" + i + ".png");
        annotator.writeAnnotatedPng(s.image(), gt, orig);
        written.add(orig);
        List<GtBox> train = s.annotation().trainingBoxes(dataset.keepDifficult());
        AugmentedSample a;
        if (mix == null) {
          a = tt.apply(s.image(), train, Rng.forSample(seed, 0, i));
        } else {
          java.util.SplittableRandom mr = Mixup.random(seed, 0, i);
          Mixup.Plan plan = mix.plan(mr, i, dataset.size());
          try (Sample t = dataset.sample(plan.partner())) {
            a =
                mix.apply(
                    s.image(),
                    train,
                    t.image(),
                    t.annotation().trainingBoxes(dataset.keepDifficult()),
                    plan.lambda(),
                    Rng.forSample(seed, 0, i),
                    mr);
          }
        }
        List<AnnotatedBox> boxes = new ArrayList<>();
        for (int k = 0; k < a.count(); k++) {
          String name = dataset.labels().name(a.labels()[k]);
          if (mix != null) {
            name += String.format(java.util.Locale.ROOT, " w=%.2f", a.weights()[k]);
          }
          boxes.add(
              new AnnotatedBox(
                  a.boxes()[4 * k] * size,
                  a.boxes()[4 * k + 1] * size,
                  a.boxes()[4 * k + 2] * size,
                  a.boxes()[4 * k + 3] * size,
                  a.labels()[k],
                  name));
        }
        try (BgrImage img =
            ImageLoader.defaults()
                .fromBgrBytes(toBgr(a.image(), size, pre.means()), size, size, "aug-" + i)) {
          Path aug = outDir.resolve("aug-" + i + ".png");
          annotator.writeAnnotatedPng(img, boxes, aug);
          written.add(aug);
        }
      }
    }
    return written;
  }

  /** CHW mean-subtracted floats back to packed BGR bytes (rounded, clamped). */
  static byte[] toBgr(float[] chw, int size, float[] means) {
    int plane = size * size;
    byte[] out = new byte[3 * plane];
    for (int c = 0; c < 3; c++) {
      for (int p = 0; p < plane; p++) {
        int v = Math.round(chw[c * plane + p] + means[c]);
        out[3 * p + c] = (byte) Math.max(0, Math.min(255, v));
      }
    }
    return out;
  }
}
