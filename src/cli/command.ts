/**
 * The shape every `fenix` subcommand shares: a name, a one-line summary for the command list, a help
 * text, and `run`, which reads and writes only through the {@link CliIo} it is given so that tests can
 * drive a command in process.
 */

/** Where a command reads and writes, and where it runs. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** The folder the command was run from. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** One `fenix` subcommand. */
export interface Command {
  /** The words that select it, such as `"new"` or `"gen channel"`. */
  readonly name: string;
  /** One line for `fenix --help`. */
  readonly summary: string;
  /** The full text printed by `fenix <name> --help` (the dispatcher prints it; `run` never sees `--help`). */
  readonly help: string;
  /**
   * Runs the command with the arguments after its name.
   * @returns the process exit code: 0 on success, 1 on failure, 2 on a usage error.
   */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
