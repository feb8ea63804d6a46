package org.fssd.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameMatching;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

/**
 * The module layering of docs/design-notes (DESIGN.md): checked on the production classes of every
 * module on this module's test class path (all but fssd-spark and fssd-benchmarks, which depend on
 * fssd-core only; their poms say so).
 *
 * <ul>
 *   <li>fssd-core's packages live in fssd-core only and use no other module;
 *   <li>the oneDNN engine is fssd-core's inside: other modules see only {@code PlanOptions}, the
 *       settings the detector's builder takes;
 *   <li>no cycles between packages.
 * </ul>
 *
 * <p>Which modules may carry a logging backend (the command line and the benchmark programs, not
 * the libraries) is a dependency rule, checked by the Maven Enforcer execution {@code
 * libraries-have-no-logging-backend} of the parent POM.
 */
@AnalyzeClasses(
    packages = "org.fssd",
    importOptions = {ImportOption.DoNotIncludeTests.class, LayeringTest.NoTestJars.class})
class LayeringTest {
  /** Leaves out the test jars other modules share (test helpers, not production code). */
  static final class NoTestJars implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.contains("-tests.jar");
    }
  }

  /** fssd-core's packages. */
  static final String[] CORE = {
    "org.fssd",
    "org.fssd.box..",
    "org.fssd.detect..",
    "org.fssd.engine..",
    "org.fssd.image..",
    "org.fssd.io..",
    "org.fssd.model.."
  };

  /** The other modules' packages. */
  static final String[] NOT_CORE = {
    "org.fssd.data..",
    "org.fssd.train..",
    "org.fssd.prune..",
    "org.fssd.plots..",
    "org.fssd.serve..",
    "org.fssd.cli..",
    "org.fssd.spark..",
    "org.fssd.bench.."
  };

  @ArchTest
  static final ArchRule coreUsesNoOtherModule =
      noClasses()
          .that()
          .resideInAnyPackage(CORE)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(NOT_CORE)
          .because("fssd-core is the library every other module builds on");

  @ArchTest
  static final ArchRule corePackagesLiveInCore =
      classes()
          .that()
          .resideInAnyPackage(CORE)
          .should(beLoadedFrom("fssd-core"))
          .because(
              "a package split across modules would let another module reach core's package-private parts");

  @ArchTest
  static final ArchRule engineIsCoresInside =
      noClasses()
          .that()
          .resideOutsideOfPackages(CORE)
          .should()
          .dependOnClassesThat(
              resideInAPackage("org.fssd.engine..")
                  .and(not(nameMatching("org\\.fssd\\.engine\\.onednn\\.PlanOptions(\\$.*)?"))))
          .because(
              "other modules run networks through FssdDetector; PlanOptions is the engine's public setting");

  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("org.fssd.(**)").should().beFreeOfCycles();

  /**
   * The class file was loaded from a class path entry (jar or folder) whose path names {@code
   * module}.
   */
  private static ArchCondition<JavaClass> beLoadedFrom(String module) {
    return new ArchCondition<>("be loaded from " + module) {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        String where = c.getSource().map(s -> s.getUri().toString()).orElse("?");
        boolean ok = where.contains("/" + module + "/") || where.contains("/" + module + "-");
        events.add(new SimpleConditionEvent(c, ok, c.getName() + " is in " + where));
      }
    };
  }
}
