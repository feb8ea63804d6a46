package org.fssd.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Points the system property {@code fssd.home} (where the CLI finds {@code models/demo-shapes.zip})
 * at the repository root for each test, and restores what it was afterwards: tests that run the CLI
 * without {@code --model} then use the shipped demo model, as {@code ./fssd} does.
 */
final class FssdHomeAtRepoRoot implements BeforeEachCallback, AfterEachCallback {
  /** The repository root (the module's parent folder, where Maven runs the module's tests). */
  static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(FssdHomeAtRepoRoot.class);

  @Override
  public void beforeEach(ExtensionContext context) {
    String old = System.getProperty("fssd.home");
    context.getStore(NS).put("old", old == null ? "" : old);
    context.getStore(NS).put("hadOld", old != null);
    System.setProperty("fssd.home", ROOT.toString());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (Boolean.TRUE.equals(context.getStore(NS).get("hadOld", Boolean.class))) {
      System.setProperty("fssd.home", context.getStore(NS).get("old", String.class));
    } else {
      System.clearProperty("fssd.home");
    }
  }
}
