/**
 * The error a GenServer exits with when a call, cast or continue reaches a callback its class did not
 * write: its own class, so the message it could not handle travels with the exit reason.
 */
import { describeValue } from "../../errors/describe.js";
import { RuntimeError } from "../errors.js";
import type { RuntimeErrorCode } from "../errors.js";

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

/** Longest {@link describeMessage}: a request is shown whole up to here, so its shape can be read. */
const MESSAGE_PREVIEW_CHARS = 1000;

/**
 * A request or message as GenServer error texts show it: {@link describeValue} (strings quoted, functions
 * by name, errors by name and message, other values as JSON), cut at 1000 characters.
 *
 * @example
 * ```ts
 * describeMessage("get"); // "\"get\""
 * describeMessage({ op: "inc" }); // "{\"op\":\"inc\"}"
 * ```
 */
export function describeMessage(message: unknown): string {
  return describeValue(message, MESSAGE_PREVIEW_CHARS);
}
