package org.fssd.plots;

import com.google.common.base.Preconditions;
import com.google.common.escape.Escaper;
import com.google.common.html.HtmlEscapers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.fssd.FssdException;
import org.fssd.io.AtomicFiles;

/**
 * One self-contained HTML page about a run (training, evaluation or pruning): title, command line,
 * configuration, final numbers, provenance, and the pictures with captions. Pictures are embedded
 * as {@code data:image/png;base64} URIs, so the page can be mailed or archived alone; it loads no
 * scripts, fonts or style sheets from anywhere. Every text value is HTML-escaped.
 *
 * <p>Build with {@link #builder()}, then {@link #writeTo(Path)} (atomic). Instances are immutable
 * and thread-safe; the PNG files are read when the page is written.
 *
 * <pre>{@code
 * RunReport.builder().title("fssd train voc300").commandLine(String.join(" ", args))
 *     .config(cfg).finalNumbers(Map.of("mAP", "0.7812")).provenance(prov)
 *     .picture(dir.resolve("loss.png"), "Training loss").build()
 *     .writeTo(dir.resolve("report.html"));
 * }</pre>
 */
public final class RunReport {
  private static final Escaper ESC = HtmlEscapers.htmlEscaper();

  /** A picture and its caption. */
  public record Picture(Path png, String caption) {
    /** Checks both are present. */
    public Picture {
      Objects.requireNonNull(png, "png");
      Objects.requireNonNull(caption, "caption");
    }
  }

  private final String title;
  private final String commandLine;
  private final Map<String, String> config;
  private final Map<String, String> finalNumbers;
  private final Map<String, String> provenance;
  private final List<Picture> pictures;

  private RunReport(Builder b) {
    this.title = b.title;
    this.commandLine = b.commandLine;
    this.config = copy(b.config);
    this.finalNumbers = copy(b.finalNumbers);
    this.provenance = copy(b.provenance);
    this.pictures = List.copyOf(b.pictures);
  }

  /** A builder with an empty report titled "fssd4j run". */
  public static Builder builder() {
    return new Builder();
  }

  /** The pictures, in page order. */
  public List<Picture> pictures() {
    return pictures;
  }

  /** The page as HTML (reads the PNG files). */
  public String toHtml() {
    StringBuilder h = new StringBuilder(4096);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>")
        .append(ESC.escape(title))
        .append("</title>\n<style>\n")
        .append("body{font-family:sans-serif;margin:2em auto;max-width:1000px;color:#222}\n")
        .append("h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:1px solid #ccc}\n")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;")
        .append("text-align:left;vertical-align:top;font-size:0.9em}th{background:#f4f4f4}\n")
        .append("pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}\n")
        .append("figure{margin:1.5em 0}img{max-width:100%;border:1px solid #eee}\n")
        .append("figcaption{font-size:0.9em;color:#555}\n</style>\n</head>\n<body>\n");
    h.append("<h1>").append(ESC.escape(title)).append("</h1>\n");
    if (!commandLine.isEmpty()) {
      h.append("<h2>Command line</h2>\n<pre>").append(ESC.escape(commandLine)).append("</pre>\n");
    }
    table(h, "Final numbers", finalNumbers);
    if (!pictures.isEmpty()) {
      h.append("<h2>Pictures</h2>\n");
      for (Picture p : pictures) {
        h.append("<figure>\n<img alt=\"")
            .append(ESC.escape(p.caption()))
            .append("\" src=\"data:image/png;base64,")
            .append(base64(p.png()))
            .append("\">\n")
            .append("<figcaption>")
            .append(ESC.escape(p.caption()))
            .append("</figcaption>\n")
            .append("</figure>\n");
      }
    }
    table(h, "Configuration", config);
    table(h, "Provenance", provenance);
    h.append("</body>\n</html>\n");
    return h.toString();
  }

  /**
   * Writes the page to {@code out} atomically.
   *
   * @throws FssdException naming the file when a picture cannot be read or the page not written
   */
  public void writeTo(Path out) {
    String html = toHtml();
    AtomicFiles.write(out, html.getBytes(StandardCharsets.UTF_8));
  }

  private static void table(StringBuilder h, String heading, Map<String, String> rows) {
    if (rows.isEmpty()) {
      return;
    }
    h.append("<h2>").append(ESC.escape(heading)).append("</h2>\n<table>\n");
    for (Map.Entry<String, String> e : rows.entrySet()) {
      h.append("<tr><th>")
          .append(ESC.escape(e.getKey()))
          .append("</th><td>")
          .append(ESC.escape(e.getValue()))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static String base64(Path png) {
    try {
      return Base64.getEncoder().encodeToString(Files.readAllBytes(png));
    } catch (IOException e) {
      throw new FssdException("cannot read picture " + png + " for the report: " + e, e);
    }
  }

  private static Map<String, String> copy(Map<String, String> m) {
    Map<String, String> c = new LinkedHashMap<>();
    m.forEach((k, v) -> c.put(String.valueOf(k), String.valueOf(v)));
    return java.util.Collections.unmodifiableMap(c);
  }

  /** Collects the parts of a {@link RunReport}; maps keep their iteration order on the page. */
  public static final class Builder {
    private String title = "fssd4j run";
    private String commandLine = "";
    private final Map<String, String> config = new LinkedHashMap<>();
    private final Map<String, String> finalNumbers = new LinkedHashMap<>();
    private final Map<String, String> provenance = new LinkedHashMap<>();
    private final List<Picture> pictures = new ArrayList<>();

    private Builder() {}

    /** Page title and heading. */
    public Builder title(String title) {
      Preconditions.checkArgument(title != null && !title.isBlank(), "title %s is blank", title);
      this.title = title;
      return this;
    }

    /** The command that produced the run, shown verbatim (empty: no section). */
    public Builder commandLine(String commandLine) {
      this.commandLine = Objects.requireNonNull(commandLine, "commandLine");
      return this;
    }

    /** Adds configuration rows (key to value), in the map's order. */
    public Builder config(Map<String, String> config) {
      this.config.putAll(Objects.requireNonNull(config, "config"));
      return this;
    }

    /** Adds final-number rows (e.g. mAP, loss, FPS). */
    public Builder finalNumbers(Map<String, String> numbers) {
      this.finalNumbers.putAll(Objects.requireNonNull(numbers, "numbers"));
      return this;
    }

    /** Adds provenance rows (versions, git commit, machine, dates). */
    public Builder provenance(Map<String, String> provenance) {
      this.provenance.putAll(Objects.requireNonNull(provenance, "provenance"));
      return this;
    }

    /** Adds a PNG picture with its caption; the file is read when the page is written. */
    public Builder picture(Path png, String caption) {
      pictures.add(new Picture(png, caption));
      return this;
    }

    /** The report. */
    public RunReport build() {
      return new RunReport(this);
    }
  }
}
