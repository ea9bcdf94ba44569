/**
 * The error `GenServer.start` rejects with when the server did not get through `init`: its own class,
 * carrying the exit reason the same way `CalleeExitedError` does for calls.
 */
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import type { ExitReason } from "../process/exit-reason.js";

/**
 * A GenServer's `init` failed, so its start did.
 *
 * @remarks
 * Code `FENIX_ERR_RUNTIME_INIT_FAILED`. `reason` (also the `cause`) is why: the value `init` (or the
 * constructor) threw or rejected with, the reason it passed to `this.stop`, or the exit reason of a
 * process that was ended during `init` (say `"noproc"` when its parent was already dead). The process is
 * gone by the time the start rejects; a linked parent got the same reason as an exit signal.
 *
 * @example
 * ```ts
 * class Cache extends GenServer<{ size: number }> {}
 * try {
 *   await GenServer.start(Cache, { size: -1 }, { runtime });
 * } catch (err) {
 *   if (err instanceof InitFailedError) console.error(`cache did not start: ${formatExitReason(err.reason)}`);
 * }
 * ```
 */
export class InitFailedError extends RuntimeError {
  declare readonly code: typeof RuntimeErrorCode.INIT_FAILED;

  constructor(
    /** Why `init` failed; see the remarks. */
    readonly reason: ExitReason,
    message: string,
  ) {
    super(RuntimeErrorCode.INIT_FAILED, message, { cause: reason });
  }
}
