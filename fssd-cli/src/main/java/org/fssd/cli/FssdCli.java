package org.fssd.cli;

import java.io.PrintWriter;
import org.fssd.FssdException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code fssd} command: one entry point, a subcommand per job. Started by {@code ./fssd} at the
 * repository root. Exit codes: 0 success, 1 a refused input or failed job (message on stderr), 2 a
 * usage error, 3 ({@code detect} only) some of the images could not be read while the others were
 * detected (see {@link DetectCommand}).
 */
@Command(
    name = "fssd",
    mixinStandardHelpOptions = true,
    versionProvider = FssdCli.Version.class,
    description = "FSSD object detection on the JVM (fssd4j).",
    subcommands = {
      InfoCommand.class,
      InitCommand.class,
      ImportCommand.class,
      DetectCommand.class,
      ForwardCommand.class,
      TrainCommand.class,
      CheckpointModelCommand.class,
      RecalibrateBnCommand.class,
      QuantizeCommand.class,
      PruneCommand.class,
      EvalCommand.class,
      EvalDetectionsCommand.class,
      ServeCommand.class,
      AugmentPreviewCommand.class,
      SampleImageCommand.class,
      CommandLine.HelpCommand.class
    })
public final class FssdCli {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI on the process's stdout and stderr and returns the exit code. */
  public static int run(String... args) {
    return run(null, null, args);
  }

  /**
   * Runs the CLI exactly as {@link #main} does, printing to {@code out} and {@code err} (null: the
   * process's streams), and returns the exit code. Tests capture the output through it.
   */
  static int run(PrintWriter out, PrintWriter err, String... args) {
    // Library INFO logs (ND4J start-up banner) would drown the output; --verbose is for debugging.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
      System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty(
          "java.awt.headless", "true"); // charts and PNGs on servers without a display
    }
    CommandLine cli = new CommandLine(new FssdCli());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(FssdCli::handle);
    if (out != null) {
      cli.setOut(out);
    }
    if (err != null) {
      cli.setErr(err);
    }
    return cli.execute(args);
  }

  private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    // bad input, and options this machine cannot run (BF16 without AVX512_BF16): the message only
    if (e instanceof FssdException
        || e instanceof IllegalArgumentException
        || e instanceof UnsupportedOperationException) {
      err.println("fssd " + cmd.getCommandName() + ": " + e.getMessage());
    } else {
      err.println("fssd " + cmd.getCommandName() + ": unexpected failure: " + e);
      e.printStackTrace(err);
    }
    err.flush();
    return 1;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"fssd4j " + org.fssd.model.Provenance.version()};
    }
  }
}
