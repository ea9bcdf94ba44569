/**
 * Catches errors that escape every handler — a promise nobody awaits rejects, a timer or a listener
 * throws — and ends the process whose work started them (found through `processContext`) instead of
 * letting Node.js exit and drop every connection. Errors no process owns follow a policy.
 */
import { formatExitReason } from "./exit-reason.js";
import { crashEscaped, processContext } from "./process-context.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { TelemetryEvent, telemetryChannels, type LogRecorded, type ProcessCrashed } from "../../telemetry/events.js";

/**
 * What to do with an escaped error that no live process owns: it was thrown outside every process, or
 * by leftover work of a process that has already ended.
 *
 * @remarks
 * `"log"` publishes a `fenix:log` record (level `"error"`, cause `"escaped_error"`) and writes the error
 * to stderr, then keeps serving; it also sets `process.exitCode` to 1, so a program that then ends by
 * itself (a start that failed in a top-level `await`) exits with 1 rather than 0. `"exit"` does the same, then exits with code 1 (what Node.js does with no
 * handler). A function receives the error and where it came from, and decides alone.
 *
 * @example
 * ```ts
 * const policy: OrphanErrorPolicy = (error, origin) => myLogger.error({ error, origin }, "escaped error");
 * ```
 */
export type OrphanErrorPolicy = "log" | "exit" | ((error: unknown, origin: EscapeOrigin) => void);

/** Where an escaped error surfaced: a rejection nobody handled, or an exception nobody caught. */
export type EscapeOrigin = "unhandledRejection" | "uncaughtException";

/**
 * Options of {@link configureEscapedErrors}.
 *
 * @example
 * ```ts
 * const options: EscapedErrorOptions = { orphans: "exit" };
 * ```
 */
export interface EscapedErrorOptions {
  /**
   * Whether Fenix listens for `unhandledRejection` and `uncaughtException` at all. With `false` its
   * listeners are removed and Node.js (or your own listeners) handle every escaped error.
   * @defaultValue `true` (installed when the first Runtime is created)
   */
  enabled?: boolean;
  /**
   * What to do with escaped errors no live process owns; see {@link OrphanErrorPolicy}.
   * @defaultValue `"log"`
   */
  orphans?: OrphanErrorPolicy;
}

/** The `source` of the telemetry records about orphan errors. */
export const escapedErrors: object = Object.freeze({ name: "fenix.escapedErrors" });

const LOG = telemetryChannels[TelemetryEvent.LOG];
const PROCESS_CRASHES = telemetryChannels[TelemetryEvent.PROCESS_CRASH];

let enabled = true;
let installed = false;
let orphans: OrphanErrorPolicy = "log";

function onRejection(reason: unknown): void {
  handleEscaped(reason, "unhandledRejection");
}

function onException(error: unknown, origin: string): void {
  // With --unhandled-rejections=strict a rejection arrives here; it is still a rejection.
  handleEscaped(error, origin === "unhandledRejection" ? "unhandledRejection" : "uncaughtException");
}

/**
 * Ends the owner of an escaped error, or applies the orphan policy.
 *
 * @remarks Node.js runs both listeners in the async context of the failing work (for a rejection, the
 * context the promise was created in), which is what names the owner.
 */
function handleEscaped(error: unknown, origin: EscapeOrigin): void {
  const owner = processContext.getStore();
  if (owner !== undefined && owner.alive) {
    owner[crashEscaped](error);
    return;
  }
  if (owner !== undefined && PROCESS_CRASHES.hasSubscribers) {
    const runtime = owner.runtime;
    PROCESS_CRASHES.publish({ source: runtime, node: runtime.node, pid: owner.pid.toString(), reason: formatExitReason(error), error } satisfies ProcessCrashed);
  }
  const policy = orphans;
  if (typeof policy === "function") {
    policy(error, origin);
    return;
  }
  const where = owner === undefined ? "outside every process" : `by process ${owner.pid.toString()} after it ended`;
  const message = `an error escaped (${origin}) ${where}: ${formatExitReason(error)}`;
  if (LOG.hasSubscribers) {
    LOG.publish({ source: escapedErrors, node: owner?.runtime.node ?? "nonode", level: "error", message, meta: { error, origin }, cause: "escaped_error" } satisfies LogRecorded);
  }
  process.stderr.write(`[fenix] ${message}\n${error instanceof Error && error.stack !== undefined ? `${error.stack}\n` : ""}`);
  if (policy === "exit") process.exit(1);
  // Serving goes on; but a program that then ends by itself (its start failed: a rejected top-level
  // await) ends with code 1, not 0. An explicit process.exit(code) still decides.
  if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = 1;
}

/**
 * Adds Fenix's `unhandledRejection` and `uncaughtException` listeners, once; called by every Runtime
 * constructor.
 *
 * @internal
 */
export function installEscapedErrorHandlers(): void {
  if (installed || !enabled || typeof process === "undefined" || typeof process.on !== "function") return;
  installed = true;
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
}

/**
 * Sets how escaped errors are handled, for the whole Node.js process.
 *
 * @remarks
 * Fenix adds one listener for each of `unhandledRejection` and `uncaughtException` when the first Runtime
 * is created; listeners you add stay and run too, in the order they were added (Node.js calls them all).
 * Having any listener means Node.js no longer exits on such errors: with `enabled: false` it does again,
 * unless you listen yourself. Options left out keep their current value.
 *
 * @example
 * ```ts
 * configureEscapedErrors({ orphans: "exit" }); // an error outside every process still ends Node.js
 * ```
 */
export function configureEscapedErrors(options: EscapedErrorOptions): void {
  const { enabled: on, orphans: policy } = options;
  if (policy !== undefined && policy !== "log" && policy !== "exit" && typeof policy !== "function") {
    throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `orphans must be "log", "exit" or a function, received ${JSON.stringify(policy)}.`);
  }
  if (policy !== undefined) orphans = policy;
  if (on === undefined) return;
  enabled = on;
  if (on) {
    installEscapedErrorHandlers();
  } else if (installed) {
    installed = false;
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  }
}
