/**
 * The error every name registrar throws when a unique key is taken (`NameRegistrar.register`): its own
 * class, so callers can read the live `holder` without parsing a message.
 */
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import type { Pid } from "../process/pid.js";

/**
 * Thrown when a unique key is already held by a live process.
 *
 * @remarks Code `FENIX_ERR_RUNTIME_ALREADY_REGISTERED`; `holder` is the process that holds `key`.
 *
 * @example
 * ```ts
 * declare const names: Registry<string>;
 * declare const pid: Pid;
 * try {
 *   names.register("lobby", pid);
 * } catch (err) {
 *   if (err instanceof AlreadyRegisteredError) console.log(`lobby runs as ${err.holder.toString()}`);
 * }
 * ```
 */
export class AlreadyRegisteredError extends RuntimeError {
  declare readonly code: typeof RuntimeErrorCode.ALREADY_REGISTERED;

  constructor(
    /** The key that was asked for. */
    readonly key: unknown,
    /** The live process that holds it. */
    readonly holder: Pid,
    message: string,
  ) {
    super(RuntimeErrorCode.ALREADY_REGISTERED, message);
  }
}
