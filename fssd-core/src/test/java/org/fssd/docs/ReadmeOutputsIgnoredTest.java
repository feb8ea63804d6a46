package org.fssd.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A newcomer who runs the README's commands in the root of a clone must not see their outputs as
 * untracked changes: every file or folder named by an output option ({@code --out}, {@code
 * --annotate}, {@code --plots}, {@code --json}, {@code --checkpoint-dir}) of a {@code ./fssd}
 * command in the README is matched by a root-anchored pattern of {@code .gitignore}.
 */
class ReadmeOutputsIgnoredTest {

  private static final Pattern OUTPUT_OPTION =
      Pattern.compile("--(?:out|annotate|plots|json|checkpoint-dir) ([^\\s`\\\\]+)");

  @Test
  void everyOutputOfTheReadmesCommandsIsIgnored() throws IOException {
    Path root = locateRoot();
    Set<String> outputs = new LinkedHashSet<>();
    for (String block :
        ReadmeJavaSnippetTest.fencedBlocks(Files.readString(root.resolve("README.md")), "bash")) {
      for (String line : block.split("\n")) {
        if (!line.contains("./fssd ")) {
          continue;
        }
        Matcher m = OUTPUT_OPTION.matcher(line);
        while (m.find()) {
          outputs.add(m.group(1));
        }
      }
    }
    assertThat(outputs)
        .as("the README's commands write files")
        .contains("sample.png", "annotated/");

    List<String> patterns = new ArrayList<>();
    for (String line : Files.readAllLines(root.resolve(".gitignore"))) {
      String p = line.strip();
      if (p.startsWith("/") && !p.startsWith("#")) {
        patterns.add(p.substring(1));
      }
    }
    List<String> notIgnored = new ArrayList<>();
    for (String out : outputs) {
      if (!ignored(out, patterns)) {
        notIgnored.add(out);
      }
    }
    assertThat(notIgnored)
        .as("README outputs not covered by a root pattern of .gitignore %s", patterns)
        .isEmpty();
  }

  /** Whether a root-anchored pattern ignores the output's first path element (file or folder). */
  private static boolean ignored(String output, List<String> patterns) {
    String path = output.startsWith("./") ? output.substring(2) : output;
    int slash = path.indexOf('/');
    boolean folder = slash >= 0;
    String first = folder ? path.substring(0, slash) : path;
    for (String pattern : patterns) {
      boolean dirOnly = pattern.endsWith("/");
      String glob = dirOnly ? pattern.substring(0, pattern.length() - 1) : pattern;
      if (glob.contains("/") || (dirOnly && !folder)) {
        continue;
      }
      if (FileSystems.getDefault().getPathMatcher("glob:" + glob).matches(Path.of(first))) {
        return true;
      }
    }
    return false;
  }

  private static Path locateRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve(".gitignore"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as(".gitignore above the module").isNotNull();
    return dir;
  }
}
