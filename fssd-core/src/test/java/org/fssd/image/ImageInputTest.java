package org.fssd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.fssd.ImageDecodeException;
import org.junit.jupiter.api.Test;

/**
 * The factories of the typed detector input: each form, and null or empty input refused at once.
 */
class ImageInputTest {

  @Test
  void eachFactoryKeepsWhatItWasGiven() {
    Path file = Path.of("images", "dog.jpg");
    ImageInput p = ImageInput.of(file);
    assertThat(p).isInstanceOf(ImageInput.FromPath.class);
    assertThat(((ImageInput.FromPath) p).path()).isSameAs(file);
    assertThat(p.name()).isEqualTo(file.toString());

    byte[] encoded = {1, 2, 3};
    ImageInput b = ImageInput.of(encoded);
    assertThat(((ImageInput.FromBytes) b).bytes()).isSameAs(encoded);
    assertThat(b.name()).isEqualTo("<bytes>");
    assertThat(ImageInput.of(encoded, "upload.png").name()).isEqualTo("upload.png");

    BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
    ImageInput a = ImageInput.of(img);
    assertThat(((ImageInput.FromBufferedImage) a).image()).isSameAs(img);
    assertThat(a.name()).isEqualTo("<BufferedImage>");

    try (BgrImage bgr =
        ImageLoader.builder().build().fromBgrBytes(new byte[3 * 4 * 3], 4, 3, "grey")) {
      // A BGR image is its own input: no wrapper, the caller keeps ownership.
      assertThat(ImageInput.of(bgr)).isSameAs(bgr);
      assertThat(bgr.name()).isEqualTo("grey");
    }
  }

  @Test
  void nullIsRefusedNamingTheArgument() {
    assertThatThrownBy(() -> ImageInput.of((Path) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("path");
    assertThatThrownBy(() -> ImageInput.of((byte[]) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("encoded image bytes");
    assertThatThrownBy(() -> ImageInput.of(new byte[] {1}, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("name");
    assertThatThrownBy(() -> ImageInput.of((BufferedImage) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("image");
    assertThatThrownBy(() -> ImageInput.of((BgrImage) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("image");
  }

  @Test
  void emptyInputIsRefusedAsABadImage() {
    assertThatThrownBy(() -> ImageInput.of(new byte[0]))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessage("image <bytes>: the encoded image is empty (0 bytes)");
    assertThatThrownBy(() -> ImageInput.of(new byte[0], "upload.png"))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("upload.png");
    assertThatThrownBy(() -> ImageInput.of(Path.of("")))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("path is empty");
  }
}
