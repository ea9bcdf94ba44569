/**
 * Exit reasons (why a process ended) and the two messages the runtime itself sends: EXIT (a trapped exit
 * signal from a linked process) and DOWN (a monitored process ended). Pure values and predicates.
 */
import { Pid, Ref } from "./pid.js";

/**
 * Why a process ended: `"normal"`, `"shutdown"`, `{ shutdown: detail }`, `"kill"` (untrappable, only as
 * a signal), `"killed"`, `"noproc"`, an Error, or any other value.
 *
 * @remarks
 * - `"normal"`: the process finished its work. Linked processes that do not trap exits ignore it.
 * - `"shutdown"` / `{ shutdown: detail }` (see {@link shutdown}): asked to stop, e.g. by its owner.
 *   Clean, yet it does end linked processes that do not trap exits.
 * - `"kill"`: only meaningful as a signal sent with `Runtime.exit`; it ends the target even when it
 *   traps exits, and the target then ends with `"killed"`.
 * - `"noproc"`: the process named by a link or monitor did not exist.
 * - anything else (usually an Error thrown by a handler): a crash.
 *
 * @example
 * ```ts
 * const reasons: ExitReason[] = ["normal", shutdown("closed by client"), new Error("boom")];
 * ```
 */
export type ExitReason = unknown;

/**
 * Builds the reason `{ shutdown: detail }`: a clean shutdown that carries a detail for whoever receives
 * the exit.
 *
 * @remarks The returned object is frozen.
 *
 * @example
 * ```ts
 * const reason = shutdown("left");
 * isCleanExit(reason); // true
 * ```
 */
export function shutdown(detail: unknown): { readonly shutdown: unknown } {
  return Object.freeze({ shutdown: detail });
}

/**
 * Whether `reason` is `"shutdown"` or `{ shutdown: detail }`.
 *
 * @remarks
 * `{ shutdown: detail }` means an object (not an array, not an Error) whose only own key is `shutdown`,
 * whether or not it was made by {@link shutdown}.
 *
 * @example
 * ```ts
 * isShutdownReason("shutdown"); // true
 * isShutdownReason({ shutdown: 1 }); // true
 * isShutdownReason("normal"); // false
 * ```
 */
export function isShutdownReason(reason: ExitReason): boolean {
  if (reason === "shutdown") return true;
  if (typeof reason !== "object" || reason === null || Array.isArray(reason) || reason instanceof Error) {
    return false;
  }
  const keys = Object.keys(reason);
  return keys.length === 1 && keys[0] === "shutdown";
}

/**
 * Whether `reason` is a clean exit: `"normal"`, `"shutdown"` or `{ shutdown: detail }`.
 *
 * @remarks
 * A channel that ends cleanly is reported to its client with `phx_close`, any other reason with
 * `phx_error`. The runtime's `onCrash` hook is never called for clean exits.
 *
 * @example
 * ```ts
 * isCleanExit("normal"); // true
 * isCleanExit("killed"); // false
 * isCleanExit(new Error("boom")); // false
 * ```
 */
export function isCleanExit(reason: ExitReason): boolean {
  return reason === "normal" || isShutdownReason(reason);
}

/** Longest string {@link formatExitReason} returns, so a huge reason cannot flood a log line. */
const MAX_FORMATTED_LENGTH = 1000;

/**
 * A one-line, human-readable form of an exit reason, for logs.
 *
 * @remarks
 * Strings are returned as they are; Errors as `Name: message` (with `[code]` when they carry a string
 * `code`, as every FenixError does); `{ shutdown: x }` as `shutdown(x)`; pids and refs by their
 * `toString`; other values as JSON when possible. The result is cut at 1000 characters.
 *
 * @example
 * ```ts
 * formatExitReason(new TypeError("bad")); // "TypeError: bad"
 * formatExitReason(shutdown("left")); // "shutdown(left)"
 * ```
 */
export function formatExitReason(reason: ExitReason): string {
  const text = format(reason);
  return text.length > MAX_FORMATTED_LENGTH ? `${text.slice(0, MAX_FORMATTED_LENGTH - 1)}…` : text;
}

function format(reason: unknown): string {
  if (typeof reason === "string") return reason;
  if (reason instanceof Error) {
    const code = (reason as { code?: unknown }).code;
    return typeof code === "string" ? `${reason.name} [${code}]: ${reason.message}` : `${reason.name}: ${reason.message}`;
  }
  if (reason instanceof Pid || reason instanceof Ref) return reason.toString();
  if (reason !== "shutdown" && isShutdownReason(reason)) {
    return `shutdown(${format((reason as { shutdown: unknown }).shutdown)})`;
  }
  if (typeof reason === "object" && reason !== null) {
    try {
      const json = JSON.stringify(reason);
      if (json !== undefined) return json;
    } catch {
      // Circular or otherwise unserialisable: fall through to the tag.
    }
    return Object.prototype.toString.call(reason);
  }
  return String(reason);
}

/**
 * The message a process that traps exits receives instead of being ended by an exit signal.
 *
 * @remarks
 * `from` is the linked process that ended, or the `from` given to `Runtime.exit` (the target's own pid
 * when none was given). `reason` is the signal's reason, unchanged (`"kill"` is never trapped).
 *
 * @example
 * ```ts
 * function onMessage(message: unknown): void {
 *   if (isExitMessage(message)) console.log(`${message.from.toString()} exited: ${formatExitReason(message.reason)}`);
 * }
 * ```
 */
export interface ExitMessage {
  readonly type: "EXIT";
  readonly from: Pid;
  readonly reason: ExitReason;
}

/**
 * The message a monitoring process receives when the monitored process ends.
 *
 * @remarks
 * `ref` is the object `Runtime.monitor` returned; `reason` is `"noproc"` when the target was already
 * dead when the monitor was set. Each monitor delivers at most one DOWN and is then gone.
 *
 * @example
 * ```ts
 * function onMessage(message: unknown, ref: Ref): void {
 *   if (isDownMessage(message) && message.ref === ref) console.log(`${message.pid.toString()} is down`);
 * }
 * ```
 */
export interface DownMessage {
  readonly type: "DOWN";
  readonly ref: Ref;
  readonly pid: Pid;
  readonly reason: ExitReason;
}

/**
 * Whether `message` is an {@link ExitMessage}.
 *
 * @example
 * ```ts
 * isExitMessage({ type: "EXIT" }); // false: no `from` pid
 * ```
 */
export function isExitMessage(message: unknown): message is ExitMessage {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "EXIT" &&
    (message as { from?: unknown }).from instanceof Pid &&
    "reason" in message
  );
}

/**
 * Whether `message` is a {@link DownMessage}.
 *
 * @example
 * ```ts
 * isDownMessage({ type: "DOWN" }); // false: no `ref` or `pid`
 * ```
 */
export function isDownMessage(message: unknown): message is DownMessage {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "DOWN" &&
    (message as { ref?: unknown }).ref instanceof Ref &&
    (message as { pid?: unknown }).pid instanceof Pid &&
    "reason" in message
  );
}
