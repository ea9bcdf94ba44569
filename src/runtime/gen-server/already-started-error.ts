/**
 * The error `GenServer.start` rejects with when its name is taken: its own class, so a caller that only
 * wanted "the one server under this name" can use the live `pid` at once instead of parsing a message.
 */
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import type { Pid } from "../process/pid.js";

/**
 * `GenServer.start` was given a name that a live process already holds.
 *
 * @remarks
 * Code `FENIX_ERR_RUNTIME_ALREADY_STARTED`. The new process was ended (reason `"normal"`, so a linked
 * parent is unaffected) before its `init` ran; `pid` is the process that holds the name, `cause` the
 * registrar's own error.
 *
 * @example
 * ```ts
 * declare const names: Registry<string>;
 * class Room extends GenServer {}
 * async function ensureRoom(): Promise<Pid> {
 *   try {
 *     return await GenServer.start(Room, undefined, { runtime, name: names.via("lobby") });
 *   } catch (err) {
 *     if (err instanceof AlreadyStartedError) return err.pid;
 *     throw err;
 *   }
 * }
 * ```
 */
export class AlreadyStartedError extends RuntimeError {
  declare readonly code: typeof RuntimeErrorCode.ALREADY_STARTED;

  constructor(
    /** The name's key. */
    readonly key: unknown,
    /** The live process that holds the name. */
    readonly pid: Pid,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(RuntimeErrorCode.ALREADY_STARTED, message, options);
  }
}
