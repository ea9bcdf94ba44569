/**
 * Checks a topic pattern given to `fenix gen channel` with the server's own rules, as a usage error.
 */
import { compileTopicPattern } from "../index.js";
import { CliError, CliErrorCode } from "./errors.js";

/** @throws CliError `FENIX_ERR_CLI_USAGE` when the server would refuse the pattern. */
export function compileTopicPatternForCli(pattern: string): void {
  try {
    compileTopicPattern(pattern);
  } catch (err) {
    throw new CliError(CliErrorCode.USAGE, `${(err as Error).message} See \`fenix gen channel --help\`.`, { cause: err });
  }
}
