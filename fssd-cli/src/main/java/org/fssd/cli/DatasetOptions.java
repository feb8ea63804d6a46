package org.fssd.cli;

import java.nio.file.Path;
import java.util.List;
import org.fssd.data.BadInputPolicy;
import org.fssd.data.CocoDataset;
import org.fssd.data.CustomDataset;
import org.fssd.data.DetectionDataset;
import org.fssd.data.ShapesDataset;
import org.fssd.data.VocDataset;
import picocli.CommandLine.Option;

/** Shared options that pick a dataset: {@code --dataset voc|coco|custom|shapes} and its sources. */
final class DatasetOptions {
  @Option(
      names = "--dataset",
      description = "voc | coco | custom | shapes (default: voc when --voc-root is given)")
  String kind;

  @Option(names = "--voc-root", description = "VOCdevkit folder (holds VOC2007/, VOC2012/)")
  Path vocRoot;

  @Option(
      names = "--voc-sets",
      split = ",",
      defaultValue = "2007:trainval",
      description =
          "year:set pairs, comma-separated (default: ${DEFAULT-VALUE}), e.g. 2007:trainval,2012:trainval")
  List<String> vocSets;

  @Option(names = "--coco-json", description = "COCO instances JSON")
  Path cocoJson;

  @Option(names = "--coco-images", description = "folder of the COCO images")
  Path cocoImages;

  @Option(
      names = "--custom-dir",
      description = "folder of images with VOC-style XML files beside them")
  Path customDir;

  @Option(
      names = "--csv",
      description = "CSV file: image,x1,y1,x2,y2,label (images relative to the CSV)")
  Path csv;

  @Option(
      names = "--labels-file",
      description = "labels file of a custom dataset (written if missing)")
  Path labelsFile;

  @Option(
      names = "--shapes-count",
      defaultValue = "200",
      description = "images of the shapes dataset (default: ${DEFAULT-VALUE})")
  int shapesCount;

  @Option(
      names = "--shapes-seed",
      defaultValue = "1",
      description = "seed of the shapes dataset (default: ${DEFAULT-VALUE})")
  long shapesSeed;

  @Option(
      names = "--shapes-preset",
      defaultValue = "STANDARD",
      description =
          "STANDARD | SEPARATED (the demo model's data: 1-4 non-touching shapes of 30-135 px) | HARD (10 classes, 2-10 overlapping shapes from 12 px, unlabelled clutter, more noise) (default: ${DEFAULT-VALUE})")
  ShapesDataset.Preset shapesPreset;

  @Option(
      names = "--shapes-classes",
      split = ",",
      description =
          "shapes to draw, in label order, overriding the preset's (e.g. the demo model's six: circle,square,triangle,ellipse,cross,star; all: "
              + "circle,square,triangle,ellipse,cross,star,hexagon,diamond,ring,arrow)")
  java.util.List<String> shapesClasses;

  @Option(
      names = "--shapes-size",
      defaultValue = "300",
      description = "image side of the shapes dataset (default: ${DEFAULT-VALUE})")
  int shapesSize;

  private ShapesDataset shapesDataset() {
    ShapesDataset.Builder b =
        ShapesDataset.builder()
            .preset(shapesPreset)
            .count(shapesCount)
            .seed(shapesSeed)
            .imageSize(shapesSize, shapesSize);
    if (shapesClasses != null && !shapesClasses.isEmpty()) {
      b.shapes(shapesClasses);
    }
    return b.build();
  }

  @Option(names = "--year", description = "VOC year (with --set; replaces --voc-sets)")
  String year;

  @Option(names = "--set", description = "VOC image set, e.g. test (with --year)")
  String imageSet;

  @Option(
      names = "--skip-bad",
      description = "skip (and count) bad annotations/images instead of failing")
  boolean skipBad;

  DetectionDataset open() {
    BadInputPolicy policy = skipBad ? BadInputPolicy.SKIP : BadInputPolicy.FAIL;
    if (kind == null) {
      if (vocRoot == null) {
        throw new IllegalArgumentException("--dataset is required (voc, coco, custom or shapes)");
      }
      kind = "voc";
    }
    switch (kind.toLowerCase(java.util.Locale.ROOT)) {
      case "voc":
        {
          require(vocRoot, "--voc-root");
          VocDataset.Builder b = VocDataset.builder(vocRoot).badInput(policy);
          List<String> pairs =
              year != null || imageSet != null
                  ? List.of(
                      (year == null ? "2007" : year) + ":" + (imageSet == null ? "test" : imageSet))
                  : vocSets;
          for (String pair : pairs) {
            String[] p = pair.split(":");
            if (p.length != 2) {
              throw new IllegalArgumentException("--voc-sets entry '" + pair + "' is not year:set");
            }
            b.add(p[0], p[1]);
          }
          return b.build();
        }
      case "coco":
        require(cocoJson, "--coco-json");
        require(cocoImages, "--coco-images");
        return CocoDataset.load(
            cocoJson, cocoImages, policy, org.fssd.image.ImageLoader.defaults());
      case "custom":
        {
          CustomDataset.Options o = CustomDataset.Options.defaults().badInput(policy);
          if (labelsFile != null) {
            o = o.labelsFile(labelsFile);
          }
          if (csv != null) {
            return CustomDataset.fromCsv(csv, o);
          }
          require(customDir, "--custom-dir or --csv");
          return CustomDataset.fromFolder(customDir, o);
        }
      case "shapes":
        return shapesDataset();
      default:
        throw new IllegalArgumentException(
            "unknown --dataset '" + kind + "' (expected voc, coco, custom or shapes)");
    }
  }

  private void require(Object value, String option) {
    if (value == null) {
      throw new IllegalArgumentException("--dataset " + kind + " needs " + option);
    }
  }
}
