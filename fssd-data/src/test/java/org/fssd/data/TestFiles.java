package org.fssd.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Small helpers that write test datasets. */
final class TestFiles {
  private TestFiles() {}

  static void image(Path file, int w, int h) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    String fmt = file.toString().endsWith(".png") ? "png" : "jpg";
    if (!ImageIO.write(img, fmt, file.toFile())) {
      throw new IOException("no writer for " + fmt);
    }
  }

  static void text(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content, StandardCharsets.UTF_8);
  }

  /** A VOC XML with objects given as "name,difficult,xmin,ymin,xmax,ymax". */
  static String vocXml(int w, int h, String... objects) {
    StringBuilder sb =
        new StringBuilder(
            "<annotation>\n  <filename>x.jpg</filename>\n"
                + "  <size><width>"
                + w
                + "</width><height>"
                + h
                + "</height><depth>3</depth></size>\n");
    for (String o : objects) {
      String[] f = o.split(",");
      sb.append("  <object><name>")
          .append(f[0])
          .append("</name><difficult>")
          .append(f[1])
          .append("</difficult><bndbox><xmin>")
          .append(f[2])
          .append("</xmin><ymin>")
          .append(f[3])
          .append("</ymin><xmax>")
          .append(f[4])
          .append("</xmax><ymax>")
          .append(f[5])
          .append("</ymax></bndbox></object>\n");
    }
    return sb.append("</annotation>\n").toString();
  }
}
