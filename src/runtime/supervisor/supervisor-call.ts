/**
 * How the Supervisor and DynamicSupervisor façades talk to their processes: a directory of the
 * supervisors each façade started (so callers pass only a pid or a name), the request and failure
 * envelopes, and `callSupervisor`, which sends one request through `call` and turns a failure back into
 * the thrown error.
 */
import { call } from "../gen-server/call.js";
import { describeReceived } from "./child-spec.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { describeDestination, isDestination, resolveDestination } from "../registry/name.js";
import type { Destination } from "../registry/name.js";
import type { Pid } from "../process/pid.js";
import type { Runtime } from "../process/runtime.js";

/** Which façade started a supervisor: its requests only make sense to that kind. */
export type SupervisorKind = "Supervisor" | "DynamicSupervisor";

/** Every supervisor process started by a façade, with its runtime; weak, so dead ones are collected. */
const directory = new WeakMap<Pid, { readonly runtime: Runtime; readonly kind: SupervisorKind }>();

/** Records a new supervisor process so its façade can find its runtime from the pid. */
export function enrollSupervisor(pid: Pid, runtime: Runtime, kind: SupervisorKind): void {
  directory.set(pid, { runtime, kind });
}

/** The envelope of a façade request; only this module's callers build it, so stray calls are told apart. */
export class SupervisorRequest<Op> {
  constructor(readonly op: Op) {}
}

/** A request that failed: the supervisor replies with this, and {@link callSupervisor} throws `error`. */
export class RequestFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Sends `op` to the supervisor at `destination` and resolves with its answer.
 *
 * @remarks
 * Waits without a timeout (a restart or an ordered shutdown may take as long as the children's
 * `shutdown` allows); rejects when the supervisor ends first (`FENIX_ERR_RUNTIME_CALLEE_EXITED`), when no
 * process is there (`FENIX_ERR_RUNTIME_NOPROC`), when the process was not started by this `kind` of
 * façade (`FENIX_ERR_RUNTIME_BAD_ARGUMENT`), or with the error the supervisor answered.
 *
 * @example
 * ```ts
 * declare const sup: Pid;
 * const children = await callSupervisor<ChildInfo[]>("Supervisor", sup, { kind: "whichChildren" });
 * ```
 */
export async function callSupervisor<T>(kind: SupervisorKind, destination: Destination, op: unknown): Promise<T> {
  if (!isDestination(destination)) {
    throw new RuntimeError(
      RuntimeErrorCode.BAD_ARGUMENT,
      `the supervisor must be given as a Pid or a { via, key } name, received ${describeReceived(destination)}.`,
    );
  }
  const pid = resolveDestination(destination);
  const entry = pid === undefined ? undefined : directory.get(pid);
  if (pid === undefined || entry === undefined) {
    if (pid === undefined) {
      throw new RuntimeError(RuntimeErrorCode.NOPROC, `${describeDestination(destination)} is not registered.`);
    }
    throw new RuntimeError(
      RuntimeErrorCode.BAD_ARGUMENT,
      `${describeDestination(destination)} is not a supervisor; pass a pid returned by ${kind}.start or ${kind}.startLink.`,
    );
  }
  if (entry.kind !== kind) {
    throw new RuntimeError(
      RuntimeErrorCode.BAD_ARGUMENT,
      `${describeDestination(destination)} is a ${entry.kind}; use ${entry.kind}.* functions with it, not ${kind}.*.`,
    );
  }
  const reply = await call(entry.runtime, pid, new SupervisorRequest(op), Infinity);
  if (reply instanceof RequestFailure) throw reply.error;
  return reply as T;
}
