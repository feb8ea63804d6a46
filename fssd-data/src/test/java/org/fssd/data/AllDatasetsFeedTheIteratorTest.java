package org.fssd.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.fssd.box.PriorConfig;
import org.fssd.data.batch.FssdDataSetIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Every dataset kind a user can bring: a VOC folder, a COCO JSON, a CSV dataset and the shapes
 * generator all feed the same iterator.
 */
class AllDatasetsFeedTheIteratorTest {
  @TempDir Path root;

  @Test
  void everyDatasetKindGivesTrainingBatches() throws Exception {
    // VOC layout
    Path voc = root.resolve("VOCdevkit/VOC2007");
    for (String id : List.of("000001", "000002")) {
      TestFiles.text(
          voc.resolve("Annotations/" + id + ".xml"),
          TestFiles.vocXml(64, 48, "dog,0,5,6,40,40", "cat,1,20,10,60,45"));
      TestFiles.image(voc.resolve("JPEGImages/" + id + ".jpg"), 64, 48);
    }
    TestFiles.text(voc.resolve("ImageSets/Main/trainval.txt"), "000001\n000002\n");
    DetectionDataset vocDs =
        VocDataset.builder(root.resolve("VOCdevkit")).add("2007", "trainval").build();
    // COCO JSON
    TestFiles.image(root.resolve("coco/a.jpg"), 50, 40);
    TestFiles.image(root.resolve("coco/b.jpg"), 50, 40);
    Path json = root.resolve("instances.json");
    TestFiles.text(
        json,
        "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 50, \"height\": 40},"
            + " {\"id\": 2, \"file_name\": \"b.jpg\", \"width\": 50, \"height\": 40}],"
            + " \"categories\": [{\"id\": 3, \"name\": \"car\"}, {\"id\": 18, \"name\": \"dog\"}],"
            + " \"annotations\": [{\"id\": 10, \"image_id\": 1, \"category_id\": 18, \"bbox\": [5, 5, 20, 20], \"iscrowd\": 0},"
            + " {\"id\": 11, \"image_id\": 2, \"category_id\": 3, \"bbox\": [10, 8, 30, 25], \"iscrowd\": 0}]}");
    DetectionDataset cocoDs = CocoDataset.load(json, root.resolve("coco"));
    // CSV
    TestFiles.image(root.resolve("csv/x.png"), 40, 30);
    TestFiles.image(root.resolve("csv/y.png"), 40, 30);
    Path csv = root.resolve("train.csv");
    TestFiles.text(csv, "csv/x.png,1,2,20,22,kite\ncsv/y.png,5,5,35,25,boat\n");
    DetectionDataset csvDs =
        CustomDataset.fromCsv(
            csv, CustomDataset.Options.defaults().labelsFile(root.resolve("labels.txt")));
    // Shapes
    DetectionDataset shapes = ShapesDataset.builder().count(2).imageSize(80, 60).seed(3).build();

    PriorConfig priors = PriorConfig.voc300();
    int p = priors.numPriors();
    for (DetectionDataset ds : List.of(vocDs, cocoDs, csvDs, shapes)) {
      try (FssdDataSetIterator it =
          FssdDataSetIterator.builder(ds, priors).batchSize(2).seed(1).workers(1).build()) {
        assertThat(it.hasNext()).as(ds.name()).isTrue();
        MultiDataSet batch = it.next();
        assertThat(batch.getFeatures(0).shape()).as(ds.name()).containsExactly(2, 3, 300, 300);
        assertThat(batch.getLabels(0).shape()).as(ds.name()).containsExactly(2, (long) p * 4);
        assertThat(batch.getLabels(1).shape()).as(ds.name()).containsExactly(2, (long) p);
        // Every image has at least one box, so matching yields positives, with valid class ids.
        assertThat(batch.getLabels(1).maxNumber().intValue())
            .as(ds.name())
            .isBetween(1, ds.labels().numClasses() - 1);
        assertThat(batch.getLabels(0).isNaN().any()).as(ds.name()).isFalse();
      }
    }
  }
}
