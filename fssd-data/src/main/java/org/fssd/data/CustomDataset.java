package org.fssd.data;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.fssd.box.Box;
import org.fssd.image.BgrImage;
import org.fssd.image.ImageLoader;
import org.fssd.model.Labels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user's own data, in one of two simple formats.
 *
 * <ol>
 *   <li><b>Folder</b> ({@link #fromFolder}): images ({@code .jpg .jpeg .png .bmp}) with a VOC-style
 *       XML file of the same stem next to them ({@code cat1.jpg} + {@code cat1.xml}, as labelImg
 *       writes). Coordinates are 1-based like VOC and stored minus 1 ({@link VocDataset}). Images
 *       without an XML file are not part of the dataset (their number is logged); an XML file
 *       without an image is bad input.
 *   <li><b>CSV</b> ({@link #fromCsv}): rows {@code image,x1,y1,x2,y2,label} (header row optional,
 *       recognised when its x1 field is not a number; fields may be double-quoted), image paths
 *       relative to the CSV's directory, coordinates 0-based pixels stored as written. Rows of one
 *       image need not be adjacent; a row {@code image,,,,,} lists an image without objects. Image
 *       sizes are read from the file headers.
 * </ol>
 *
 * <p><b>Labels.</b> When {@link Options#labelsFile(Path)} names an existing file (one class name
 * per line, background not listed), its classes and order are used and other names are bad input.
 * Otherwise the class names found are sorted (String order) into labels 1..K and, if a labels file
 * was named, written there, so training and detection agree on the class order.
 *
 * <p>Bad input (malformed XML or rows, unknown class, missing image, bad box) follows {@link
 * Options#badInput(BadInputPolicy)}; messages name the file and line or object.
 */
public final class CustomDataset extends FileDataset {
  private static final Logger LOG = LoggerFactory.getLogger(CustomDataset.class);
  private static final List<String> IMAGE_EXT = List.of(".jpg", ".jpeg", ".png", ".bmp");

  private CustomDataset(
      String name,
      Labels labels,
      List<Annotation> annotations,
      DataProblems problems,
      ImageLoader loader) {
    super(name, labels, annotations, true, problems, loader);
  }

  /** Options of both formats; a mutable holder, not thread-safe. */
  public static final class Options {
    private Path labelsFile;
    private BadInputPolicy policy = BadInputPolicy.FAIL;
    private ImageLoader loader = ImageLoader.defaults();

    /** Default options: no labels file, FAIL on bad input, default image loader. */
    public static Options defaults() {
      return new Options();
    }

    /** Labels file to read (when it exists) or write (when it does not). */
    public Options labelsFile(Path labelsFile) {
      this.labelsFile = checkNotNull(labelsFile, "labelsFile");
      return this;
    }

    /** What to do with bad input. */
    public Options badInput(BadInputPolicy policy) {
      this.policy = checkNotNull(policy, "policy");
      return this;
    }

    /** Image loader used by {@link CustomDataset#loadImage(int)}. */
    public Options imageLoader(ImageLoader loader) {
      this.loader = checkNotNull(loader, "loader");
      return this;
    }
  }

  /**
   * Reads a folder of images with VOC-style XML files next to them (not recursive).
   *
   * @throws DatasetFormatException when the folder cannot be listed or (FAIL) any input is bad
   */
  public static CustomDataset fromFolder(Path dir, Options options) {
    checkNotNull(dir, "dir");
    checkNotNull(options, "options");
    DataProblems problems = new DataProblems(options.policy);
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new DatasetFormatException("folder " + dir + ": cannot list: " + e, e);
    }
    Map<String, Path> images = new LinkedHashMap<>();
    List<Path> xmls = new ArrayList<>();
    for (Path f : files) {
      String n = f.getFileName().toString();
      String lower = n.toLowerCase(Locale.ROOT);
      if (lower.endsWith(".xml")) {
        xmls.add(f);
      } else if (IMAGE_EXT.stream().anyMatch(lower::endsWith)) {
        images.putIfAbsent(stem(n), f);
      }
    }
    // Pass 1: parse, collect names.
    List<VocXml.RawAnnotation> raws = new ArrayList<>();
    List<Path> rawImages = new ArrayList<>();
    TreeSet<String> names = new TreeSet<>();
    for (Path xml : xmls) {
      Path image = images.remove(stem(xml.getFileName().toString()));
      if (image == null) {
        problems.badImage("annotation " + xml + ": no image with the same name next to it", null);
        continue;
      }
      try {
        VocXml.RawAnnotation r = VocXml.read(xml);
        raws.add(r);
        rawImages.add(image);
        r.objects().forEach(o -> names.add(o.name()));
      } catch (DatasetFormatException e) {
        problems.badImage(e.getMessage(), e);
      }
    }
    if (!images.isEmpty()) {
      LOG.info("folder {}: {} images without an XML file are not used", dir, images.size());
    }
    Labels labels = resolveLabels(names, options);
    Map<String, Integer> classes = VocDataset.classMap(labels);
    List<Annotation> out = new ArrayList<>();
    for (int i = 0; i < raws.size(); i++) {
      VocXml.RawAnnotation r = raws.get(i);
      List<GtBox> boxes = new ArrayList<>();
      for (VocXml.RawObject o : r.objects()) {
        String where = "annotation " + r.file() + ", object #" + o.index() + " (" + o.name() + ")";
        Integer label = classes.get(o.name());
        if (label == null) {
          problems.badObject(
              where + ": unknown class '" + o.name() + "', known: " + labels.objectClasses());
          continue;
        }
        float x1 = o.xmin() - 1;
        float y1 = o.ymin() - 1;
        float x2 = o.xmax() - 1;
        float y2 = o.ymax() - 1;
        String bad = BoxChecks.problem(x1, y1, x2, y2, r.width(), r.height());
        if (bad != null) {
          problems.badObject(where + ": " + bad);
          continue;
        }
        boxes.add(new GtBox(Box.of(x1, y1, x2, y2), label, o.difficult(), false));
      }
      String id = stem(rawImages.get(i).getFileName().toString());
      out.add(new Annotation(id, rawImages.get(i).toString(), r.width(), r.height(), boxes));
    }
    return new CustomDataset("folder:" + dir.getFileName(), labels, out, problems, options.loader);
  }

  /**
   * Reads a CSV file {@code image,x1,y1,x2,y2,label}.
   *
   * @throws DatasetFormatException when the file cannot be read or (FAIL) any row is bad
   */
  public static CustomDataset fromCsv(Path csv, Options options) {
    checkNotNull(csv, "csv");
    checkNotNull(options, "options");
    DataProblems problems = new DataProblems(options.policy);
    List<String> lines;
    try {
      lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new DatasetFormatException("CSV " + csv + ": cannot read: " + e, e);
    }
    Path base = csv.toAbsolutePath().getParent();
    record Row(int line, String image, float[] c, String label) {}
    Map<String, List<Row>> byImage = new LinkedHashMap<>();
    TreeSet<String> names = new TreeSet<>();
    for (int ln = 1; ln <= lines.size(); ln++) {
      String line = lines.get(ln - 1);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String where = "CSV " + csv + ", line " + ln;
      List<String> f;
      try {
        f = splitCsv(line);
      } catch (IllegalArgumentException e) {
        problems.badObject(where + ": " + e.getMessage());
        continue;
      }
      if (f.size() != 6) {
        problems.badObject(where + ": expected 6 fields image,x1,y1,x2,y2,label, got " + f.size());
        continue;
      }
      if (ln == firstDataLine(lines) && !isNumber(f.get(1)) && !f.get(1).isBlank()) {
        continue; // header
      }
      String image = f.get(0).strip();
      if (image.isEmpty()) {
        problems.badObject(where + ": empty image name");
        continue;
      }
      List<Row> rows = byImage.computeIfAbsent(image, k -> new ArrayList<>());
      boolean empty = f.subList(1, 6).stream().allMatch(String::isBlank);
      if (empty) {
        continue;
      }
      float[] c = new float[4];
      boolean ok = true;
      for (int k = 0; k < 4 && ok; k++) {
        String s = f.get(k + 1).strip();
        try {
          c[k] = Float.parseFloat(s);
          ok = Float.isFinite(c[k]);
        } catch (NumberFormatException e) {
          ok = false;
        }
        if (!ok) {
          problems.badObject(where + ": field " + (k + 2) + " '" + s + "' is not a finite number");
        }
      }
      String label = f.get(5).strip();
      if (ok && label.isEmpty()) {
        problems.badObject(where + ": empty label");
        ok = false;
      }
      if (ok) {
        rows.add(new Row(ln, image, c, label));
        names.add(label);
      }
    }
    Labels labels = resolveLabels(names, options);
    Map<String, Integer> classes = VocDataset.classMap(labels);
    List<Annotation> out = new ArrayList<>();
    for (Map.Entry<String, List<Row>> e : byImage.entrySet()) {
      Path image = base.resolve(e.getKey()).normalize();
      int[] size;
      try {
        size = imageSize(image, options.loader);
      } catch (RuntimeException ex) {
        problems.badImage("CSV " + csv + ": image " + image + ": " + ex.getMessage(), ex);
        continue;
      }
      List<GtBox> boxes = new ArrayList<>();
      for (Row r : e.getValue()) {
        String where = "CSV " + csv + ", line " + r.line();
        Integer label = classes.get(r.label());
        if (label == null) {
          problems.badObject(
              where + ": unknown class '" + r.label() + "', known: " + labels.objectClasses());
          continue;
        }
        String bad = BoxChecks.problem(r.c()[0], r.c()[1], r.c()[2], r.c()[3], size[0], size[1]);
        if (bad != null) {
          problems.badObject(where + ": " + bad);
          continue;
        }
        boxes.add(GtBox.of(Box.of(r.c()[0], r.c()[1], r.c()[2], r.c()[3]), label));
      }
      out.add(new Annotation(e.getKey(), image.toString(), size[0], size[1], boxes));
    }
    return new CustomDataset("csv:" + csv.getFileName(), labels, out, problems, options.loader);
  }

  /**
   * Reads a labels file: one class name per line (blank lines and surrounding spaces ignored),
   * background not listed.
   *
   * @throws DatasetFormatException when it cannot be read, is empty or repeats a name
   */
  public static Labels readLabels(Path file) {
    try {
      List<String> names =
          Files.readAllLines(file, StandardCharsets.UTF_8).stream()
              .map(String::strip)
              .filter(s -> !s.isEmpty())
              .toList();
      return Labels.of(names);
    } catch (IOException e) {
      throw new DatasetFormatException("labels file " + file + ": cannot read: " + e, e);
    } catch (IllegalArgumentException e) {
      throw new DatasetFormatException("labels file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code labels}' object classes to {@code file}, one per line (atomically). */
  public static void writeLabels(Labels labels, Path file) {
    String text = String.join("\n", labels.objectClasses()) + "\n";
    org.fssd.image.Annotator.writeAtomically(text.getBytes(StandardCharsets.UTF_8), file);
  }

  private static Labels resolveLabels(TreeSet<String> found, Options options) {
    if (options.labelsFile != null && Files.exists(options.labelsFile)) {
      return readLabels(options.labelsFile);
    }
    if (found.isEmpty()) {
      throw new DatasetFormatException(
          "no objects found, so no class names to build labels from"
              + (options.labelsFile == null
                  ? ""
                  : " (and " + options.labelsFile + " does not exist)"));
    }
    Labels labels = Labels.of(ImmutableList.copyOf(found));
    if (options.labelsFile != null) {
      writeLabels(labels, options.labelsFile);
      LOG.info("wrote {} class names to {}", found.size(), options.labelsFile);
    }
    return labels;
  }

  /** Width and height from the file header (ImageIO), else by decoding it. */
  static int[] imageSize(Path image, ImageLoader loader) {
    if (!Files.isRegularFile(image)) {
      throw new DatasetFormatException("file not found");
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(image.toFile())) {
      if (in != null) {
        Iterator<ImageReader> it = ImageIO.getImageReaders(in);
        if (it.hasNext()) {
          ImageReader r = it.next();
          try {
            r.setInput(in, true, true);
            return new int[] {r.getWidth(0), r.getHeight(0)};
          } finally {
            r.dispose();
          }
        }
      }
    } catch (IOException e) {
      // fall through to a full decode, which reports the problem precisely
    }
    try (BgrImage img = loader.load(image)) {
      return new int[] {img.width(), img.height()};
    }
  }

  private static int firstDataLine(List<String> lines) {
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).isBlank() && !lines.get(i).startsWith("#")) {
        return i + 1;
      }
    }
    return -1;
  }

  private static boolean isNumber(String s) {
    try {
      Float.parseFloat(s.strip());
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Splits one CSV line (RFC 4180 quotes, {@code ""} inside quotes is a quote). */
  static List<String> splitCsv(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          cur.append(ch);
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(ch);
      }
    }
    if (quoted) {
      throw new IllegalArgumentException("unterminated quote");
    }
    out.add(cur.toString());
    return out;
  }

  private static String stem(String fileName) {
    int dot = fileName.lastIndexOf('.');
    return dot < 0 ? fileName : fileName.substring(0, dot);
  }
}
