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
  /** A call or name lookup targeted a process that does not exist (dead pid, unregistered name). */
  NOPROC: "FENIX_ERR_RUNTIME_NOPROC",
  /** A call got no reply within its timeout (the late reply, if any, is dropped). */
  CALL_TIMEOUT: "FENIX_ERR_RUNTIME_CALL_TIMEOUT",
  /** The called process ended before it replied; the error's `reason` holds its exit reason. */
  CALLEE_EXITED: "FENIX_ERR_RUNTIME_CALLEE_EXITED",
  /** A unique key (a name) is already held by a live process; the error's `holder` is that pid. */
  ALREADY_REGISTERED: "FENIX_ERR_RUNTIME_ALREADY_REGISTERED",
  /** `whereis` or `via` was used on a Registry with `keys: "duplicate"`, where a key names many processes. */
  REGISTRY_NOT_UNIQUE: "FENIX_ERR_RUNTIME_REGISTRY_NOT_UNIQUE",
  /** A child spec (or its `start` result) is malformed; the message names the field, the valid values and what was received. */
  BAD_CHILD_SPEC: "FENIX_ERR_RUNTIME_BAD_CHILD_SPEC",
  /** A supervisor already has a child with this id (running or stopped). */
  DUPLICATE_CHILD: "FENIX_ERR_RUNTIME_DUPLICATE_CHILD",
  /** A supervisor could not start a child (its `start` threw, rejected or returned no pid); `cause` says why. */
  START_CHILD_FAILED: "FENIX_ERR_RUNTIME_START_CHILD_FAILED",
  /** A supervisor has no child with this id (or, for a DynamicSupervisor, this pid). */
  CHILD_NOT_FOUND: "FENIX_ERR_RUNTIME_CHILD_NOT_FOUND",
  /** The child is running: terminate it before restarting or deleting it. */
  CHILD_RUNNING: "FENIX_ERR_RUNTIME_CHILD_RUNNING",
  /** A DynamicSupervisor already has `maxChildren` children. */
  MAX_CHILDREN: "FENIX_ERR_RUNTIME_MAX_CHILDREN",
  /** A GenServer's `init` threw, rejected or stopped, or its process ended during `init`; `reason` (and `cause`) say why. No process is left. */
  INIT_FAILED: "FENIX_ERR_RUNTIME_INIT_FAILED",
  /** A GenServer's `init` did not finish within the start timeout; the process was unlinked from its parent and killed. */
  INIT_TIMEOUT: "FENIX_ERR_RUNTIME_INIT_TIMEOUT",
  /** `GenServer.start` was given a name a live process already holds; the error's `pid` is that process. */
  ALREADY_STARTED: "FENIX_ERR_RUNTIME_ALREADY_STARTED",
  /** A GenServer got a call its class does not handle (no `handleCall`); the server exits with this error. */
  UNHANDLED_CALL: "FENIX_ERR_RUNTIME_UNHANDLED_CALL",
  /** A GenServer got a cast its class does not handle (no `handleCast`); the server exits with this error. */
  UNHANDLED_CAST: "FENIX_ERR_RUNTIME_UNHANDLED_CAST",
  /** A GenServer asked to `continue` but its class has no `handleContinue`; the server exits with this error. */
  UNHANDLED_CONTINUE: "FENIX_ERR_RUNTIME_UNHANDLED_CONTINUE",
  /** A GenServer called or stopped itself through `call`/`GenServer.stop`, which would wait for itself forever. */
  CALL_SELF: "FENIX_ERR_RUNTIME_CALL_SELF",
  /** `GenServer.stop` gave up: the process had not ended within the timeout (it is left running). */
  STOP_TIMEOUT: "FENIX_ERR_RUNTIME_STOP_TIMEOUT",
  /** `task.await` got no result within its timeout (an owned task is then unlinked and killed). */
  TASK_TIMEOUT: "FENIX_ERR_RUNTIME_TASK_TIMEOUT",
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
