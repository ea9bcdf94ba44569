/**
 * Runs a child spec's `start` for a supervisor and turns every way it can go wrong (a throw, a rejection,
 * a value that is not a pid) into one result, so supervisors never let a child's start crash them.
 */
import type { ResolvedChildSpec } from "./child-spec.js";
import { describeReceived } from "./child-spec.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { Pid } from "../process/pid.js";
import { Process } from "../process/process.js";
import type { Runtime } from "../process/runtime.js";
import { isThenable } from "../process/thenable.js";

/** What came of one start: the child's pid (`null` when the spec chose to start nothing), or why it failed. */
export type LaunchResult = { readonly ok: true; readonly pid: Pid | null } | { readonly ok: false; readonly error: unknown };

/**
 * Starts the child described by `spec` for the supervisor `parent`.
 *
 * @remarks
 * The supervisor links to the returned pid itself (links are idempotent), so a child whose `start`
 * forgot `{ link: parent }` is still supervised; a child that already died is then reported to the
 * supervisor as an EXIT with `"noproc"` unless its own link already did.
 *
 * @example
 * ```ts
 * declare const spec: ResolvedChildSpec;
 * declare const supervisor: Pid;
 * const result = await launchChild(runtime, supervisor, spec);
 * if (!result.ok) console.error("child failed to start", result.error);
 * ```
 */
export async function launchChild(runtime: Runtime, parent: Pid, spec: ResolvedChildSpec): Promise<LaunchResult> {
  let started: unknown;
  try {
    started = await spec.start(parent);
  } catch (error) {
    return { ok: false, error };
  }
  return adopt(runtime, parent, spec, started);
}

/**
 * {@link launchChild} in the caller's turn, for a `start` that returns the pid itself (not a promise).
 *
 * @remarks A `start` that returns a promise fails with `FENIX_ERR_RUNTIME_BAD_CHILD_SPEC`; the child it
 * may still start is killed when the promise resolves, so nothing runs unsupervised.
 *
 * @example
 * ```ts
 * declare const spec: ResolvedChildSpec;
 * declare const supervisor: Pid;
 * const result = launchChildNow(runtime, supervisor, spec);
 * ```
 */
export function launchChildNow(runtime: Runtime, parent: Pid, spec: ResolvedChildSpec, start: ResolvedChildSpec["start"] = spec.start): LaunchResult {
  let started: unknown;
  let promised: boolean;
  try {
    started = start(parent);
    promised = isThenable(started);
  } catch (error) {
    return { ok: false, error };
  }
  if (promised) {
    (started as PromiseLike<unknown>).then(
      (pid) => {
        if (pid instanceof Pid) runtime.exit(pid, "kill");
      },
      () => {},
    );
    const error = new RuntimeError(
      RuntimeErrorCode.BAD_CHILD_SPEC,
      `start of child ${JSON.stringify(spec.id)} returned a promise; starting a child now needs a start that returns the Pid (use startChild for an async start).`,
    );
    return { ok: false, error };
  }
  return adopt(runtime, parent, spec, started);
}

/** Checks what a `start` returned and links the child to its supervisor. */
function adopt(runtime: Runtime, parent: Pid, spec: ResolvedChildSpec, started: unknown): LaunchResult {
  if (started === null) return { ok: true, pid: null };
  if (!(started instanceof Pid)) {
    const hint = started instanceof Process ? " (return the process's pid: `new Worker(…).pid`)" : "";
    const error = new RuntimeError(
      RuntimeErrorCode.BAD_CHILD_SPEC,
      `start of child ${JSON.stringify(spec.id)} must return the child's Pid, or null to start nothing; it returned ${describeReceived(started)}${hint}.`,
    );
    return { ok: false, error };
  }
  runtime.link(parent, started);
  return { ok: true, pid: started };
}
