/**
 * Command-line parsing shared by the commands: `node:util`'s parseArgs, with its errors turned into
 * usage errors that name the command's help.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError, CliErrorCode } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parsed options and positional arguments. */
export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: string[];
}

/**
 * Parses `args` against `options` (every command also takes `--help`/`-h`).
 * @throws CliError `FENIX_ERR_CLI_USAGE` on an unknown option or a missing option value.
 */
export function parse(command: string, args: readonly string[], options: Options): Parsed {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (err) {
    throw new CliError(CliErrorCode.USAGE, `${(err as Error).message.replace(/\.$/, "")}. See \`fenix ${command} --help\`.`, { cause: err });
  }
}

/** Whether `args` asks for help. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

/** A usage error naming the command's help. */
export function usage(command: string, message: string): CliError {
  return new CliError(CliErrorCode.USAGE, `${message} See \`fenix ${command} --help\`.`);
}

/** Writes one line to a stream. */
export function println(stream: NodeJS.WritableStream, line = ""): void {
  stream.write(`${line}\n`);
}

/** A string option's value, if given. */
export function stringOption(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

/** Whether a boolean option was given. */
export function flagOption(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}
