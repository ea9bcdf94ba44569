/**
 * The endpoint's logger as a telemetry subscriber: the core publishes events (a channel crashed, a
 * client broke the protocol, the link to the other nodes changed, log records) and this turns the events
 * of one endpoint into log lines, at most a few per cause and window, so that a client repeating a
 * mistake cannot flood the log. Core code never formats log lines for these.
 */
import { PubSubErrorCode } from "../../pubsub/errors.js";
import { realClock, type Clock, type TimerHandle } from "../../runtime/clock/clock.js";
import { TelemetryEvent, onTelemetry, publish } from "../../telemetry/events.js";
import type { Logger } from "./logger.js";

/** Who may publish events a logger writes: the endpoint, its PubSub, its runtime. */
export type TelemetryOwner = (source: object) => boolean;

/** How {@link logTelemetry} limits lines of one cause. */
export interface LogTelemetryOptions {
  /** Lines of one cause written per window; the rest are counted and summed up in one line. 0 or `Infinity` disables the limit. @defaultValue 10 */
  maxPerWindow?: number;
  /** The window, in milliseconds, starting at the first line of a cause. @defaultValue 10000 */
  windowMs?: number;
  /** Where time and the end-of-window timers come from (a `VirtualClock` in tests). @defaultValue `realClock` */
  clock?: Clock;
}

type Level = "debug" | "info" | "warn" | "error";

const SERIOUS: ReadonlySet<string> = new Set([PubSubErrorCode.ADAPTER_DOWN, PubSubErrorCode.MESSAGES_LOST, PubSubErrorCode.DUPLICATE_NODE]);

/**
 * Writes the events whose `source` `owns` accepts to `logger`; returns the function that stops it.
 *
 * @remarks
 * Each line has a cause: a log record's `cause` (else its level and message), a crash's route and stage,
 * a client or PubSub error's code. Of one cause, at most `maxPerWindow` lines are written per `windowMs`;
 * when the window ends (or the next line of that cause comes after it), one line at the same level, the
 * window's first line followed by `… N more suppressed in the last 10 s`, says how many were dropped.
 * Stopping writes the summaries still pending.
 *
 * @example
 * ```ts
 * const stop = logTelemetry(consoleLogger("info"), (source) => source === endpoint || source === endpoint.pubsub);
 * ```
 */
export function logTelemetry(logger: Logger, owns: TelemetryOwner, options: LogTelemetryOptions = {}): () => void {
  const limiter = new LogLimiter(logger, options);
  const stops = [
    onTelemetry(TelemetryEvent.LOG, (e) => {
      if (!owns(e.source)) return;
      const meta = e.meta === undefined ? undefined : { ...e.meta };
      limiter.write(e.cause === undefined ? `log:${e.level}:${e.message}` : `log:${e.cause}`, e.level, e.message, meta);
    }),
    onTelemetry(TelemetryEvent.CHANNEL_CRASH, (e) => {
      if (!owns(e.source)) return;
      const what = e.during === "join" ? `join of ${e.topic} crashed` : `channel ${e.topic} crashed`;
      const meta = { error: e.error, during: e.during, route: e.route, socketId: e.socketId, transport: e.transport };
      limiter.write(`crash:${e.during}:${e.route}`, "error", what, meta);
    }),
    onTelemetry(TelemetryEvent.TRANSPORT_ERROR, (e) => {
      if (!owns(e.source)) return;
      const meta = { path: e.path, transport: e.transport, address: e.address, socketId: e.socketId };
      limiter.write(`client:${e.code}`, "debug", `client error ${e.code}: ${e.message}`, meta);
    }),
    onTelemetry(TelemetryEvent.PUBSUB_ERROR, (e) => {
      if (owns(e.source)) limiter.write(`pubsub:${e.code}`, SERIOUS.has(e.code) ? "error" : "warn", e.message, { code: e.code, error: e.error });
    }),
    onTelemetry(TelemetryEvent.PUBSUB_STATUS, (e) => {
      if (!owns(e.source) || e.status !== "up") return;
      const lasted = e.downMs === undefined ? "" : ` again, after ${Math.round(e.downMs)} ms down`;
      limiter.write("pubsub:up", "info", `node ${e.node}: the link to the other nodes is up${lasted}`, undefined);
    }),
  ];
  return () => {
    for (const stop of stops) stop();
    limiter.close();
  };
}

/**
 * Publishes a log record for `source`'s subscribers (its endpoint's logger among them).
 *
 * @remarks A string `meta.cause` becomes the record's `cause`: the key its lines are rate-limited by, for
 * messages whose text varies (a topic, an id) while their cause does not.
 */
export function logRecord(source: object, node: string, level: Level, message: string, meta?: Record<string, unknown>): void {
  const cause = typeof meta?.cause === "string" ? meta.cause : undefined;
  publish(TelemetryEvent.LOG, { source, node, level, message, meta, ...(cause === undefined ? {} : { cause }) });
}

/** The lines of one cause in its current span. */
interface CauseWindow {
  readonly startedAt: number;
  written: number;
  suppressed: number;
  level: Level;
  /** The window's first line, quoted in its summary. */
  readonly first: string;
  timer: TimerHandle | null;
}

/** Writes at most `maxPerWindow` lines per cause and window, then one summary of the lines it dropped. */
class LogLimiter {
  readonly #logger: Logger;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  readonly #windows = new Map<string, CauseWindow>();
  #sweptAt: number;

  constructor(logger: Logger, options: LogTelemetryOptions) {
    this.#logger = logger;
    this.#max = options.maxPerWindow ?? 10;
    this.#windowMs = options.windowMs ?? 10_000;
    this.#clock = options.clock ?? realClock;
    this.#sweptAt = this.#clock.now();
  }

  write(cause: string, level: Level, message: string, meta: Record<string, unknown> | undefined): void {
    if (this.#max <= 0 || this.#max === Infinity) {
      this.#logger[level](message, meta);
      return;
    }
    const now = this.#clock.now();
    let span: CauseWindow | undefined = this.#windows.get(cause);
    if (span !== undefined && now - span.startedAt >= this.#windowMs) {
      this.#end(cause, span);
      span = undefined;
    }
    if (span === undefined) {
      this.#sweep(now);
      span = { startedAt: now, written: 0, suppressed: 0, level, first: message, timer: null };
      this.#windows.set(cause, span);
    }
    if (span.written < this.#max) {
      span.written++;
      this.#logger[level](message, meta);
      return;
    }
    span.suppressed++;
    span.level = level;
    if (span.timer === null) {
      const ends = span;
      span.timer = this.#clock.setTimeout(() => this.#end(cause, ends), Math.max(0, span.startedAt + this.#windowMs - now));
    }
  }

  /** Writes the summaries still pending and cancels their timers. */
  close(): void {
    for (const [cause, span] of [...this.#windows]) this.#end(cause, span);
  }

  #end(cause: string, span: CauseWindow): void {
    if (this.#windows.get(cause) === span) this.#windows.delete(cause);
    if (span.timer !== null) this.#clock.clearTimeout(span.timer);
    span.timer = null;
    if (span.suppressed === 0) return;
    const seconds = Math.round(this.#windowMs / 100) / 10;
    this.#logger[span.level](`${span.first} … ${span.suppressed} more suppressed in the last ${seconds} s`, {
      cause,
      suppressed: span.suppressed,
      windowMs: this.#windowMs,
    });
    span.suppressed = 0;
  }

  /** Forgets windows that ended with nothing suppressed (those with suppressions end on their timer); at most once a window. */
  #sweep(now: number): void {
    if (now - this.#sweptAt < this.#windowMs) return;
    this.#sweptAt = now;
    for (const [cause, span] of this.#windows) {
      if (span.suppressed === 0 && now - span.startedAt >= this.#windowMs) this.#windows.delete(cause);
    }
  }
}
