/**
 * Where the reports of `fenix connect` go: rendered for people or as JSON lines, errors on stderr (JSON
 * mode keeps everything on stdout), confirmations dropped under `--quiet`, and the interactive prompt
 * cleared and redrawn around every line so that what arrives never garbles what is being typed.
 */
import type { CliIo } from "../command.js";
import { isConfirmation, isProblem, renderHuman, renderJson, type Report } from "./report.js";

/** How the printer shows reports. */
export interface PrinterOptions {
  readonly json: boolean;
  readonly quiet: boolean;
  /** Whether human lines get ANSI colors. */
  readonly color: boolean;
}

/** The prompt the printer writes around: hidden before a line, shown again after it. */
export interface PromptLine {
  hide(): void;
  show(): void;
}

/** Prints reports and counts the problems among them (for the exit code). */
export class Printer {
  readonly #io: CliIo;
  readonly #options: PrinterOptions;
  #problems = 0;
  #muted = false;
  #prompt: PromptLine | undefined;

  constructor(io: CliIo, options: PrinterOptions) {
    this.#io = io;
    this.#options = options;
  }

  /** How many problems were reported (refusals, timeouts, errors, replies that were not ok). */
  get problems(): number {
    return this.#problems;
  }

  /** Prints a report (unless muted or hidden by `--quiet`); a problem is counted even then. */
  report(report: Report): void {
    if (this.#muted) return;
    if (isProblem(report)) this.#problems += 1;
    if (this.#options.quiet && isConfirmation(report)) return;
    const json = this.#options.json;
    const line = json ? renderJson(report) : renderHuman(report, this.#options.color);
    const stream = !json && report.type === "error" ? this.#io.stderr : this.#io.stdout;
    this.#prompt?.hide();
    stream.write(`${line}\n`);
    this.#prompt?.show();
  }

  /** Writes around `prompt` from now on (or no longer, with undefined). */
  attachPrompt(prompt: PromptLine | undefined): void {
    this.#prompt = prompt;
  }

  /** Stops printing: what settles while the session closes is not news. */
  mute(): void {
    this.#muted = true;
    this.#prompt = undefined;
  }
}
