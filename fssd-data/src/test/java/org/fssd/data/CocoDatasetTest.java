package org.fssd.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fssd.box.Box;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CocoDatasetTest {
  @TempDir Path root;

  private Path json(String annotations) throws Exception {
    TestFiles.image(root.resolve("img/a.jpg"), 100, 80);
    TestFiles.image(root.resolve("img/b.jpg"), 50, 40);
    Path f = root.resolve("instances.json");
    TestFiles.text(
        f,
        "{\"info\": {\"year\": 2014}, \"images\": ["
            + "{\"id\": 391895, \"file_name\": \"a.jpg\", \"width\": 100, \"height\": 80},"
            + "{\"id\": 7, \"file_name\": \"b.jpg\", \"width\": 50, \"height\": 40}],"
            + "\"categories\": [{\"id\": 90, \"name\": \"toothbrush\"}, {\"id\": 1, \"name\": \"person\"},"
            + " {\"id\": 18, \"name\": \"dog\"}],"
            + "\"annotations\": ["
            + annotations
            + "]}");
    return f;
  }

  @Test
  void mapsCategoriesInIdOrderAndKeepsCrowdFlagged() throws Exception {
    Path f =
        json(
            "{\"id\": 1, \"image_id\": 391895, \"category_id\": 18, \"bbox\": [10, 20, 30.5, 40],"
                + " \"iscrowd\": 0},"
                + "{\"id\": 2, \"image_id\": 391895, \"category_id\": 90, \"bbox\": [0, 0, 50, 50], \"iscrowd\": 1},"
                + "{\"id\": 3, \"image_id\": 7, \"category_id\": 1, \"bbox\": [-2, 5, 60, 10]}");
    CocoDataset coco = CocoDataset.load(f, root.resolve("img"));
    assertThat(coco.labels().objectClasses()).containsExactly("person", "dog", "toothbrush");
    assertThat(coco.categoryId(1)).isEqualTo(1);
    assertThat(coco.categoryId(2)).isEqualTo(18);
    assertThat(coco.categoryId(3)).isEqualTo(90);
    assertThat(coco.size()).isEqualTo(2);
    assertThat(coco.annotation(0).id()).isEqualTo("391895");
    assertThat(coco.imageId(1)).isEqualTo(7L);
    Annotation a = coco.annotation(0);
    assertThat(a.boxes()).hasSize(2);
    assertThat(a.boxes().get(0).label()).isEqualTo(2);
    assertThat(a.boxes().get(0).box()).isEqualTo(Box.of(10, 20, 39.5f, 59));
    assertThat(a.boxes().get(1).crowd()).isTrue();
    assertThat(coco.trainingBoxes(0)).hasSize(1).allMatch(g -> !g.crowd());
    // clipped like the reference: x1 = max(0, x), x2 = min(W - 1, x1 + w - 1)
    assertThat(coco.annotation(1).boxes().get(0).box()).isEqualTo(Box.of(0, 5, 49, 14));
  }

  @Test
  void keepsTheFilesObjectsForEvaluation() throws Exception {
    Path f =
        json(
            "{\"id\": 1, \"image_id\": 391895, \"category_id\": 18, \"bbox\": [10.25, 20, 30.5, 40],"
                + " \"area\": 812.5, \"iscrowd\": 0},"
                + "{\"id\": 2, \"image_id\": 391895, \"category_id\": 90, \"bbox\": [0, 0, 50, 50], \"iscrowd\": 1},"
                + "{\"id\": 3, \"image_id\": 7, \"category_id\": 1, \"bbox\": [-2, 5, 60, 10], \"area\": 0.5},"
                + "{\"id\": 4, \"image_id\": 7, \"category_id\": 1, \"bbox\": [3, 3, 0.4, 0.7], \"area\": 0.2}");
    // The last box is sub-pixel: not a training target (skipped), still an object to evaluate.
    CocoDataset coco =
        CocoDataset.load(
            f, root.resolve("img"), BadInputPolicy.SKIP, org.fssd.image.ImageLoader.defaults());
    assertThat(coco.cocoObjects(0))
        .containsExactly(
            new CocoObject(1, 2, 10.25, 20, 30.5, 40, 812.5, false),
            new CocoObject(2, 3, 0, 0, 50, 50, 2500, true)); // no area: the box area
    // neither clipped (x = -2, w = 60 in a 50 px image) nor the box area
    assertThat(coco.cocoObjects(1))
        .containsExactly(
            new CocoObject(3, 1, -2, 5, 60, 10, 0.5, false),
            new CocoObject(4, 1, 3, 3, 0.4, 0.7, 0.2, false));
    assertThat(coco.annotation(1).boxes()).hasSize(1);
    assertThat(coco.indexOfImageId(7)).isEqualTo(1);
    assertThat(coco.indexOfImageId(8)).isEqualTo(-1);
    assertThat(coco.labelOfCategoryId(90)).isEqualTo(3);
    assertThat(coco.labelOfCategoryId(2)).isEqualTo(-1);
  }

  @Test
  void badAreaIsBadInput() throws Exception {
    Path f =
        json(
            "{\"id\": 9, \"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 1, 5, 5], \"area\": \"big\"}");
    assertThatThrownBy(() -> CocoDataset.load(f, root.resolve("img")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("annotations[0] (id 9)")
        .hasMessageContaining("'area' is not a number");
    Path g =
        json(
            "{\"id\": 10, \"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 1, 5, 5], \"area\": -3}");
    assertThatThrownBy(() -> CocoDataset.load(g, root.resolve("img")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("annotations[0] (id 10)")
        .hasMessageContaining("area -3.0");
  }

  @Test
  void badElementsNameTheElement() throws Exception {
    Path f = json("{\"id\": 5, \"image_id\": 7, \"category_id\": 3, \"bbox\": [1, 1, 5, 5]}");
    assertThatThrownBy(() -> CocoDataset.load(f, root.resolve("img")))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("annotations[0] (id 5)")
        .hasMessageContaining("category_id 3");
    Path g =
        json(
            "{\"id\": 6, \"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 1, 5]},"
                + "{\"id\": 8, \"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 1, 5, 5]}");
    CocoDataset coco =
        CocoDataset.load(
            g, root.resolve("img"), BadInputPolicy.SKIP, org.fssd.image.ImageLoader.defaults());
    assertThat(coco.problems().skippedObjects()).isEqualTo(1);
    assertThat(coco.annotation(1).boxes()).hasSize(1);
  }

  @Test
  void malformedJsonNamesFileAndLine() throws Exception {
    Path f = root.resolve("bad.json");
    TestFiles.text(f, "{\"images\": [\n{\"id\": 1,,}]}");
    assertThatThrownBy(() -> CocoDataset.load(f, root))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("bad.json")
        .hasMessageContaining("line 2");
  }
}
