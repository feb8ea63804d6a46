package org.fssd.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fssd.box.Box;
import org.fssd.image.BgrImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocDatasetTest {
  @TempDir Path root;

  private void write(String year, String set, String id, String xml) throws Exception {
    Path voc = root.resolve("VOC" + year);
    TestFiles.text(voc.resolve("Annotations/" + id + ".xml"), xml);
    TestFiles.image(voc.resolve("JPEGImages/" + id + ".jpg"), 64, 48);
    Path list = voc.resolve("ImageSets/Main/" + set + ".txt");
    String old = java.nio.file.Files.exists(list) ? java.nio.file.Files.readString(list) : "";
    TestFiles.text(list, old + id + "\n");
  }

  @Test
  void parsesBoxesMinusOneLabelsAndDifficult() throws Exception {
    write(
        "2007",
        "trainval",
        "000001",
        TestFiles.vocXml(64, 48, "dog,0,1,2,30,40", "Person ,1,10,11,64,48"));
    write("2012", "trainval", "2008_000002", TestFiles.vocXml(64, 48, "tvmonitor,0,5,5,20,20"));
    VocDataset voc =
        VocDataset.builder(root).add("2007", "trainval").add("2012", "trainval").build();
    assertThat(voc.size()).isEqualTo(2);
    assertThat(voc.name()).isEqualTo("VOC2007-trainval+VOC2012-trainval");
    Annotation a = voc.annotation(0);
    assertThat(a.id()).isEqualTo("2007/000001");
    assertThat(a.width()).isEqualTo(64);
    assertThat(a.height()).isEqualTo(48);
    assertThat(a.boxes()).hasSize(2);
    assertThat(a.boxes().get(0).box()).isEqualTo(Box.of(0, 1, 29, 39));
    assertThat(a.boxes().get(0).label()).isEqualTo(12); // dog
    assertThat(a.boxes().get(0).difficult()).isFalse();
    assertThat(a.boxes().get(1).label()).isEqualTo(15); // person, lower-cased and trimmed
    assertThat(a.boxes().get(1).difficult()).isTrue();
    assertThat(a.boxes().get(1).box()).isEqualTo(Box.of(9, 10, 63, 47));
    assertThat(voc.annotation(1).boxes().get(0).label()).isEqualTo(20);
    assertThat(voc.trainingBoxes(0)).hasSize(2);
    try (BgrImage img = voc.loadImage(0)) {
      assertThat(img.width()).isEqualTo(64);
    }
    VocDataset noDiff =
        VocDataset.builder(root).add("2007", "trainval").keepDifficult(false).build();
    assertThat(noDiff.trainingBoxes(0)).hasSize(1);
    assertThat(noDiff.annotation(0).boxes()).hasSize(2); // kept for evaluation
  }

  @Test
  void truncatedXmlNamesTheFile() throws Exception {
    write("2007", "test", "000003", "<annotation><size><width>64</width>");
    assertThatThrownBy(() -> VocDataset.builder(root).add("2007", "test").build())
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("000003.xml")
        .hasMessageContaining("malformed XML");
  }

  @Test
  void xxeIsRefused() throws Exception {
    write(
        "2007",
        "test",
        "000004",
        "<?xml version=\"1.0\"?>\n"
            + "<!DOCTYPE annotation [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
            + "<annotation><filename>&xxe;</filename><size><width>64</width><height>48</height>"
            + "</size></annotation>");
    assertThatThrownBy(() -> VocDataset.builder(root).add("2007", "test").build())
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("000004.xml")
        .hasMessageContaining("DOCTYPE")
        .hasMessageNotContaining("root:");
  }

  @Test
  void billionLaughsIsRefused() throws Exception {
    StringBuilder sb =
        new StringBuilder(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n" + " <!ENTITY lol \"lol\">\n");
    for (int i = 1; i <= 9; i++) {
      sb.append(" <!ENTITY lol").append(i).append(" \"");
      for (int k = 0; k < 10; k++) {
        sb.append("&lol").append(i == 1 ? "" : String.valueOf(i - 1)).append(';');
      }
      sb.append("\">\n");
    }
    sb.append("]>\n<annotation><filename>&lol9;</filename></annotation>");
    write("2007", "test", "000005", sb.toString());
    // Refused for its DOCTYPE before any entity is expanded (the message says so), not after.
    assertThatThrownBy(() -> VocDataset.builder(root).add("2007", "test").build())
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("000005.xml")
        .hasMessageContaining("DOCTYPE");
  }

  @Test
  void unknownClassFailsOrIsSkippedAndCounted() throws Exception {
    write(
        "2007",
        "test",
        "000006",
        TestFiles.vocXml(64, 48, "unicorn,0,1,1,10,10", "cat,0,1,1,10,10"));
    assertThatThrownBy(() -> VocDataset.builder(root).add("2007", "test").build())
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("000006.xml")
        .hasMessageContaining("object #0")
        .hasMessageContaining("unicorn");
    VocDataset voc =
        VocDataset.builder(root).add("2007", "test").badInput(BadInputPolicy.SKIP).build();
    assertThat(voc.size()).isEqualTo(1);
    assertThat(voc.annotation(0).boxes()).extracting(GtBox::label).containsExactly(8);
    assertThat(voc.problems().skippedObjects()).isEqualTo(1);
    assertThat(voc.problems().messages().get(0)).contains("unicorn");
  }

  @Test
  void badBoxesAndMissingImagesAreCounted() throws Exception {
    write(
        "2007",
        "test",
        "a",
        TestFiles.vocXml(64, 48, "cat,0,10,10,5,20", "cat,0,1,1,100,20", "cat,0,1,1,64,48"));
    write("2007", "test", "b", TestFiles.vocXml(64, 48, "cat,0,1,1,10,10"));
    java.nio.file.Files.delete(root.resolve("VOC2007/JPEGImages/b.jpg"));
    assertThatThrownBy(() -> VocDataset.builder(root).add("2007", "test").build())
        .hasMessageContaining("a.xml")
        .hasMessageContaining("degenerate");
    VocDataset voc =
        VocDataset.builder(root).add("2007", "test").badInput(BadInputPolicy.SKIP).build();
    assertThat(voc.size()).isEqualTo(1);
    assertThat(voc.annotation(0).boxes()).hasSize(1);
    assertThat(voc.problems().skippedObjects()).isEqualTo(2);
    assertThat(voc.problems().skippedImages()).isEqualTo(1);
    assertThat(voc.problems().messages()).anyMatch(m -> m.contains("b.jpg not found"));
    assertThat(voc.problems().messages()).anyMatch(m -> m.contains("outside"));
  }
}
