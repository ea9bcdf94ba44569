/**
 * The logger of a channel test: it keeps every line the server writes, so a test can assert on them and
 * a crash the test provokes on purpose does not print to the console; lines can be passed on as well.
 */
import type { Logger } from "../server/endpoint/logger.js";

/** One log line written by the server during a channel test. */
export interface LogRecord {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly meta: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A {@link Logger} that records every line, and passes it on to `forward` when given.
 *
 * @example
 * ```ts
 * const logs = new LogCollector();
 * logs.error("channel room:1 crashed", { error: new Error("boom") });
 * logs.records[0]?.message; // "channel room:1 crashed"
 * ```
 */
export class LogCollector implements Logger {
  /** Every line so far, oldest first. */
  readonly records: LogRecord[] = [];
  readonly #forward: Logger | undefined;

  constructor(forward?: Logger) {
    this.#forward = forward;
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    this.#record("debug", message, meta);
  }

  info(message: string, meta?: Record<string, unknown>): void {
    this.#record("info", message, meta);
  }

  warn(message: string, meta?: Record<string, unknown>): void {
    this.#record("warn", message, meta);
  }

  error(message: string, meta?: Record<string, unknown>): void {
    this.#record("error", message, meta);
  }

  #record(level: LogRecord["level"], message: string, meta: Record<string, unknown> | undefined): void {
    this.records.push({ level, message, meta });
    this.#forward?.[level](message, meta);
  }
}
