package org.fssd.train.eval;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fssd.box.Box;
import org.fssd.detect.Detection;
import org.fssd.model.Labels;

/**
 * SPEC §10: PASCAL VOC result files, one per class, {@code comp4_det_<set>_<class>.txt}, each line
 * {@code image_id score x1 y1 x2 y2} with <b>1-based</b> pixel coordinates (the 0-based box + 1, as
 * the published code writes them). Written atomically (a temporary file in the same directory, then
 * a rename); read back by a strict parser whose errors name the file and the line, so any
 * detector's files can be scored ({@link VocEvaluation#evaluateFiles}).
 *
 * <p><b>Image ids.</b> Files hold the bare VOC id ({@code 000001}); {@link #fileImageId(String)}
 * maps a dataset id ({@code 2007/000001} in {@link org.fssd.data.VocDataset}) to it by keeping what
 * follows the last {@code '/'}.
 *
 * <p><b>Number format</b> ({@link Format}): {@link Format#PUBLISHED} writes the score with 3 and
 * the coordinates with 1 decimal, byte for byte what the reference writes (scores rounded to 3
 * decimals create ties, whose order the published code leaves to an unstable sort); {@link
 * Format#EXACT} writes enough digits that reading gives back the same score and the same float
 * coordinates.
 *
 * <p>Stateless and thread-safe; two writers of the same directory and set race file by file.
 */
public final class VocResultFiles {

  /** How numbers are written. */
  public enum Format {
    /** Score {@code %.3f}, coordinates {@code %.1f}: the reference's files. */
    PUBLISHED,
    /** Shortest decimal that reads back to the same double: an exact round trip. */
    EXACT
  }

  /** One line of a result file: the image id as written and the detection (0-based box). */
  public record Entry(String imageId, ScoredBox detection) {
    /** Validates the entry. */
    public Entry {
      checkNotNull(imageId, "imageId");
      checkNotNull(detection, "detection");
    }
  }

  private VocResultFiles() {}

  /** The result file name of one class: {@code comp4_det_<set>_<className>.txt}. */
  public static String fileName(String imageSet, String className) {
    checkArgument(
        imageSet != null && !imageSet.isBlank() && imageSet.indexOf('/') < 0,
        "image set must be a non-blank name without '/', got '%s'",
        imageSet);
    checkArgument(
        className != null && !className.isBlank() && className.indexOf('/') < 0,
        "class name must be non-blank without '/', got '%s'",
        className);
    return "comp4_det_" + imageSet + "_" + className + ".txt";
  }

  /** The id written to result files for a dataset image id: what follows the last {@code '/'}. */
  public static String fileImageId(String datasetImageId) {
    checkNotNull(datasetImageId, "datasetImageId");
    return datasetImageId.substring(datasetImageId.lastIndexOf('/') + 1);
  }

  /**
   * Writes the detector's output, one file per object class (a class without detections gets an
   * empty file), lines in map order, then in list order.
   *
   * @param dir the directory, created if missing
   * @param imageSet the image set name, e.g. {@code test}
   * @param labels the classes; {@link Labels#name(int)} names the files
   * @param detections detections per <b>dataset</b> image id (written as {@link #fileImageId})
   * @param format the number format
   * @return the files written, in label order
   * @throws IllegalArgumentException when two ids share a file id, an id is empty or holds white
   *     space, or a class index is out of range
   * @throws EvalException when writing fails
   */
  public static List<Path> write(
      Path dir,
      String imageSet,
      Labels labels,
      Map<String, ? extends List<Detection>> detections,
      Format format) {
    Map<String, List<ScoredBox>> s = new LinkedHashMap<>();
    for (Map.Entry<String, ? extends List<Detection>> e : detections.entrySet()) {
      List<ScoredBox> l = new ArrayList<>(e.getValue().size());
      for (Detection d : e.getValue()) {
        l.add(ScoredBox.of(d));
      }
      s.put(e.getKey(), l);
    }
    return writeScored(dir, imageSet, labels, s, format);
  }

  /** {@link #write} for {@link ScoredBox} detections. */
  public static List<Path> writeScored(
      Path dir,
      String imageSet,
      Labels labels,
      Map<String, ? extends List<ScoredBox>> detections,
      Format format) {
    checkNotNull(dir, "dir");
    checkNotNull(labels, "labels");
    checkNotNull(format, "format");
    int c = labels.numClasses();
    List<StringBuilder> bodies = new ArrayList<>(c);
    for (int k = 0; k < c; k++) {
      bodies.add(new StringBuilder());
    }
    Map<String, String> seen = new HashMap<>();
    for (Map.Entry<String, ? extends List<ScoredBox>> e : detections.entrySet()) {
      String id = fileImageId(e.getKey());
      checkArgument(
          !id.isEmpty() && id.chars().noneMatch(Character::isWhitespace),
          "image id '%s' must be non-empty without white space",
          e.getKey());
      String before = seen.putIfAbsent(id, e.getKey());
      checkArgument(
          before == null,
          "images '%s' and '%s' have the same file id '%s'",
          before,
          e.getKey(),
          id);
      for (ScoredBox d : e.getValue()) {
        checkArgument(
            d.classIndex() < c,
            "image %s: class %s is not in 1..%s",
            e.getKey(),
            d.classIndex(),
            c - 1);
        appendLine(bodies.get(d.classIndex()), id, d, format);
      }
    }
    List<Path> files = new ArrayList<>();
    try {
      Files.createDirectories(dir);
    } catch (IOException ex) {
      throw new EvalException("cannot create result directory " + dir + ": " + ex, ex);
    }
    for (int k = 1; k < c; k++) {
      Path f = dir.resolve(fileName(imageSet, labels.name(k)));
      writeAtomically(f, bodies.get(k));
      files.add(f);
    }
    return files;
  }

  private static void appendLine(StringBuilder sb, String id, ScoredBox d, Format format) {
    Box b = d.box();
    if (format == Format.PUBLISHED) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%s %.3f %.1f %.1f %.1f %.1f\n",
              id,
              d.score(),
              b.x1() + 1.0,
              b.y1() + 1.0,
              b.x2() + 1.0,
              b.y2() + 1.0));
    } else {
      sb.append(id)
          .append(' ')
          .append(d.score())
          .append(' ')
          .append(b.x1() + 1.0)
          .append(' ')
          .append(b.y1() + 1.0)
          .append(' ')
          .append(b.x2() + 1.0)
          .append(' ')
          .append(b.y2() + 1.0)
          .append('\n');
    }
  }

  private static void writeAtomically(Path target, CharSequence body) {
    try {
      org.fssd.io.AtomicFiles.write(
          target,
          tmp -> {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
              w.append(body);
            }
          });
    } catch (org.fssd.FssdException e) {
      throw new EvalException("cannot write result file " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads one result file. Blank lines are skipped; every other line must be {@code image_id score
   * x1 y1 x2 y2} (white-space separated, finite numbers). The detection keeps the 1-based numbers
   * exactly ({@link ScoredBox#vocX1()} ...) and its {@link ScoredBox#box()} is 0-based (each
   * coordinate minus 1, as float). A box with swapped corners ({@code x1 > x2} or {@code y1 > y2})
   * is accepted as written, because the published {@code voc_eval} scores it (almost always as a
   * false positive; {@link ScoredBox#swapped()}); {@link #readFiles} counts them.
   *
   * @param file the file
   * @param classIndex the class its detections belong to, >= 1
   * @return the entries in file order
   * @throws EvalException naming the file and the 1-based line on a malformed line, or when the
   *     file cannot be read
   */
  public static List<Entry> read(Path file, int classIndex) {
    return read(file, classIndex, new ArrayList<>());
  }

  /** {@link #read(Path, int)}, also giving the 1-based line number of every entry. */
  private static List<Entry> read(Path file, int classIndex, List<Integer> lineNumbers) {
    checkArgument(classIndex >= 1, "classIndex must be >= 1, got %s", classIndex);
    List<Entry> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        String t = line.strip();
        if (t.isEmpty()) {
          continue;
        }
        out.add(parseLine(file, n, t, classIndex));
        lineNumbers.add(n);
      }
    } catch (NoSuchFileException e) {
      throw new EvalException("result file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new EvalException("cannot read result file " + file + ": " + e, e);
    }
    return out;
  }

  private static Entry parseLine(Path file, int n, String line, int classIndex) {
    String[] f = line.split("\\s+");
    if (f.length != 6) {
      throw bad(file, n, line, "expected 6 fields 'image_id score x1 y1 x2 y2', got " + f.length);
    }
    double[] v = new double[5];
    String[] names = {"score", "x1", "y1", "x2", "y2"};
    for (int i = 0; i < 5; i++) {
      try {
        v[i] = Double.parseDouble(f[i + 1]);
      } catch (NumberFormatException e) {
        throw bad(file, n, line, names[i] + " '" + f[i + 1] + "' is not a number");
      }
      if (!Double.isFinite(v[i])) {
        throw bad(file, n, line, names[i] + " '" + f[i + 1] + "' is not finite");
      }
    }
    float x1 = (float) (v[1] - 1.0);
    float y1 = (float) (v[2] - 1.0);
    float x2 = (float) (v[3] - 1.0);
    float y2 = (float) (v[4] - 1.0);
    if (!(Float.isFinite(x1) && Float.isFinite(y1) && Float.isFinite(x2) && Float.isFinite(y2))) {
      throw bad(file, n, line, "a coordinate is out of float range");
    }
    // swapped corners are kept as written: the reference scores such a line (see VocMatcher)
    return new Entry(f[0], ScoredBox.ofFileCoordinates(classIndex, v[0], v[1], v[2], v[3], v[4]));
  }

  private static EvalException bad(Path file, int n, String line, String why) {
    String shown = line.length() > 200 ? line.substring(0, 200) + "..." : line;
    return new EvalException(
        "result file " + file + ", line " + n + ": " + why + ": '" + shown + "'");
  }

  /**
   * What {@link #readFiles} read: the detections per file image id and the boxes with swapped
   * corners among them.
   *
   * @param detections detections per file image id, ids in order of first appearance (class order,
   *     then line order), each list in that order
   * @param swappedBoxes lines whose box has {@code x1 > x2} or {@code y1 > y2}
   * @param firstSwapped {@code file:line} of the first such line, or null when there is none
   */
  public record Read(
      Map<String, List<ScoredBox>> detections, int swappedBoxes, String firstSwapped) {
    /**
     * The one warning about swapped corners, or null when there are none: the count, the first
     * {@code file:line}, and how they are scored.
     */
    public String warning() {
      return swappedBoxes == 0
          ? null
          : swappedBoxes
              + " detection"
              + (swappedBoxes == 1 ? " has" : "s have")
              + " a box with x1 > x2 or y1 > y2 (first at "
              + firstSwapped
              + "); scored"
              + " as the reference voc_eval scores them (its overlap formula on the swapped corners,"
              + " in practice false positives)";
    }
  }

  /**
   * Reads the files of every object class of {@code labels} for {@code imageSet} from {@code dir},
   * counting the boxes with swapped corners.
   *
   * @throws EvalException when a file is missing or malformed
   */
  public static Read readFiles(Path dir, String imageSet, Labels labels) {
    Map<String, List<ScoredBox>> out = new LinkedHashMap<>();
    int swapped = 0;
    String first = null;
    for (int k = 1; k < labels.numClasses(); k++) {
      Path file = dir.resolve(fileName(imageSet, labels.name(k)));
      List<Integer> lines = new ArrayList<>();
      List<Entry> entries = read(file, k, lines);
      for (int i = 0; i < entries.size(); i++) {
        Entry e = entries.get(i);
        out.computeIfAbsent(e.imageId(), x -> new ArrayList<>()).add(e.detection());
        if (e.detection().swapped()) {
          swapped++;
          if (first == null) {
            first = file + ":" + lines.get(i);
          }
        }
      }
    }
    return new Read(out, swapped, first);
  }

  /**
   * Reads the files of every object class of {@code labels} for {@code imageSet} from {@code dir}
   * ({@link #readFiles} without the count).
   *
   * @return detections per file image id, ids in order of first appearance (class order, then line
   *     order), each list in that order
   * @throws EvalException when a file is missing or malformed
   */
  public static Map<String, List<ScoredBox>> readAll(Path dir, String imageSet, Labels labels) {
    return readFiles(dir, imageSet, labels).detections();
  }
}
