package org.fssd.data;

import com.google.common.collect.ImmutableList;
import java.nio.file.Path;
import java.util.List;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Reads one PASCAL VOC annotation file ({@code annotation/filename}, {@code size/{width,height}},
 * {@code object/{name,difficult,bndbox/{xmin,ymin,xmax,ymax}}}) into raw values, without mapping
 * names to labels. Names are lower-cased and trimmed like the reference. Coordinates are returned
 * as written (1-based pixels); numbers may be integers or decimals.
 */
final class VocXml {
  private VocXml() {}

  /** One {@code <object>} as written. */
  record RawObject(
      int index, String name, boolean difficult, float xmin, float ymin, float xmax, float ymax) {}

  /** The file's content. {@code filename} is empty when absent. */
  record RawAnnotation(
      Path file, String filename, int width, int height, List<RawObject> objects) {}

  /**
   * Parses {@code file}.
   *
   * @throws DatasetFormatException naming the file (and object) when it is malformed, lacks a size,
   *     or an object lacks a name or a coordinate
   */
  static RawAnnotation read(Path file) {
    Document doc = SafeXml.parse(file);
    Element root = doc.getDocumentElement();
    if (!"annotation".equals(root.getTagName())) {
      throw new DatasetFormatException(
          "annotation "
              + file
              + ": root element is <"
              + root.getTagName()
              + ">, expected <annotation>");
    }
    String filename = text(root, "filename", file, "", false);
    Element size = child(root, "size");
    if (size == null) {
      throw new DatasetFormatException("annotation " + file + ": no <size> element");
    }
    int width = intValue(text(size, "width", file, "<size>", true), file, "<size>/width");
    int height = intValue(text(size, "height", file, "<size>", true), file, "<size>/height");
    if (width < 1 || height < 1) {
      throw new DatasetFormatException(
          "annotation " + file + ": image size " + width + "x" + height + " is not positive");
    }
    ImmutableList.Builder<RawObject> objects = ImmutableList.builder();
    NodeList children = root.getChildNodes();
    int k = 0;
    for (int i = 0; i < children.getLength(); i++) {
      Node n = children.item(i);
      if (!(n instanceof Element e) || !"object".equals(e.getTagName())) {
        continue;
      }
      String where = "object #" + k;
      String name = text(e, "name", file, where, true).toLowerCase(java.util.Locale.ROOT).strip();
      where = "object #" + k + " (" + name + ")";
      String diff = text(e, "difficult", file, where, false);
      boolean difficult = !diff.isEmpty() && intValue(diff, file, where + "/difficult") == 1;
      Element bb = child(e, "bndbox");
      if (bb == null) {
        throw new DatasetFormatException("annotation " + file + ", " + where + ": no <bndbox>");
      }
      float[] c = new float[4];
      String[] keys = {"xmin", "ymin", "xmax", "ymax"};
      for (int j = 0; j < 4; j++) {
        c[j] = floatValue(text(bb, keys[j], file, where, true), file, where + "/" + keys[j]);
      }
      objects.add(new RawObject(k, name, difficult, c[0], c[1], c[2], c[3]));
      k++;
    }
    return new RawAnnotation(file, filename, width, height, objects.build());
  }

  private static Element child(Element parent, String tag) {
    NodeList l = parent.getChildNodes();
    for (int i = 0; i < l.getLength(); i++) {
      if (l.item(i) instanceof Element e && tag.equals(e.getTagName())) {
        return e;
      }
    }
    return null;
  }

  private static String text(
      Element parent, String tag, Path file, String where, boolean required) {
    Element e = child(parent, tag);
    if (e == null) {
      if (required) {
        throw new DatasetFormatException(
            "annotation "
                + file
                + (where.isEmpty() ? "" : ", " + where)
                + ": missing <"
                + tag
                + ">");
      }
      return "";
    }
    return e.getTextContent().strip();
  }

  private static int intValue(String s, Path file, String what) {
    try {
      return (int) Math.round(Double.parseDouble(s));
    } catch (NumberFormatException ex) {
      throw new DatasetFormatException(
          "annotation " + file + ", " + what + ": '" + s + "' is not a number");
    }
  }

  private static float floatValue(String s, Path file, String what) {
    try {
      float v = Float.parseFloat(s);
      if (!Float.isFinite(v)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException ex) {
      throw new DatasetFormatException(
          "annotation " + file + ", " + what + ": '" + s + "' is not a finite number");
    }
  }
}
