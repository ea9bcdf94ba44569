/**
 * How long to wait: the check every waiting API of the runtime applies to its `timeoutMs` (GenServer
 * start, stop and call, Task await and yield), where `Infinity` means "wait as long as it takes".
 */
import { RuntimeError, RuntimeErrorCode } from "../errors.js";

/**
 * Throws `FENIX_ERR_RUNTIME_BAD_ARGUMENT` unless `ms` is a number ≥ 0 (`Infinity` included).
 *
 * @remarks
 * Unlike `assertDelay` (for timers, which must fire), a timeout may be infinite: the caller then simply
 * arms no timer.
 *
 * @example
 * ```ts
 * assertTimeout(5_000); // ok
 * assertTimeout(Infinity); // ok: wait forever
 * ```
 */
export function assertTimeout(ms: unknown, name = "timeoutMs"): asserts ms is number {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
    throw new RuntimeError(
      RuntimeErrorCode.BAD_ARGUMENT,
      `${name} must be a number of milliseconds >= 0 (Infinity to wait forever), received ${typeof ms === "number" ? String(ms) : typeof ms}.`,
    );
  }
}
