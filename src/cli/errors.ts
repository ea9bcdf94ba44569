/**
 * The errors of the `fenix` command. The command prints their messages (never a stack trace) and exits
 * with their exit code; `code` tells them apart for programs that run the commands in process.
 */
import { FenixError } from "../errors/fenix-error.js";

/** Stable codes of {@link CliError}. */
export const CliErrorCode = {
  /** The command line is wrong: unknown command or option, missing or extra argument. */
  USAGE: "FENIX_ERR_CLI_USAGE",
  /** A name given to `new` or a generator cannot be used. */
  BAD_NAME: "FENIX_ERR_CLI_BAD_NAME",
  /** The command needs a Fenix project and none was found from the current folder upward. */
  NOT_A_PROJECT: "FENIX_ERR_CLI_NOT_A_PROJECT",
  /** A file the command would write exists with other content (and `--force` was not given). */
  FILE_EXISTS: "FENIX_ERR_CLI_FILE_EXISTS",
  /** A file the command must read or edit is missing or lacks what the command looks for. */
  BAD_PROJECT_FILE: "FENIX_ERR_CLI_BAD_PROJECT_FILE",
  /** A program the command runs (npm, node) failed. */
  SUBPROCESS_FAILED: "FENIX_ERR_CLI_SUBPROCESS_FAILED",
} as const;

/** One of {@link CliErrorCode}'s values. */
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/** A failure of a `fenix` command. */
export class CliError extends FenixError {
  declare readonly code: CliErrorCode;
  /** The exit code the command ends with: 2 for usage errors, 1 otherwise. */
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.exitCode = code === CliErrorCode.USAGE ? 2 : 1;
  }
}
