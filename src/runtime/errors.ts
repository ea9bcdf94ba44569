/**
 * Typed errors of the process runtime: the stable `FENIX_ERR_RUNTIME_*` codes and the `RuntimeError`
 * class that carries them. Misuse of the runtime API throws these at once; a crash inside a process
 * never does (it ends that process instead).
 */
import { FenixError } from "../errors/fenix-error.js";

/**
 * The stable codes of errors thrown by the runtime layer.
 *
 * @remarks
 * - `BAD_ARGUMENT`: an argument has the wrong shape or range (a negative or non-finite delay, an empty
 *   node name, …); the message names the argument, what it must be and what was received.
 *
 * @example
 * ```ts
 * function isValidDelay(ms: number): boolean {
 *   try {
 *     realClock.clearTimeout(realClock.setTimeout(() => {}, ms));
 *     return true;
 *   } catch (err) {
 *     if (err instanceof RuntimeError && err.code === RuntimeErrorCode.BAD_ARGUMENT) return false;
 *     throw err;
 *   }
 * }
 * ```
 */
export const RuntimeErrorCode = {
  BAD_ARGUMENT: "FENIX_ERR_RUNTIME_BAD_ARGUMENT",
} as const;

/** One of the {@link RuntimeErrorCode} values. */
export type RuntimeErrorCode = (typeof RuntimeErrorCode)[keyof typeof RuntimeErrorCode];

/**
 * An error thrown by the runtime layer, with a {@link RuntimeErrorCode}.
 *
 * @remarks
 * Match on `code`, never on `message`.
 *
 * @example
 * ```ts
 * const err = new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, "ms must be a finite number ≥ 0; got -1");
 * err.code; // "FENIX_ERR_RUNTIME_BAD_ARGUMENT"
 * ```
 */
export class RuntimeError extends FenixError {
  declare readonly code: RuntimeErrorCode;

  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
