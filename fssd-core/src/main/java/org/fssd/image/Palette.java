package org.fssd.image;

import static org.fssd.Checks.atLeast;

/**
 * The one colour palette and font of every fssd4j picture: the boxes of {@link Annotator} (so the
 * augmentation preview and annotated detections), and the charts of {@code fssd-plots} (its {@code
 * PlotStyle} reads its colours and font from here). Entry {@code k} of the palette is the colour of
 * class {@code k} everywhere (boxes, per-class chart series) and of the {@code k}-th series of a
 * chart.
 *
 * <p>The first eight entries are the Okabe-Ito colour-blind-safe palette (blue, vermillion, green,
 * orange, reddish purple, sky blue, yellow, black); twelve more well-separated colours follow;
 * larger indices repeat the list. Plain {@code int} RGB values, so this class needs no AWT or
 * OpenCV.
 *
 * <p>Constants only; thread-safe.
 */
public final class Palette {
  /** The font family of chart text and box captions (Java's logical sans-serif font). */
  public static final String FONT_FAMILY = "SansSerif";

  /** Font size in pixels of chart titles. */
  public static final int TITLE_FONT_PX = 15;

  /** Font size in pixels of axis titles. */
  public static final int AXIS_TITLE_FONT_PX = 13;

  /** Font size in pixels of ordinary text: tick labels, legends, annotations, captions. */
  public static final int TEXT_FONT_PX = 11;

  private static final int[] RGB = {
    0x0072B2, 0xD55E00, 0x009E73, 0xE69F00, 0xCC79A7, 0x56B4E9, 0xF0E442, 0x000000,
    0x911EB4, 0x469990, 0x9A6324, 0x800000, 0x808000, 0x000075, 0xF032E6, 0xBFEF45,
    0xA9A9A9, 0xFABED4, 0xDCBEFF, 0xAAFFC3
  };

  private Palette() {}

  /** Number of distinct colours before the palette repeats. */
  public static int size() {
    return RGB.length;
  }

  /**
   * Colour {@code index} (class {@code index}, or series {@code index}) as {@code 0xRRGGBB}.
   *
   * @throws IllegalArgumentException when {@code index < 0}
   */
  public static int rgb(int index) {
    atLeast("colour index", 0, index);
    return RGB[index % RGB.length];
  }

  /** Red, green and blue (0..255) of {@link #rgb(int)}. */
  public static int[] rgbArray(int index) {
    int c = rgb(index);
    return new int[] {(c >> 16) & 0xFF, (c >> 8) & 0xFF, c & 0xFF};
  }

  /**
   * Whether text on colour {@code index} should be black (true) or white: by its luminance ({@code
   * 0.299 R + 0.587 G + 0.114 B > 140}).
   */
  public static boolean darkTextOn(int index) {
    int[] c = rgbArray(index);
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 140;
  }
}
