package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fssd.box.Box;
import org.fssd.data.GtBox;
import org.fssd.data.ShapesDataset;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped demo model (models/demo-shapes.zip) through the README's main command: {@code
 * sample-image} then {@code detect} with no {@code --model}. On ten sample images it never saw, at
 * least 90 % of the shapes are found with the right label (IoU >= 0.5; shapes cut by the image
 * border are the usual misses) and at least 90 % of the confident detections (score >= 0.5) are
 * real shapes.
 */
@ExtendWith(FssdHomeAtRepoRoot.class)
class DemoModelTest {
  private static final Path ROOT = FssdHomeAtRepoRoot.ROOT;
  @TempDir Path dir;

  private static String run(String... args) {
    CliRun r = CliRun.run(args);
    assertThat(r.code()).as("exit code of %s: %s", String.join(" ", args), r.err()).isZero();
    return r.out();
  }

  @Test
  void theShippedModelIsTheDocumentedOne() {
    FssdModel m = FssdModel.load(ROOT.resolve(DefaultModel.RELATIVE));
    assertThat(m.labels().objectClasses()).containsExactlyElementsOf(ShapesDataset.SHAPES);
    assertThat(m.config().batchNorm()).isTrue();
    assertThat(m.config().inputSize()).isEqualTo(300);
    assertThat(m.provenance().get("bn.recalibrated")).isNotNull();
  }

  @Test
  void defaultDetectFindsEveryShapeOfFreshSampleImages() throws Exception {
    int shapes = 0;
    int found = 0;
    int confident = 0;
    int madeUp = 0;
    for (long seed = 200; seed < 210; seed++) {
      Path img = dir.resolve("s" + seed + ".png");
      run("sample-image", "--seed", Long.toString(seed), "--out", img.toString());
      JsonNode dets =
          new ObjectMapper().readTree(run("detect", img.toString())).get(0).get("detections");
      List<GtBox> gt = CliRun.sampleImageBoxes(seed);
      shapes += gt.size();
      List<JsonNode> unmatched = new ArrayList<>();
      dets.forEach(unmatched::add);
      for (GtBox g : gt) {
        JsonNode hit = null;
        for (JsonNode d : unmatched) {
          JsonNode b = d.get("box");
          Box box =
              Box.of(
                  (float) b.get(0).asDouble(),
                  (float) b.get(1).asDouble(),
                  (float) b.get(2).asDouble(),
                  (float) b.get(3).asDouble());
          if (d.get("class").asInt() == g.label() && iou(box, g.box()) >= 0.5) {
            hit = d;
            break;
          }
        }
        if (hit != null) {
          found++;
          unmatched.remove(hit);
        }
      }
      for (JsonNode d : dets) {
        if (d.get("score").asDouble() >= 0.5) {
          confident++;
          madeUp += unmatched.contains(d) ? 1 : 0;
        }
      }
    }
    assertThat(shapes).isGreaterThan(10);
    assertThat((double) found / shapes)
        .as("recall, %s of %s shapes", found, shapes)
        .isGreaterThanOrEqualTo(0.9);
    assertThat((double) madeUp / confident)
        .as("%s of %s confident detections made up", madeUp, confident)
        .isLessThanOrEqualTo(0.1);
  }

  private static double iou(Box a, Box b) {
    double iw = Math.min(a.x2(), b.x2()) - Math.max(a.x1(), b.x1());
    double ih = Math.min(a.y2(), b.y2()) - Math.max(a.y1(), b.y1());
    if (iw <= 0 || ih <= 0) {
      return 0;
    }
    double inter = iw * ih;
    double ua = (a.x2() - a.x1()) * (a.y2() - a.y1()) + (b.x2() - b.x1()) * (b.y2() - b.y1());
    return inter / (ua - inter);
  }
}
