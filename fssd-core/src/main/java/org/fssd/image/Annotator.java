package org.fssd.image;

import static com.google.common.base.Preconditions.checkNotNull;
import static org.bytedeco.opencv.global.opencv_imgproc.FILLED;
import static org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_8;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.fssd.Checks.atLeast;

import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.fssd.FssdException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draws labelled boxes on a copy of an image and writes it as PNG (for the CLI's {@code detect},
 * previews, the web page of the service). Takes plain {@link AnnotatedBox}es, so it does not depend
 * on the detector's types.
 *
 * <p>Drawing: each box is a rectangle in the colour {@link #colorBgr(int)} of its class, with a
 * line {@link #lineThickness(int, int)} pixels wide (grows with the image: 1 px up to about 900 px
 * of width + height), framed on both sides by a one-pixel outline in black or white, whichever
 * contrasts more with the class colour ({@link #outlineBgr(int)}), so that a box stays visible on
 * pixels of its own colour (an orange box around an orange object). Its caption is written in a
 * filled, outlined label of the same colour just above the rectangle; when there is no room above
 * (a box at the top edge), below it, so that the label does not cover the object; only when there
 * is room neither above nor below, inside the box at its top. The text is white or black, whichever
 * contrasts more, in the charts' font ({@link Palette#FONT_FAMILY}, {@link #captionFontPx(int)}
 * pixels, drawn with Java2D; OpenCV's Hershey font where Java2D has no fonts, e.g. a bare headless
 * server). Corners are rounded to whole pixels and clipped to the image, so a box reaching past an
 * edge is drawn along that edge.
 *
 * <p>Files are written atomically: the PNG goes to a temporary file in the target directory, which
 * is then renamed over the target ({@code ATOMIC_MOVE}); on any failure the temporary file is
 * deleted and the target is left as it was. A reader never sees a half-written file.
 *
 * <p><b>Thread safety</b>: stateless; all methods may be called from many threads at once (on
 * images not being closed meanwhile).
 */
public final class Annotator {

  private static final Logger LOG = LoggerFactory.getLogger(Annotator.class);

  /**
   * Set once Java2D text rendering failed (no fonts on a headless server): Hershey from then on.
   */
  private static volatile boolean java2dTextBroken;

  /** A stateless annotator with the default palette. */
  public Annotator() {}

  /**
   * The colour of a class, {B, G, R} in 0..255: {@link Palette#rgb(int)}, the colour the charts of
   * fssd-plots give the same class.
   *
   * @throws IllegalArgumentException when {@code classIndex < 0}
   */
  public static int[] colorBgr(int classIndex) {
    atLeast("classIndex", 0, classIndex);
    int rgb = Palette.rgb(classIndex);
    return new int[] {rgb & 0xFF, (rgb >> 8) & 0xFF, (rgb >> 16) & 0xFF};
  }

  /**
   * The outline colour of boxes and labels of a class, {B, G, R}: black on light class colours,
   * white on dark ones ({@link Palette#darkTextOn(int)}), so the outline contrasts with the box.
   *
   * @throws IllegalArgumentException when {@code classIndex < 0}
   */
  public static int[] outlineBgr(int classIndex) {
    int v = Palette.darkTextOn(classIndex) ? 0 : 255;
    return new int[] {v, v, v};
  }

  /**
   * The top row of a caption label {@code labelHeight} pixels high for a box whose (clipped) top
   * and bottom rows are {@code y1} and {@code y2}, in an image {@code imageHeight} pixels high, for
   * a box line {@code thickness} pixels wide: above the box when the label fits there, else just
   * below it (a box at the top edge keeps its object visible), else inside the box at its top.
   */
  static int labelTop(int y1, int y2, int labelHeight, int imageHeight, int thickness) {
    if (y1 - labelHeight >= 0) {
      return y1 - labelHeight;
    }
    int below = y2 + (thickness + 1) / 2 + 1;
    if (below + labelHeight <= imageHeight) {
      return below;
    }
    return Math.min(y1, Math.max(0, imageHeight - labelHeight));
  }

  /** Box line width in pixels for an image of this size: {@code max(1, round((w + h) / 600))}. */
  public static int lineThickness(int width, int height) {
    return (int) Math.max(1, Math.round((width + (double) height) / 600.0));
  }

  /** Caption font size in pixels for a box line {@code thickness}: {@code 12 * thickness}. */
  public static int captionFontPx(int thickness) {
    return Math.max(Palette.TEXT_FONT_PX, 12 * thickness);
  }

  /**
   * A copy of {@code image} with the boxes drawn on it (the caller closes it); {@code image} is not
   * changed.
   *
   * @throws IllegalStateException when {@code image} is closed
   */
  public BgrImage draw(BgrImage image, List<AnnotatedBox> boxes) {
    checkNotNull(image, "image");
    checkNotNull(boxes, "boxes");
    BgrImage copy = image.copy();
    try {
      Mat mat = copy.mat();
      int w = copy.width();
      int h = copy.height();
      int thickness = lineThickness(w, h);
      double fontScale = 0.45 * thickness;
      int textThickness = Math.max(1, thickness / 2);
      for (AnnotatedBox box : boxes) {
        checkNotNull(box, "boxes contains null");
        drawOne(mat, box, w, h, thickness, fontScale, textThickness);
      }
      return copy;
    } catch (RuntimeException e) {
      copy.close();
      throw e;
    }
  }

  /**
   * The image with the boxes drawn on it, encoded as PNG bytes.
   *
   * @throws IllegalStateException when {@code image} is closed
   */
  public byte[] annotatedPng(BgrImage image, List<AnnotatedBox> boxes) {
    try (BgrImage drawn = draw(image, boxes)) {
      return encodePng(drawn);
    }
  }

  /**
   * Draws the boxes on a copy of {@code image} and writes it as a PNG file, atomically (see the
   * class Javadoc). An existing file at {@code out} is replaced.
   *
   * @throws FssdException naming {@code out} when its directory does not exist or the file cannot
   *     be written; nothing is left behind then
   * @throws IllegalStateException when {@code image} is closed
   */
  public void writeAnnotatedPng(BgrImage image, List<AnnotatedBox> boxes, Path out) {
    checkNotNull(out, "out");
    writeAtomically(annotatedPng(image, boxes), out);
  }

  /**
   * Encodes an image as PNG (OpenCV {@code imencode}, default compression).
   *
   * @throws IllegalStateException when {@code image} is closed
   * @throws FssdException when OpenCV fails to encode
   */
  public static byte[] encodePng(BgrImage image) {
    checkNotNull(image, "image");
    try (BytePointer buffer = new BytePointer()) {
      if (!opencv_imgcodecs.imencode(".png", image.mat(), buffer)) {
        throw new FssdException("cannot encode image " + image.source() + " as PNG");
      }
      byte[] png = new byte[Math.toIntExact(buffer.limit())];
      buffer.get(png);
      return png;
    }
  }

  /**
   * Writes {@code content} to {@code out} atomically: into a temporary file in the same directory,
   * then renamed over {@code out} (an atomic rename where the file system supports it, else a plain
   * replacing move). On failure the temporary file is deleted.
   *
   * @throws FssdException naming {@code out} and the cause when the directory does not exist or
   *     writing fails
   */
  public static void writeAtomically(byte[] content, Path out) {
    checkNotNull(content, "content");
    checkNotNull(out, "out");
    org.fssd.io.AtomicFiles.write(out, content);
  }

  @Override
  public String toString() {
    return "Annotator{palette=" + Palette.size() + " colours, font " + Palette.FONT_FAMILY + "}";
  }

  // ---------------------------------------------------------------------------------------------

  private static void drawOne(
      Mat mat, AnnotatedBox box, int w, int h, int thickness, double fontScale, int textThickness) {
    int x1 = clip(box.x1(), w);
    int y1 = clip(box.y1(), h);
    int x2 = clip(box.x2(), w);
    int y2 = clip(box.y2(), h);
    int[] bgr = colorBgr(box.classIndex());
    int[] outline = outlineBgr(box.classIndex());
    try (Scalar color = new Scalar(bgr[0], bgr[1], bgr[2], 0);
        Scalar outlineColor = new Scalar(outline[0], outline[1], outline[2], 0);
        Point p1 = new Point(x1, y1);
        Point p2 = new Point(x2, y2)) {
      // The outline first, two pixels wider than the line (one on each side), then the line on it.
      opencv_imgproc.rectangle(mat, p1, p2, outlineColor, thickness + 2, LINE_8, 0);
      opencv_imgproc.rectangle(mat, p1, p2, color, thickness, LINE_8, 0);
      if (box.caption().isEmpty()) {
        return;
      }
      if (!java2dTextBroken) {
        try {
          drawCaptionJava2d(mat, box, x1, y1, y2, w, h, thickness);
          return;
        } catch (RuntimeException | Error e) { // AWTError, UnsatisfiedLinkError: no fonts
          java2dTextBroken = true;
          LOG.warn(
              "Java2D cannot draw text here ({}); captions use OpenCV's Hershey font",
              e.toString());
        }
      }
      int[] baseline = new int[1];
      try (Size text =
          opencv_imgproc.getTextSize(
              box.caption(), FONT_HERSHEY_SIMPLEX, fontScale, textThickness, baseline)) {
        int tw = text.width();
        int th = text.height() + baseline[0];
        int pad = Math.max(1, thickness);
        int boxH = th + 2 * pad;
        int top = labelTop(y1, y2, boxH, h, thickness);
        int left = Math.max(0, Math.min(x1, w - tw - 2 * pad));
        double luminance = 0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2];
        int ink = luminance > 140 ? 0 : 255;
        try (Point b1 = new Point(left, top);
            Point b2 = new Point(left + tw + 2 * pad, top + boxH);
            Point origin = new Point(left + pad, top + pad + text.height());
            Scalar inkColor = new Scalar(ink, ink, ink, 0)) {
          opencv_imgproc.rectangle(mat, b1, b2, color, FILLED, LINE_8, 0);
          opencv_imgproc.rectangle(mat, b1, b2, outlineColor, 1, LINE_8, 0);
          opencv_imgproc.putText(
              mat,
              box.caption(),
              origin,
              FONT_HERSHEY_SIMPLEX,
              fontScale,
              inkColor,
              textThickness,
              LINE_AA,
              false);
        }
      }
    }
  }

  /** The caption label (box colour, black or white text) drawn with Java2D and copied in. */
  private static void drawCaptionJava2d(
      Mat mat, AnnotatedBox box, int x1, int y1, int y2, int w, int h, int thickness) {
    java.awt.Font font =
        new java.awt.Font(Palette.FONT_FAMILY, java.awt.Font.PLAIN, captionFontPx(thickness));
    java.awt.image.BufferedImage scratch =
        new java.awt.image.BufferedImage(1, 1, java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
    java.awt.Graphics2D sg = scratch.createGraphics();
    java.awt.FontMetrics fm = sg.getFontMetrics(font);
    sg.dispose();
    int pad = Math.max(2, thickness + 1);
    int tw = Math.min(fm.stringWidth(box.caption()) + 2 * pad, w);
    int th = Math.min(fm.getAscent() + fm.getDescent() + pad, h);
    if (tw <= 0 || th <= 0) {
      return;
    }
    int top = labelTop(y1, y2, th, h, thickness);
    int left = Math.max(0, Math.min(x1, w - tw));
    int[] rgb = Palette.rgbArray(box.classIndex());
    java.awt.image.BufferedImage label =
        new java.awt.image.BufferedImage(tw, th, java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
    java.awt.Graphics2D g = label.createGraphics();
    try {
      g.setColor(new java.awt.Color(rgb[0], rgb[1], rgb[2]));
      g.fillRect(0, 0, tw, th);
      g.setRenderingHint(
          java.awt.RenderingHints.KEY_TEXT_ANTIALIASING,
          java.awt.RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(font);
      g.setColor(
          Palette.darkTextOn(box.classIndex()) ? java.awt.Color.BLACK : java.awt.Color.WHITE);
      g.drawString(box.caption(), pad, pad / 2 + fm.getAscent());
      int[] outline = outlineBgr(box.classIndex());
      g.setColor(new java.awt.Color(outline[2], outline[1], outline[0]));
      g.drawRect(0, 0, tw - 1, th - 1);
    } finally {
      g.dispose();
    }
    byte[] bgr = ((java.awt.image.DataBufferByte) label.getRaster().getDataBuffer()).getData();
    for (int r = 0; r < th; r++) {
      mat.ptr(top + r, left).put(bgr, r * tw * 3, tw * 3);
    }
  }

  private static int clip(float v, int extent) {
    return (int) Math.max(0, Math.min(extent - 1, Math.round(v)));
  }
}
