package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fssd.model.Labels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fssd eval-detections} on result files holding boxes with swapped corners: scored as the
 * published voc_eval scores them, with one warning naming the count and the first file:line.
 *
 * <p>GT A = (11, 11, 20, 20), B = (41, 11, 42, 20) (area 20; the VOC loader refuses a GT one pixel
 * wide, so unlike SwappedCornersTest no swapped box can reach IoU 0.5 here). By score: 0.9 swapped
 * by 9 px: overlap 0 -> FP; 0.8 = A -> TP; 0.7 swapped by 0.25 px vs B: inters 0.75 * 10, uni = 7.5
 * + 20 - 7.5 -> 0.375 -> FP; 0.6 NaN vs A -> FP. npos 2: recall 0, .5, .5, .5, precision 0, 1/2,
 * 1/3, 1/4; 11-point AP = 6 thresholds (0 .. 0.5) x 1/2 / 11 = 3/11 = 0.2727.
 */
class EvalDetectionsCliTest {
  @TempDir Path dir;

  private Path vocRoot() throws Exception {
    Path voc = dir.resolve("VOCdevkit/VOC2007");
    Files.createDirectories(voc.resolve("ImageSets/Main"));
    Files.createDirectories(voc.resolve("Annotations"));
    Files.createDirectories(voc.resolve("JPEGImages"));
    Files.writeString(voc.resolve("ImageSets/Main/test.txt"), "000001\n");
    Files.write(voc.resolve("JPEGImages/000001.jpg"), new byte[0]); // never read by this command
    Files.writeString(
        voc.resolve("Annotations/000001.xml"),
        """
        <annotation><size><width>100</width><height>100</height><depth>3</depth></size>
        <object><name>cat</name><difficult>0</difficult>
          <bndbox><xmin>11</xmin><ymin>11</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object>
        <object><name>cat</name><difficult>0</difficult>
          <bndbox><xmin>41</xmin><ymin>11</ymin><xmax>42</xmax><ymax>20</ymax></bndbox></object>
        </annotation>
        """);
    return dir.resolve("VOCdevkit");
  }

  @Test
  void swappedCornersAreScoredLikeTheReferenceWithOneWarning() throws Exception {
    Path root = vocRoot();
    Path results = Files.createDirectories(dir.resolve("results"));
    for (String c : Labels.voc().objectClasses()) {
      Files.writeString(results.resolve("comp4_det_test_" + c + ".txt"), "");
    }
    Path cat = results.resolve("comp4_det_test_cat.txt");
    Files.writeString(
        cat,
        String.join(
            "\n",
            "000001 0.9 20 11 11 20",
            "000001 0.8 11 11 20 20",
            "000001 0.7 42.25 11 42 20",
            "000001 0.6 16 11 5 20",
            ""));
    Files.writeString(results.resolve("comp4_det_test_dog.txt"), "000001 0.4 30 30 31 20\n");
    CliRun r =
        CliRun.run(
            "eval-detections",
            "--voc-root",
            root.toString(),
            "--year",
            "2007",
            "--set",
            "test",
            "--results",
            results.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().strip()).endsWith("mAP: 0.2727");
    assertThat(r.err())
        .containsOnlyOnce("warning")
        .contains("4 detections have a box with x1 > x2 or y1 > y2")
        .contains(cat + ":1");
  }
}
