package org.fssd.plots;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fssd.FssdException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  @Test
  void embedsEveryPictureAndEscapesValues() throws Exception {
    Path lr = dir.resolve("lr.png");
    TrainingCharts.learningRate(lr, new long[] {1, 2}, new double[] {1e-3, 1e-4});
    Path map = dir.resolve("map.png");
    TrainingCharts.mapCurve(map, new int[] {1, 2}, new double[] {0.3, 0.4});
    Map<String, String> config = new LinkedHashMap<>();
    config.put("batch", "32");
    config.put("data", "<script>alert('x')</script> & more");
    Path html = dir.resolve("report.html");
    RunReport.builder()
        .title("train \"voc\" <300>")
        .commandLine("fssd train --data a&b")
        .config(config)
        .finalNumbers(Map.of("mAP", "0.4000"))
        .provenance(Map.of("git", "abc123"))
        .picture(lr, "Learning <rate>")
        .picture(map, "mAP per epoch")
        .build()
        .writeTo(html);
    String page = Files.readString(html, StandardCharsets.UTF_8);
    for (Path png : new Path[] {lr, map}) {
      assertThat(page)
          .contains(
              "data:image/png;base64,"
                  + Base64.getEncoder().encodeToString(Files.readAllBytes(png)));
    }
    assertThat(page)
        .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more")
        .doesNotContain("<script")
        .contains("<title>train &quot;voc&quot; &lt;300&gt;</title>")
        .contains("fssd train --data a&amp;b")
        .contains("<figcaption>Learning &lt;rate&gt;</figcaption>")
        .contains("<th>batch</th><td>32</td>")
        .contains("<th>mAP</th><td>0.4000</td>")
        .contains("<th>git</th><td>abc123</td>")
        .doesNotContain("http://")
        .doesNotContain("https://")
        .doesNotContain("<link");
    assertThat(page.indexOf("<th>batch</th>")).isLessThan(page.indexOf("<th>data</th>"));
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("lr.png", "map.png", "report.html");
    }
  }

  @Test
  void missingPictureFailsNamingItAndWritesNothing() {
    Path html = dir.resolve("report.html");
    RunReport r = RunReport.builder().picture(dir.resolve("gone.png"), "x").build();
    assertThatThrownBy(() -> r.writeTo(html))
        .isInstanceOf(FssdException.class)
        .hasMessageContaining("gone.png");
    assertThat(dir.toFile().list()).isEmpty();
  }
}
