package org.fssd.engine.onednn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ArenaPlannerTest {

  @Test
  void buffersThatAreNeverLiveTogetherShareMemory() {
    ArenaPlanner p = new ArenaPlanner();
    // A chain a -> b -> c -> d: each buffer is read by the next step only.
    ArenaPlanner.Buffer a = p.add(1000, 0);
    ArenaPlanner.Buffer b = p.add(1000, 1);
    p.use(a, 1);
    ArenaPlanner.Buffer c = p.add(1000, 2);
    p.use(b, 2);
    ArenaPlanner.Buffer d = p.add(1000, 3);
    p.use(c, 3);
    long size = p.place();
    assertThat(p.totalBytes()).isEqualTo(4 * 1024);
    assertThat(size).isEqualTo(2 * 1024); // two live at a time
    assertThat(a.offset()).isNotEqualTo(b.offset());
    assertThat(b.offset()).isNotEqualTo(c.offset());
    assertThat(c.offset()).isNotEqualTo(d.offset());
    assertThat(a.offset()).isEqualTo(c.offset());
  }

  @Test
  void aBufferReadLaterStaysLiveAndIsNeverOverlapped() {
    ArenaPlanner p = new ArenaPlanner();
    ArenaPlanner.Buffer skip = p.add(64, 0); // read again at step 5 (a skip connection)
    ArenaPlanner.Buffer[] chain = new ArenaPlanner.Buffer[5];
    for (int i = 0; i < 5; i++) {
      chain[i] = p.add(128 * (i + 1), i + 1);
      if (i > 0) {
        p.use(chain[i - 1], i + 1);
      }
    }
    p.use(skip, 5);
    p.place();
    for (ArenaPlanner.Buffer x : chain) {
      boolean disjoint =
          x.offset() + x.bytes <= skip.offset() || skip.offset() + skip.bytes <= x.offset();
      assertThat(disjoint).as("buffer at %s overlaps the live skip buffer", x.offset()).isTrue();
      assertThat(x.offset() % ArenaPlanner.ALIGNMENT).isZero();
    }
  }
}
