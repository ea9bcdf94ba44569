/**
 * Runs `fenix connect` in process, the way a terminal or a pipe would: PassThrough streams as stdin,
 * stdout and stderr (marked as TTYs for interactive runs), the output collected, and waits on what it
 * prints instead of on the clock.
 */
import { PassThrough } from "node:stream";
import { connectCommand } from "../../../src/cli/connect.js";

/** How long a wait for output gives up after, in ms. */
export const OUTPUT_WAIT_MS = 5_000;

/** A running `fenix connect`. */
export interface ConnectRun {
  /** What the command reads: write lines to it, end it like Ctrl-D or the end of a script. */
  readonly stdin: PassThrough;
  /** Everything printed to stdout so far. */
  stdout(): string;
  /** Everything printed to stderr so far. */
  stderr(): string;
  /** Resolves once stdout (or stderr) contains `text`; rejects after {@link OUTPUT_WAIT_MS}. */
  waitFor(text: string | RegExp, stream?: "stdout" | "stderr"): Promise<void>;
  /** The exit code. */
  readonly exit: Promise<number>;
}

/** Options of {@link startConnect}. */
export interface RunOptions {
  /** Mark stdin and stdout as terminals (interactive mode). */
  readonly tty?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts `fenix connect args…`; stdin stays open until the test writes to it or ends it. */
export function startConnect(args: readonly string[], options: RunOptions = {}): ConnectRun {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (options.tty === true) {
    Object.assign(stdin, { isTTY: true });
    Object.assign(stdout, { isTTY: true });
  }
  const text = { stdout: "", stderr: "" };
  stdout.setEncoding("utf8").on("data", (chunk: string) => (text.stdout += chunk));
  stderr.setEncoding("utf8").on("data", (chunk: string) => (text.stderr += chunk));
  const exit = connectCommand.run(args, { stdin, stdout, stderr, cwd: process.cwd(), env: options.env ?? { NO_COLOR: "1" } });
  return {
    stdin,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exit,
    async waitFor(expected, stream = "stdout") {
      const started = Date.now();
      const found = (): boolean => (typeof expected === "string" ? text[stream].includes(expected) : expected.test(text[stream]));
      while (!found()) {
        if (Date.now() - started > OUTPUT_WAIT_MS) {
          throw new Error(`expected ${String(expected)} on ${stream} within ${OUTPUT_WAIT_MS} ms; got:\n${text[stream]}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

/** Runs `fenix connect args…` with `script` as its whole stdin, and resolves with its exit code and output. */
export async function runConnect(args: readonly string[], script = "", options: RunOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = startConnect(args, options);
  run.stdin.end(script);
  const code = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** The JSON objects of `--json` output, one per line. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
