/**
 * The error a GenServer exits with when a call, cast or continue reaches a callback its class did not
 * write: its own class, so the message it could not handle travels with the exit reason.
 */
import { RuntimeError } from "./errors.js";
import type { RuntimeErrorCode } from "./errors.js";
import { formatExitReason } from "./exit-reason.js";

/** The codes an {@link UnhandledMessageError} can carry. */
export type UnhandledMessageCode =
  | typeof RuntimeErrorCode.UNHANDLED_CALL
  | typeof RuntimeErrorCode.UNHANDLED_CAST
  | typeof RuntimeErrorCode.UNHANDLED_CONTINUE;

/**
 * A GenServer received a call (`FENIX_ERR_RUNTIME_UNHANDLED_CALL`), a cast
 * (`FENIX_ERR_RUNTIME_UNHANDLED_CAST`) or a continue (`FENIX_ERR_RUNTIME_UNHANDLED_CONTINUE`) and its
 * class does not override the matching callback.
 *
 * @remarks
 * The default `handleCall`, `handleCast` and `handleContinue` throw it, so the server crashes with it as
 * reason (a caller sees `FENIX_ERR_RUNTIME_CALLEE_EXITED` whose `reason` is this error). `received` is
 * the request, cast message or continue argument.
 *
 * @example
 * ```ts
 * try {
 *   await GenServer.call(pid, "get");
 * } catch (err) {
 *   if (err instanceof CalleeExitedError && err.reason instanceof UnhandledMessageError) console.error(err.reason.message);
 * }
 * ```
 */
export class UnhandledMessageError extends RuntimeError {
  declare readonly code: UnhandledMessageCode;

  constructor(
    code: UnhandledMessageCode,
    /** What the server could not handle. */
    readonly received: unknown,
    message: string,
  ) {
    super(code, message);
  }
}

/**
 * A short form of a request or message for error texts: strings quoted, functions by name, other
 * values as `formatExitReason` writes them (JSON when possible, cut at 1000 characters).
 *
 * @example
 * ```ts
 * describeMessage("get"); // "\"get\""
 * describeMessage({ op: "inc" }); // "{\"op\":\"inc\"}"
 * ```
 */
export function describeMessage(message: unknown): string {
  if (typeof message === "string") return formatExitReason(JSON.stringify(message));
  if (typeof message === "function") return message.name === "" ? "a function" : `the function ${message.name}`;
  return formatExitReason(message);
}
