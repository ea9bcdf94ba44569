/**
 * `fenix connect`: a terminal client that speaks the channel protocol. It connects with fenix/client
 * (heartbeats, reconnects and rejoins included), joins topics, pushes the events typed at a prompt or read
 * from stdin, and prints replies, pushes and broadcasts for people or as JSON lines. The parts live in
 * src/cli/connect/: options, input lines, the session, reports and their printer, the two input modes.
 */
import { println, wantsHelp } from "./args.js";
import type { CliIo, Command } from "./command.js";
import { INPUT_HELP } from "./connect/input-line.js";
import { runPrompt } from "./connect/interactive-mode.js";
import { parseConnectOptions, type ConnectOptions } from "./connect/options.js";
import { Printer } from "./connect/printer.js";
import { runScript } from "./connect/script-mode.js";
import { ConnectSession } from "./connect/session.js";
import { unlessAborted } from "./connect/unless-aborted.js";
import { CliError } from "./errors.js";

const HELP = `Usage: fenix connect <url> [options]

Connects to a Fenix (or Phoenix) socket such as ws://localhost:4000/socket, joins topics, pushes the
events you type and prints the replies, pushes and broadcasts that come back. The connection is kept
with heartbeats; after a drop it reconnects and rejoins by itself. At a terminal it shows a prompt;
otherwise it runs the lines of stdin as a script, each push waiting for its reply before the next line.

Options:
  -t, --topic <topic>     join this topic at start; repeatable, the last one is the current topic
  -j, --join <k=v|json>   join params of those joins and of /join without JSON; repeatable, merged
  -p, --params <k=v>      connect params, sent in the URL's query; repeatable
      --auth-token <tok>  token sent in the handshake instead of the URL (default: $FENIX_AUTH_TOKEN)
      --longpoll          use the LongPoll transport instead of WebSocket
      --vsn <version>     protocol version: 2.0.0 (default) or 1.0.0 (JSON objects, no bytes)
      --json              print one JSON object per line, for programs
      --timeout <ms>      how long connecting, joins and pushes wait for an answer (default: 10000)
      --wait <ms>         script mode: keep listening this long after stdin ends (default: 0)
  -q, --quiet             hide confirmations (connected, joined, left, using); the rest is printed
  -h, --help              show this help

${INPUT_HELP}

Output: one line per event, marked * (status), < (reply, push, broadcast) or ! (something went
wrong); errors of the tool itself (bad input, connection failure) go to stderr. Bytes show as
<n bytes hex…>. With --json every line is an object with a "type": connected, disconnected,
reconnected, joined, refused, left, closed, crashed, reply, push, broadcast, message (V1), timeout,
using, topics, help or error; bytes are base64 with "binary": true. Colors only at a terminal, and
never with NO_COLOR set.

Exit status: 0 if everything succeeded; 1 if the connection failed, or a join was refused or timed
out, a reply was not ok or did not come, or a line was invalid; 2 for a usage error; 130 when stopped
by Ctrl-C (which disconnects first).

Examples:
  fenix connect ws://localhost:4000/socket -t room:lobby -j name=ada
  echo 'new_msg {"body":"hi"}' | fenix connect ws://localhost:4000/socket -t room:lobby --wait 500`;

/** The exit code of a session stopped by SIGINT or Ctrl-C (128 + the signal's number, as shells do). */
const INTERRUPTED = 130;

function isTerminal(stream: NodeJS.ReadableStream | NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Runs a session to its end and tells its exit code. */
async function connect(options: ConnectOptions, io: CliIo): Promise<number> {
  const interactive = isTerminal(io.stdin) && isTerminal(io.stdout);
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "";
  const printer = new Printer(io, { json: options.json, quiet: options.quiet, color: !options.json && isTerminal(io.stdout) && !noColor });
  const stopper = new AbortController();
  let interrupted = false;
  const interrupt = (): void => {
    interrupted = true;
    stopper.abort();
  };
  const outputClosed = (): void => stopper.abort();
  process.on("SIGINT", interrupt);
  io.stdout.on("error", outputClosed);
  const session = new ConnectSession(options, printer, stopper.signal);
  try {
    const connected = await unlessAborted(session.connect(), stopper.signal);
    if (connected === false) return 1;
    for (const topic of options.topics) {
      if (stopper.signal.aborted) break;
      await unlessAborted(session.join(topic), stopper.signal);
    }
    if (!stopper.signal.aborted) {
      if (interactive) {
        if ((await runPrompt(session, printer, io, stopper.signal)) === "interrupted") interrupted = true;
      } else {
        await runScript(session, io.stdin, options.waitMs, stopper.signal);
      }
    }
    if (interrupted) return INTERRUPTED;
    return printer.problems > 0 ? 1 : 0;
  } finally {
    process.off("SIGINT", interrupt);
    io.stdout.off("error", outputClosed);
    stopper.abort();
    await session.close();
  }
}

/**
 * `fenix connect <url> [options]`: an interactive or scripted channel client (the help text and
 * docs/cli.md describe it).
 */
export const connectCommand: Command = {
  name: "connect",
  summary: "connect to a socket, join topics, push events and watch replies and broadcasts",
  help: HELP,
  async run(args, io) {
    if (wantsHelp(args)) {
      println(io.stdout, HELP);
      return 0;
    }
    let options: ConnectOptions;
    try {
      options = parseConnectOptions(args, io.env);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      println(io.stderr, `fenix connect: ${err.message}`);
      return err.exitCode;
    }
    return connect(options, io);
  },
};
