/**
 * The `fenix` command's dispatcher: picks the subcommand from the first words, prints the command list
 * and the version, and turns every failure into a message and an exit code (never a stack trace for a
 * {@link CliError}).
 */
import { println, wantsHelp } from "./args.js";
import type { CliIo, Command } from "./command.js";
import { connectCommand } from "./connect.js";
import { CliError } from "./errors.js";
import { genChannelCommand, genPresenceCommand, genSecretCommand, genSocketCommand } from "./gen.js";
import { newCommand } from "./new.js";
import { routesCommand } from "./routes.js";
import { serverCommand } from "./server.js";
import { fenixVersion } from "./templates.js";

/** Every subcommand, in the order `fenix --help` lists them. */
export const commands: readonly Command[] = [
  newCommand,
  serverCommand,
  routesCommand,
  genChannelCommand,
  genSocketCommand,
  genPresenceCommand,
  genSecretCommand,
  connectCommand,
];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: fenix <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `fenix <command> --help` for a command's options; `fenix --version` prints the version.",
  ].join("\n");
}

/** The command named by the first one or two words of `argv`, and the arguments after them. */
function select(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  for (const command of commands) {
    const words = command.name.split(" ");
    if (words.every((word, i) => argv[i] === word)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

/**
 * Runs the `fenix` command line `argv` (without the node and script paths).
 * @returns the exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    println(first === undefined ? io.stderr : io.stdout, overview());
    return first === undefined ? 2 : 0;
  }
  if (first === "--version" || first === "-v") {
    println(io.stdout, fenixVersion());
    return 0;
  }
  const selected = select(argv);
  if (selected === undefined) {
    const gen = first === "gen" ? " (gen takes: channel, socket, presence, secret)" : "";
    println(io.stderr, `Unknown command "${argv.slice(0, first === "gen" ? 2 : 1).join(" ")}"${gen}. Run \`fenix --help\` for the list.`);
    return 2;
  }
  if (wantsHelp(selected.rest)) {
    println(io.stdout, selected.command.help);
    return 0;
  }
  try {
    return await selected.command.run(selected.rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      println(io.stderr, `fenix ${selected.command.name}: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}
