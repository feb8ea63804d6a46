package org.fssd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged CLI (target/fssd-cli.jar with its lib/ folder, what {@code ./fssd} runs) reports the
 * build's version, not the "dev" that stands for a run from class folders: the version comes from
 * the Implementation-Version of fssd-core's jar manifest, which also stamps every model's
 * provenance. Run by failsafe after the package phase ({@code mvn verify}).
 */
class PackagedVersionIT {

  @TempDir Path tmp;

  @Test
  void versionOptionOfThePackagedJarNamesTheProjectVersion() throws Exception {
    String expected = System.getProperty("fssd.expectedVersion");
    assertThat(expected).as("system property fssd.expectedVersion (set by the pom)").isNotBlank();
    Path jar = Path.of(System.getProperty("fssd.cliJar"));
    assertThat(jar).exists();

    String out = runJava(jar, "--version");
    assertThat(out.strip()).isEqualTo("fssd4j " + expected);
  }

  @Test
  void everyPackagedJarHasImplementationVersionAndAutomaticModuleName() throws IOException {
    Path lib = Path.of(System.getProperty("fssd.cliJar")).resolveSibling("lib");
    try (var jars = Files.list(lib)) {
      var ours = jars.filter(p -> p.getFileName().toString().startsWith("fssd-")).toList();
      assertThat(ours).as("fssd4j jars in %s", lib).isNotEmpty();
      for (Path p : ours) {
        try (JarFile jf = new JarFile(p.toFile())) {
          Manifest m = jf.getManifest();
          assertThat(m).as("manifest of %s", p).isNotNull();
          assertThat(m.getMainAttributes().getValue("Implementation-Version"))
              .as("%s", p)
              .isEqualTo(System.getProperty("fssd.expectedVersion"));
          assertThat(m.getMainAttributes().getValue("Automatic-Module-Name"))
              .as("%s", p)
              .matches("org\\.fssd\\.[a-z]+");
        }
      }
    }
  }

  private String runJava(Path jar, String... args) throws IOException, InterruptedException {
    String javaExe = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var cmd =
        new java.util.ArrayList<String>(
            java.util.List.of(javaExe, "-Xmx256m", "-jar", jar.toString()));
    cmd.addAll(java.util.List.of(args));
    Path outFile = tmp.resolve("out.txt");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(outFile.toFile()).start();
    boolean finished = p.waitFor(2, TimeUnit.MINUTES);
    if (!finished) {
      p.destroyForcibly();
    }
    String out = Files.readString(outFile, StandardCharsets.UTF_8);
    assertThat(finished).as("java -jar %s finished; output:%n%s", jar, out).isTrue();
    assertThat(p.exitValue()).as("exit code; output:%n%s", out).isZero();
    return out;
  }
}
