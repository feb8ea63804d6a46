package org.fssd.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Use it from Java" section is what a newcomer copies into a new project: its Java
 * program must compile as written against this build of fssd-core and run on the demo model the
 * repo ships, and its pom block must name this project's coordinates. The snippet is read from the
 * README itself, so the two cannot drift.
 */
class ReadmeJavaSnippetTest {

  private static final Path ROOT = locateRoot();

  @TempDir Path tmp;

  @Test
  void thePomBlockNamesThisProjectsCoordinatesAndJava17() throws IOException {
    String section = javaSection();
    String xml = fencedBlocks(section, "xml").get(0);
    assertThat(xml)
        .contains("<groupId>org.fssd</groupId>")
        .contains("<artifactId>fssd-core</artifactId>")
        .contains("<version>" + projectVersion() + "</version>")
        // Maven 3.8's default compiler plugin (3.1) knows no 'release': source and target it is.
        .contains("<maven.compiler.source>17</maven.compiler.source>")
        .contains("<maven.compiler.target>17</maven.compiler.target>");
    assertThat(section).as("how to install first").contains("mvn -B install -DskipTests");
  }

  @Test
  void theJavaProgramCompilesAsWrittenAndRunsOnTheDemoModel() throws Exception {
    List<String> programs = fencedBlocks(javaSection(), "java");
    assertThat(programs).as("the section has one complete program").hasSize(1);
    String program = programs.get(0);
    Matcher className = Pattern.compile("public class (\\w+)").matcher(program);
    assertThat(className.find()).as("a public class in:%n%s", program).isTrue();

    Path src = tmp.resolve("src");
    Path classes = tmp.resolve("classes");
    Files.createDirectories(src);
    Files.createDirectories(classes);
    Path file = src.resolve(className.group(1) + ".java");
    Files.writeString(file, program);
    String classpath = System.getProperty("java.class.path");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    boolean compiled =
        javac
            .getTask(
                diagnostics,
                null,
                null,
                List.of("--release", "17", "-classpath", classpath, "-d", classes.toString()),
                null,
                javac
                    .getStandardFileManager(null, null, StandardCharsets.UTF_8)
                    .getJavaFileObjects(file))
            .call();
    assertThat(compiled).as("javac on the README's program:%n%s", diagnostics).isTrue();

    // Run it as a user would: in a folder holding the shipped model and a sample image.
    Path work = tmp.resolve("work");
    Files.createDirectories(work.resolve("models"));
    Files.copy(ROOT.resolve("models/demo-shapes.zip"), work.resolve("models/demo-shapes.zip"));
    writeSampleImage(work.resolve("sample.png"));
    String javaExe = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                javaExe,
                "-Xmx1g",
                "-Djava.awt.headless=true",
                "-cp",
                classes + java.io.File.pathSeparator + classpath,
                className.group(1))
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("out.txt").toFile())
            .start();
    boolean finished = p.waitFor(5, TimeUnit.MINUTES);
    if (!finished) {
      p.destroyForcibly();
    }
    String out = Files.readString(tmp.resolve("out.txt"));
    assertThat(finished).as("the program finished; output:%n%s", out).isTrue();
    assertThat(p.exitValue()).as("exit code; output:%n%s", out).isZero();
    assertThat(out).contains("2 images detected in one batch");
  }

  /** A 300 x 300 picture with a filled circle and square, the demo model's kind of scene. */
  private static void writeSampleImage(Path png) throws IOException {
    BufferedImage img = new BufferedImage(300, 300, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = img.createGraphics();
    try {
      g.setColor(new Color(40, 40, 40));
      g.fillRect(0, 0, 300, 300);
      g.setColor(new Color(230, 60, 60));
      g.fillOval(30, 40, 100, 100);
      g.setColor(new Color(60, 200, 90));
      g.fillRect(170, 160, 90, 90);
    } finally {
      g.dispose();
    }
    assertThat(ImageIO.write(img, "png", png.toFile())).isTrue();
  }

  private static String javaSection() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int start = readme.indexOf("\n## Use it from Java\n");
    assertThat(start).as("README has a 'Use it from Java' section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    return readme.substring(start, end < 0 ? readme.length() : end);
  }

  /** The contents of the fenced code blocks of {@code lang} in {@code markdown}, in order. */
  static List<String> fencedBlocks(String markdown, String lang) {
    List<String> blocks = new ArrayList<>();
    Matcher m =
        Pattern.compile("(?m)^```" + Pattern.quote(lang) + "\\n(.*?)^```$", Pattern.DOTALL)
            .matcher(markdown);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  private static String projectVersion() throws IOException {
    String pom = Files.readString(ROOT.resolve("pom.xml"));
    Matcher m =
        Pattern.compile("<artifactId>fssd4j-parent</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(pom);
    assertThat(m.find()).as("the parent pom's version").isTrue();
    return m.group(1);
  }

  /**
   * The repository root: the first folder upwards from the module that holds README.md and models/.
   */
  private static Path locateRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.isRegularFile(dir.resolve("README.md"))
          && Files.isDirectory(dir.resolve("models"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
  }
}
