package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link ClientFaultLog}: one line per kind per interval, with the count of those left out. */
class ClientFaultLogTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final List<String> lines = new ArrayList<>();
  private final ClientFaultLog log = new ClientFaultLog(10_000, now::get, lines::add);

  private void advanceMs(long ms) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  @Test
  void aBurstGivesOneLineThenTheNextLineCountsTheRest() {
    assertThat(log.fault("incomplete_body", "first")).isTrue();
    for (int i = 0; i < 499; i++) {
      advanceMs(10);
      assertThat(log.fault("incomplete_body", "again " + i)).isFalse();
    }
    assertThat(lines).containsExactly("client fault incomplete_body: first");
    advanceMs(10_000);
    assertThat(log.fault("incomplete_body", "later")).isTrue();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1))
        .isEqualTo(
            "client fault incomplete_body: later (499 more like it since the last such line, not logged)");
    // Nothing was left out since that line: the next one after a quiet interval has no count.
    advanceMs(10_001);
    log.fault("incomplete_body", "quiet");
    assertThat(lines.get(2)).isEqualTo("client fault incomplete_body: quiet");
  }

  @Test
  void eachKindHasItsOwnAllowance() {
    log.fault("incomplete_body", "a");
    log.fault("upload_timeout", "b");
    log.fault("too_many_uploads", "c");
    log.fault("upload_timeout", "d");
    assertThat(lines)
        .containsExactly(
            "client fault incomplete_body: a",
            "client fault upload_timeout: b",
            "client fault too_many_uploads: c");
  }

  @Test
  void justUnderTheIntervalIsStillLeftOut() {
    log.fault("k", "one");
    advanceMs(9_999);
    assertThat(log.fault("k", "two")).isFalse();
    advanceMs(1);
    assertThat(log.fault("k", "three")).isTrue();
    assertThat(lines)
        .containsExactly(
            "client fault k: one",
            "client fault k: three (1 more like it since the last such line, not logged)");
  }
}
