/**
 * Interactive mode (stdin and stdout are terminals): a readline prompt showing the current topic, with
 * history and Tab completion of commands and topics. Lines are handled as they are typed, without waiting
 * for replies, which are printed above the prompt when they come.
 */
import { clearLine, createInterface, cursorTo, type Interface } from "node:readline";
import type { CliIo } from "../command.js";
import { SLASH_COMMANDS } from "./input-line.js";
import type { Printer } from "./printer.js";
import type { ConnectSession } from "./session.js";

/** How an interactive session ended: quit (`/quit`, Ctrl-D, or `signal` aborted) or interrupted (Ctrl-C on an empty line). */
export type PromptEnd = "quit" | "interrupted";

/** Commands whose next word is a topic. */
const TAKES_TOPIC = new Set(["/join", "/leave", "/use", "/push"]);

function completer(session: ConnectSession): (line: string) => [string[], string] {
  return (line) => {
    const words = line.split(/\s+/);
    const last = words.at(-1) ?? "";
    const candidates = words.length === 1 ? [...SLASH_COMMANDS] : words.length === 2 && TAKES_TOPIC.has(words[0] ?? "") ? session.topics : [];
    const hits = candidates.filter((c) => c.startsWith(last));
    return [hits, last];
  };
}

/** Reads lines at a prompt until `/quit`, Ctrl-D, Ctrl-C on an empty line, or `signal` aborts. */
export async function runPrompt(session: ConnectSession, printer: Printer, io: CliIo, signal: AbortSignal): Promise<PromptEnd> {
  const reader: Interface = createInterface({
    input: io.stdin,
    output: io.stdout,
    terminal: true,
    historySize: 1000,
    removeHistoryDuplicates: true,
    completer: completer(session),
  });
  const redraw = (): void => {
    reader.setPrompt(session.prompt());
    reader.prompt(true);
  };
  printer.attachPrompt({
    hide: () => {
      clearLine(io.stdout, 0);
      cursorTo(io.stdout, 0);
    },
    show: redraw,
  });
  try {
    return await new Promise<PromptEnd>((resolve) => {
      if (signal.aborted) return resolve("quit");
      signal.addEventListener("abort", () => resolve("quit"), { once: true });
      reader.on("close", () => resolve("quit"));
      reader.on("SIGINT", () => {
        if (reader.line === "") return resolve("interrupted");
        // Like a shell: Ctrl-C drops what was typed and gives a fresh prompt.
        reader.write(null, { ctrl: true, name: "e" });
        reader.write(null, { ctrl: true, name: "u" });
      });
      reader.on("line", (line) => {
        session.handle(line).then(
          (outcome) => {
            if (outcome === "quit") resolve("quit");
          },
          () => {},
        );
        redraw();
      });
      redraw();
    });
  } finally {
    printer.attachPrompt(undefined);
    reader.close();
    // Leave the terminal as the prompt found it: no half-drawn prompt before the shell's.
    clearLine(io.stdout, 0);
    cursorTo(io.stdout, 0);
  }
}
