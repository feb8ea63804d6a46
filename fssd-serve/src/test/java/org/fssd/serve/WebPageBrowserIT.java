package org.fssd.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fssd.detect.Detection;
import org.fssd.detect.FssdDetector;
import org.fssd.model.FssdModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real browser: headless Debian Chromium driven by Selenium through Debian's
 * chromedriver ({@code apt-get install chromium chromium-driver}); both executables are given
 * explicitly, so Selenium Manager never runs and nothing is downloaded. Runs in the fssd-serve
 * Maven profile {@code browser}, which switches itself on where {@code /usr/bin/chromedriver}
 * exists. Screenshots go to {@code fssd-serve/target/browser/}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("slow")
class WebPageBrowserIT {
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  /** The server's default request threshold: where the page's slider starts. */
  private static final float DEFAULT_THRESHOLD = 0.3f;

  /** The page asks for everything above this and filters with the slider itself. */
  private static final float PAGE_QUERY_THRESHOLD = 0.01f;

  private static final int MAX_DETECTIONS = 12;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path tmp;

  private static FssdDetector detector;
  private static FssdServer server;
  private static ChromeDriver browser;
  private static Path shots;
  private static Path sample;
  private static byte[] sampleBytes;

  @BeforeAll
  static void setUp() throws IOException {
    assumeTrue(
        Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM),
        "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)");
    shots = Path.of(System.getProperty("basedir", "."), "target", "browser");
    Files.createDirectories(shots);
    // The README's sample image (fssd-core's test resources, through the core test-jar).
    sample = tmp.resolve("image.png");
    try (InputStream in =
        WebPageBrowserIT.class.getResourceAsStream("/org/fssd/reference/image.png")) {
      assertThat(in).as("org/fssd/reference/image.png on the test classpath").isNotNull();
      Files.copy(in, sample, StandardCopyOption.REPLACE_EXISTING);
    }
    sampleBytes = Files.readAllBytes(sample);

    FssdModel model = ServeTestModels.tamedTiny300();
    detector = ServeFixtures.referenceDetector(model, MAX_DETECTIONS);
    server =
        FssdServer.builder()
            .model(model)
            .scoreThreshold(DEFAULT_THRESHOLD)
            .maxDetections(MAX_DETECTIONS)
            .build()
            .start();

    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogFile(shots.resolve("chromedriver.log").toFile())
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1280,800",
        "--user-data-dir=" + tmp.resolve("chromium-profile"));
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    ServeFixtures.closeAll(server, detector);
  }

  @Test
  void uploadShowsTheDetectorsBoxesAndTheSliderFiltersThem() throws IOException {
    // What the page gets (it asks with threshold 0.01) and what it shows at the default threshold.
    List<Detection> answer =
        Endpoints.filter(detector.detect(sampleBytes), PAGE_QUERY_THRESHOLD, Integer.MAX_VALUE);
    List<Detection> shown = Endpoints.filter(answer, DEFAULT_THRESHOLD, Integer.MAX_VALUE);
    assertThat(shown).as("detections above %s on the sample image", DEFAULT_THRESHOLD).isNotEmpty();

    setViewport(1280, 800, false);
    browser.get("http://127.0.0.1:" + server.port() + "/");
    WebDriverWait wait = new WebDriverWait(browser, WAIT);
    // The model information sets the slider to the server's default threshold.
    wait.until(d -> d.findElement(By.id("model")).getText().contains("FSSD300"));
    wait.until(d -> d.findElement(By.id("health")).getText().equals("ready"));
    assertThat(browser.findElement(By.id("tval")).getText()).isEqualTo(format(DEFAULT_THRESHOLD));

    browser.findElement(By.id("file")).sendKeys(sample.toAbsolutePath().toString());
    wait.until(d -> !"busy".equals(state()));
    assertThat(state())
        .as("page state; error box says: %s", browser.findElement(By.id("error")).getText())
        .isEqualTo("done");

    assertThat(listed()).hasSize(shown.size());
    assertThat(listed())
        .allSatisfy(t -> assertThat(t).matches("(?s)[ab]\\s+0\\.\\d{3}\\s+\\[.*\\]"));
    assertThat(boxesDrawn()).isEqualTo(drawable(shown, 500, 375));
    assertThat(browser.findElement(By.id("shown")).getText())
        .isEqualTo(shown.size() + " of " + answer.size());
    assertThat(browser.findElement(By.id("size")).getText()).isEqualTo("500 \u00d7 375");
    assertThat(browser.findElement(By.id("time")).getText()).matches("\\d+ ms .*");
    assertTidy(1280);
    // Wide layout: the controls sit to the right of the image.
    assertThat(browser.findElement(By.tagName("aside")).getRect().getX())
        .isGreaterThan(browser.findElement(By.id("stage")).getRect().getX() + 600);
    screenshot("page-1280x800.png");

    // Phone-sized window: one column, nothing wider than the screen.
    setViewport(390, 844, true);
    new WebDriverWait(browser, WAIT)
        .until(
            d ->
                browser.findElement(By.tagName("aside")).getRect().getY()
                    > browser.findElement(By.id("stage")).getRect().getY());
    assertTidy(390);
    assertThat(boxesDrawn()).isEqualTo(drawable(shown, 500, 375));
    screenshot("page-390x844.png");
    fullPageScreenshot("page-390x844-full.png");

    // The slider filters live: move it to a threshold between the scores, away from any of them.
    float t = thresholdBetween(answer);
    List<Detection> fewer = Endpoints.filter(answer, t, Integer.MAX_VALUE);
    browser.executeScript(
        "var s = document.getElementById('threshold'); s.value = arguments[0];"
            + " s.dispatchEvent(new Event('input'));",
        format(t));
    assertThat(browser.findElement(By.id("tval")).getText()).isEqualTo(format(t));
    assertThat(listed()).hasSize(fewer.size());
    assertThat(boxesDrawn()).isEqualTo(drawable(fewer, 500, 375));
    assertThat(browser.findElement(By.id("shown")).getText())
        .isEqualTo(fewer.size() + " of " + answer.size());
  }

  // ------------------------------------------------------------------ helpers

  private static String state() {
    return browser.findElement(By.tagName("body")).getDomAttribute("data-state");
  }

  private static List<String> listed() {
    List<String> out = new ArrayList<>();
    for (WebElement li : browser.findElements(By.cssSelector("#list li"))) {
      if (!li.getText().startsWith("Nothing above")) {
        out.add(li.getText());
      }
    }
    return out;
  }

  private static int boxesDrawn() {
    return Integer.parseInt(browser.findElement(By.id("canvas")).getDomAttribute("data-boxes"));
  }

  /** The boxes the page can draw: those with some area left after clipping to the image. */
  private static int drawable(List<Detection> found, int width, int height) {
    int n = 0;
    for (Detection d : found) {
      float x1 = Math.max(0, d.box().x1());
      float y1 = Math.max(0, d.box().y1());
      float x2 = Math.min(width, d.box().x2());
      float y2 = Math.min(height, d.box().y2());
      if (x2 > x1 && y2 > y1) {
        n++;
      }
    }
    return n;
  }

  /**
   * A slider value (a multiple of 0.01) that keeps some of {@code found} but not all, at least
   * 0.0005 from every score (so float-to-JSON rounding cannot move a detection across it).
   */
  private static float thresholdBetween(List<Detection> found) {
    float best = -1;
    for (int k = 1; k <= 99; k++) {
      float t = k / 100f;
      boolean clear = found.stream().allMatch(d -> Math.abs(d.score() - t) > 0.0005f);
      int kept = Endpoints.filter(found, t, Integer.MAX_VALUE).size();
      if (clear
          && kept > 0
          && kept < found.size()
          && (best < 0
              || Math.abs(kept - found.size() / 2.0)
                  < Math.abs(
                      Endpoints.filter(found, best, Integer.MAX_VALUE).size()
                          - found.size() / 2.0))) {
        best = t;
      }
    }
    assertThat(best).as("a slider value between the scores %s", found).isPositive();
    return best;
  }

  private static String format(float t) {
    return String.format(Locale.ROOT, "%.2f", t);
  }

  /** No horizontal scrolling, and the page fits the window's width. */
  private static void assertTidy(int width) {
    long scrollWidth =
        (Long)
            ((JavascriptExecutor) browser)
                .executeScript("return document.documentElement.scrollWidth;");
    assertThat(scrollWidth).as("page width at a %s px window", width).isLessThanOrEqualTo(width);
    for (String id : new String[] {"stage", "canvas", "list"}) {
      WebElement e = browser.findElement(By.id(id));
      assertThat(e.getRect().getX() + e.getRect().getWidth())
          .as("right edge of #%s", id)
          .isLessThanOrEqualTo(width);
    }
  }

  private static void setViewport(int width, int height, boolean mobile) {
    browser.executeCdpCommand(
        "Emulation.setDeviceMetricsOverride",
        Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", mobile));
  }

  private static void screenshot(String name) throws IOException {
    Files.write(shots.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
  }

  private static void fullPageScreenshot(String name) throws IOException {
    Map<String, Object> shot =
        browser.executeCdpCommand(
            "Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
    Files.write(shots.resolve(name), Base64.getDecoder().decode((String) shot.get("data")));
  }
}
