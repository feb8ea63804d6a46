package org.fssd.data.augment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fssd.data.ShapesDataset;
import org.fssd.image.BgrImage;
import org.fssd.image.ImageLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AugmentPreviewTest {
  @TempDir Path dir;

  @Test
  void writesOriginalAndAugmentedPngs() throws Exception {
    ShapesDataset ds = ShapesDataset.builder().count(3).imageSize(200, 150).seed(1).build();
    Path out =
        System.getenv("FSSD_PREVIEW_DIR") != null
            ? Path.of(System.getenv("FSSD_PREVIEW_DIR"))
            : dir;
    List<Path> files = AugmentPreview.write(ds, 6, 9, out);
    assertThat(files).hasSize(6);
    for (Path f : files) {
      assertThat(Files.size(f)).isGreaterThan(100);
      try (BgrImage img = ImageLoader.defaults().load(f)) {
        if (f.getFileName().toString().startsWith("aug")) {
          assertThat(img.width()).isEqualTo(300);
        } else {
          assertThat(img.width()).isEqualTo(200);
        }
      }
    }
  }
}
