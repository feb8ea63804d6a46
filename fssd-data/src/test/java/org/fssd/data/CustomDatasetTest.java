package org.fssd.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fssd.box.Box;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CustomDatasetTest {
  @TempDir Path root;

  @Test
  void csvWithHeaderDiscoversSortedLabelsAndWritesThem() throws Exception {
    TestFiles.image(root.resolve("imgs/a.png"), 40, 30);
    TestFiles.image(root.resolve("imgs/b.png"), 20, 20);
    Path csv = root.resolve("train.csv");
    TestFiles.text(
        csv,
        "image,x1,y1,x2,y2,label\n"
            + "imgs/a.png,1,2,10,12,zebra\n"
            + "imgs/b.png,0,0,5,5,\"ant, big\"\n"
            + "imgs/a.png,3,3,39,29,ant\n");
    Path labelsFile = root.resolve("labels.txt");
    CustomDataset ds =
        CustomDataset.fromCsv(csv, CustomDataset.Options.defaults().labelsFile(labelsFile));
    assertThat(ds.labels().objectClasses()).containsExactly("ant", "ant, big", "zebra");
    assertThat(Files.readAllLines(labelsFile)).containsExactly("ant", "ant, big", "zebra");
    assertThat(ds.size()).isEqualTo(2);
    Annotation a = ds.annotation(0);
    assertThat(a.width()).isEqualTo(40);
    assertThat(a.height()).isEqualTo(30);
    assertThat(a.boxes()).extracting(GtBox::label).containsExactly(3, 1);
    assertThat(a.boxes().get(0).box()).isEqualTo(Box.of(1, 2, 10, 12));
    // a second run reads the labels file: a name outside it is bad input
    TestFiles.text(csv, "imgs/a.png,1,2,10,12,yak\n");
    assertThatThrownBy(
            () ->
                CustomDataset.fromCsv(csv, CustomDataset.Options.defaults().labelsFile(labelsFile)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("line 1")
        .hasMessageContaining("yak");
  }

  @Test
  void badRowsFailWithLineOrAreCounted() throws Exception {
    TestFiles.image(root.resolve("a.jpg"), 40, 30);
    Path csv = root.resolve("t.csv");
    TestFiles.text(
        csv,
        "a.jpg,1,2,10,12,cat\n"
            + "a.jpg,1,two,10,12,cat\n"
            + "a.jpg,1,2,10\n"
            + "a.jpg,1,2,100,12,cat\n"
            + "missing.jpg,1,2,3,4,cat\n");
    assertThatThrownBy(() -> CustomDataset.fromCsv(csv, CustomDataset.Options.defaults()))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("t.csv, line 2");
    CustomDataset ds =
        CustomDataset.fromCsv(csv, CustomDataset.Options.defaults().badInput(BadInputPolicy.SKIP));
    assertThat(ds.size()).isEqualTo(1);
    assertThat(ds.annotation(0).boxes()).hasSize(1);
    assertThat(ds.problems().skippedObjects()).isEqualTo(3);
    assertThat(ds.problems().skippedImages()).isEqualTo(1);
  }

  @Test
  void folderOfImagesWithXml() throws Exception {
    TestFiles.image(root.resolve("one.jpg"), 64, 48);
    TestFiles.text(
        root.resolve("one.xml"), TestFiles.vocXml(64, 48, "b,0,1,1,10,10", "a,1,5,5,20,20"));
    TestFiles.image(root.resolve("two.png"), 64, 48);
    TestFiles.text(root.resolve("two.xml"), TestFiles.vocXml(64, 48, "c,0,2,2,8,8"));
    TestFiles.image(root.resolve("unlabelled.jpg"), 64, 48);
    CustomDataset ds = CustomDataset.fromFolder(root, CustomDataset.Options.defaults());
    assertThat(ds.labels().objectClasses()).containsExactly("a", "b", "c");
    assertThat(ds.size()).isEqualTo(2);
    assertThat(ds.annotation(0).boxes()).extracting(GtBox::label).containsExactly(2, 1);
    assertThat(ds.annotation(0).boxes().get(0).box()).isEqualTo(Box.of(0, 0, 9, 9));
    assertThat(ds.annotation(0).boxes().get(1).difficult()).isTrue();
    assertThat(ds.annotation(1).id()).isEqualTo("two");
  }
}
