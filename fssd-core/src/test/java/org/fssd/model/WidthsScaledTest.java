package org.fssd.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class WidthsScaledTest {

  @Test
  void half300HalvesEveryGroup() {
    Widths full = Widths.full300();
    Widths half = Widths.half300();
    for (int i = 0; i < Widths.BASE_CONVS; i++) {
      assertThat(half.base(i) * 2).as("base %s", i).isEqualTo(full.base(i));
    }
    assertThat(half.conv6()).isEqualTo(512);
    assertThat(half.conv7()).isEqualTo(512);
    assertThat(half.extras()).containsExactly(128, 256, 64, 128);
    assertThat(half.fusion()).containsExactly(128, 128, 128);
    assertThat(half.pyramid()).containsExactly(256, 256, 128, 128, 128, 128);
    assertThat(Widths.formatBase(half.base()))
        .isEqualTo("[32, 32, M, 64, 64, M, 128, 128, 128, C, 256, 256, 256, M, 256, 256, 256]");
  }

  @Test
  void half300HalvesEveryBodyConvolutionAndKeepsTheHeadOutputs() {
    FssdConfig full = FssdConfig.voc300();
    FssdConfig half = full.toBuilder().widths(Widths.half300()).build();
    List<ConvSpec> f = full.convs();
    List<ConvSpec> h = half.convs();
    assertThat(h).hasSameSizeAs(f);
    long expectedMacs = 0;
    for (int i = 0; i < f.size(); i++) {
      ConvSpec a = f.get(i);
      ConvSpec b = h.get(i);
      assertThat(b.name()).isEqualTo(a.name());
      assertThat(b.outSize()).as(a.name()).isEqualTo(a.outSize());
      boolean image = a.in() == 3; // base.0 reads the image
      assertThat(b.in()).as("%s input", a.name()).isEqualTo(image ? 3 : a.in() / 2);
      assertThat(b.out()).as("%s output", a.name()).isEqualTo(a.isHead() ? a.out() : a.out() / 2);
      // every MAC count shrinks by the product of the input and output shares
      expectedMacs += a.macs() / ((image ? 1 : 2) * (a.isHead() ? 1 : 2));
    }
    assertThat(half.macsPerImage()).isEqualTo(expectedMacs);
    assertThat((double) half.macsPerImage() / full.macsPerImage()).isBetween(0.25, 0.3);
  }

  @Test
  void scaledRoundsHalvesUpAndKeepsAtLeastOneChannel() {
    Widths w =
        Widths.of(
            new int[] {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25},
            2,
            4,
            new int[] {1, 2, 3, 4},
            new int[] {5, 6, 7},
            new int[] {8, 9, 10, 11, 12, 13});
    Widths half = w.scaled(0.5);
    assertThat(half.base()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
    assertThat(half.conv6()).isEqualTo(1);
    assertThat(half.conv7()).isEqualTo(2);
    assertThat(half.extras()).containsExactly(1, 1, 2, 2);
    assertThat(w.scaled(0.01).fusion()).containsExactly(1, 1, 1);
    assertThat(w.scaled(1.0)).isEqualTo(w);
  }

  @Test
  void scaledRejectsAShareOutsideZeroToOne() {
    Widths w = Widths.full300();
    assertThatThrownBy(() -> w.scaled(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0.0");
    assertThatThrownBy(() -> w.scaled(1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> w.scaled(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void dividedRoundsDownAndKeepsAtLeastOneChannel() {
    Widths quarter = Widths.full300().divided(4);
    assertThat(quarter.conv6()).isEqualTo(256);
    assertThat(quarter.extras()).containsExactly(64, 128, 32, 64);
    assertThat(quarter.base()[0]).isEqualTo(16);
    Widths tiny = Widths.full300().divided(1000);
    assertThat(tiny.fusion()).containsExactly(1, 1, 1);
    assertThat(tiny.conv7()).isEqualTo(1);
    assertThat(Widths.full300().divided(1)).isEqualTo(Widths.full300());
    assertThatThrownBy(() -> Widths.full300().divided(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("divisor must be >= 1, got 0");
  }
}
