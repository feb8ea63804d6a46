package org.fssd.data;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fssd.box.Box;
import org.fssd.image.ImageLoader;
import org.fssd.model.Labels;

/**
 * PASCAL VOC in the VOCdevkit layout (SPEC §10): for each (year, image set) pair, {@code
 * VOC<year>/ImageSets/Main/<set>.txt} lists image ids, {@code VOC<year>/Annotations/<id>.xml} holds
 * the objects and {@code VOC<year>/JPEGImages/<id>.jpg} the image. Any combination of pairs may be
 * joined, e.g. 2007 trainval + 2012 trainval ("07+12"); ids are {@code "<year>/<id>"}.
 *
 * <pre>{@code
 * VocDataset voc = VocDataset.builder(Path.of("data/VOCdevkit"))
 *     .add("2007", "trainval").add("2012", "trainval").build();
 * }</pre>
 *
 * <p><b>Coordinates.</b> VOC files hold 1-based pixel indices. Like the reference loader, each of
 * xmin, ymin, xmax, ymax is stored <b>minus 1</b>: boxes are 0-based pixel indices with xmax/ymax
 * the last pixel inside (inclusive). Training divides them by the image width/height as the
 * reference does; VOC evaluation (pixel IoU with +1, detections written +1 against the file's
 * values) is the same comparison as pixel IoU with +1 between 0-based detections and these boxes.
 *
 * <p><b>Classes</b>: names (lower-cased, trimmed) map to labels 1..20 in SPEC §10 order ({@link
 * Labels#voc()}), or to the labels given to the builder. <b>Difficult</b> objects are kept with
 * their flag; {@link Builder#keepDifficult(boolean)} (default {@code true}, as the reference
 * trains) decides whether they are training targets.
 *
 * <p><b>Bad input</b> (malformed XML, DOCTYPE/entities, unknown class, missing image or annotation,
 * bad box) follows the {@link BadInputPolicy} (default FAIL). Image files are checked to exist
 * while loading; they are decoded only by {@link #loadImage(int)}.
 */
public final class VocDataset extends FileDataset {

  private VocDataset(
      String name,
      Labels labels,
      List<Annotation> annotations,
      boolean keepDifficult,
      DataProblems problems,
      ImageLoader loader) {
    super(name, labels, annotations, keepDifficult, problems, loader);
  }

  /** A builder for a VOCdevkit directory (the one holding {@code VOC2007}, {@code VOC2012}). */
  public static Builder builder(Path devkit) {
    return new Builder(devkit);
  }

  /**
   * Reads one annotation file: parses it and maps class names with {@code classes}; bad objects
   * follow {@code problems}' policy. Used by VOC and the custom folder format.
   *
   * @param subtractOne whether to store coordinates minus 1 (VOC convention)
   * @return the annotation, or {@code null} when the file was skipped
   */
  static Annotation readAnnotation(
      Path xml,
      String id,
      Path image,
      Map<String, Integer> classes,
      boolean subtractOne,
      DataProblems problems) {
    VocXml.RawAnnotation raw;
    try {
      raw = VocXml.read(xml);
    } catch (DatasetFormatException e) {
      problems.badImage(e.getMessage(), e);
      return null;
    }
    List<GtBox> boxes = new ArrayList<>();
    float d = subtractOne ? 1f : 0f;
    for (VocXml.RawObject o : raw.objects()) {
      String where = "annotation " + xml + ", object #" + o.index() + " (" + o.name() + ")";
      Integer label = classes.get(o.name());
      if (label == null) {
        problems.badObject(
            where + ": unknown class '" + o.name() + "', known: " + classes.keySet());
        continue;
      }
      float x1 = o.xmin() - d;
      float y1 = o.ymin() - d;
      float x2 = o.xmax() - d;
      float y2 = o.ymax() - d;
      String bad = BoxChecks.problem(x1, y1, x2, y2, raw.width(), raw.height());
      if (bad != null) {
        problems.badObject(where + ": " + bad);
        continue;
      }
      boxes.add(new GtBox(Box.of(x1, y1, x2, y2), label, o.difficult(), false));
    }
    return new Annotation(id, image.toString(), raw.width(), raw.height(), boxes);
  }

  /** Name to label map of {@code labels}: object class i -> i + 1. */
  static Map<String, Integer> classMap(Labels labels) {
    Map<String, Integer> m = new HashMap<>();
    List<String> names = labels.objectClasses();
    for (int i = 0; i < names.size(); i++) {
      m.put(names.get(i), i + 1);
    }
    return m;
  }

  /** Configures and reads a {@link VocDataset}. Not thread-safe. */
  public static final class Builder {
    private final Path devkit;
    private final List<String[]> sets = new ArrayList<>();
    private Labels labels = Labels.voc();
    private boolean keepDifficult = true;
    private BadInputPolicy policy = BadInputPolicy.FAIL;
    private ImageLoader loader = ImageLoader.defaults();

    private Builder(Path devkit) {
      this.devkit = checkNotNull(devkit, "devkit");
    }

    /** Adds an image set, e.g. {@code add("2007", "trainval")}. */
    public Builder add(String year, String imageSet) {
      checkArgument(year != null && !year.isBlank(), "year must not be blank, got %s", year);
      checkArgument(
          imageSet != null && !imageSet.isBlank(), "imageSet must not be blank, got %s", imageSet);
      sets.add(new String[] {year.strip(), imageSet.strip()});
      return this;
    }

    /** Class names (default {@link Labels#voc()}). */
    public Builder labels(Labels labels) {
      this.labels = checkNotNull(labels, "labels");
      return this;
    }

    /** Whether difficult objects are training targets (default {@code true}, the reference). */
    public Builder keepDifficult(boolean keepDifficult) {
      this.keepDifficult = keepDifficult;
      return this;
    }

    /** What to do with bad input (default {@link BadInputPolicy#FAIL}). */
    public Builder badInput(BadInputPolicy policy) {
      this.policy = checkNotNull(policy, "policy");
      return this;
    }

    /** The image loader (pixel limits) used by {@link VocDataset#loadImage(int)}. */
    public Builder imageLoader(ImageLoader loader) {
      this.loader = checkNotNull(loader, "loader");
      return this;
    }

    /**
     * Reads every listed annotation.
     *
     * @throws DatasetFormatException when no set was added, an image-set file is missing, or (FAIL
     *     policy) any annotation or image is bad
     */
    public VocDataset build() {
      checkArgument(!sets.isEmpty(), "add at least one (year, image set) pair");
      DataProblems problems = new DataProblems(policy);
      Map<String, Integer> classes = classMap(labels);
      List<Annotation> all = new ArrayList<>();
      StringBuilder name = new StringBuilder();
      for (String[] ys : sets) {
        Path voc = devkit.resolve("VOC" + ys[0]);
        Path list = voc.resolve("ImageSets").resolve("Main").resolve(ys[1] + ".txt");
        List<String> ids;
        try {
          ids = Files.readAllLines(list, StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new DatasetFormatException("image set " + list + ": cannot read: " + e, e);
        }
        if (name.length() > 0) {
          name.append('+');
        }
        name.append("VOC").append(ys[0]).append('-').append(ys[1]);
        int line = 0;
        for (String rawId : ids) {
          line++;
          String id = rawId.strip();
          if (id.isEmpty()) {
            continue;
          }
          if (id.contains("/") || id.contains("\\") || id.contains("..")) {
            problems.badImage(
                "image set " + list + ", line " + line + ": bad image id '" + id + "'", null);
            continue;
          }
          Path xml = voc.resolve("Annotations").resolve(id + ".xml");
          Path jpg = voc.resolve("JPEGImages").resolve(id + ".jpg");
          if (!Files.isRegularFile(xml)) {
            problems.badImage(
                "image set " + list + ", line " + line + ": annotation " + xml + " not found",
                null);
            continue;
          }
          if (!Files.isRegularFile(jpg)) {
            problems.badImage("annotation " + xml + ": image " + jpg + " not found", null);
            continue;
          }
          Annotation a = readAnnotation(xml, ys[0] + "/" + id, jpg, classes, true, problems);
          if (a != null) {
            all.add(a);
          }
        }
      }
      return new VocDataset(name.toString(), labels, all, keepDifficult, problems, loader);
    }
  }
}
