package org.fssd.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Test utility: runs the {@code fssd} command line in-process with captured output. An exception
 * from a command is reported on stderr as {@code fssd <command>: <message>} with exit code 1.
 *
 * @param code the exit code
 * @param out what the command printed on stdout
 * @param err what the command printed on stderr
 */
record CliRun(int code, String out, String err) {

  /** Runs {@code fssd args...} and returns its exit code and output. */
  static CliRun run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new FssdCli());
    cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("fssd " + cmd.getCommandName() + ": " + e.getMessage());
      return 1;
    });
    int code = cli.execute(args);
    return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
