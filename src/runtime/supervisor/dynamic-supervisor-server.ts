/**
 * The process behind the DynamicSupervisor façade: children of one kind, started on demand, restarted one
 * for one, stopped together. Children are indexed by pid, so exits and `terminateChild` are O(1) even
 * with thousands of children.
 */
import { isRestartDue } from "./child-spec.js";
import type { ResolvedChildSpec } from "./child-spec.js";
import type { DynamicChildInfo } from "./dynamic-supervisor.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import type { ExitReason } from "../process/exit-reason.js";
import { launchChild } from "./launch-child.js";
import type { Pid } from "../process/pid.js";
import { shutdownChild } from "./shutdown-child.js";
import { SupervisorCore } from "./supervisor-core.js";
import type { ResolvedBaseOptions } from "./supervisor-core.js";
import { startChildFailed } from "./supervisor-server.js";
import type { ChildCounts } from "./supervisor.js";

/** The start function kept for temporary children, which are never restarted. */
const NEVER_RESTARTED = (): null => null;

/** The requests of the DynamicSupervisor façade (besides `stop`, which the core answers). */
export type DynamicSupervisorOp =
  | { readonly kind: "startChild"; readonly spec: ResolvedChildSpec }
  | { readonly kind: "terminateChild"; readonly pid: Pid }
  | { readonly kind: "whichChildren" }
  | { readonly kind: "countChildren" };

/** One child; `pid` is null while a failed restart waits for its retry. */
interface DynamicChild {
  readonly spec: ResolvedChildSpec;
  pid: Pid | null;
}

/**
 * A DynamicSupervisor process.
 *
 * @remarks
 * `#children` keeps start order (a restarted child moves to the end: it started last). On shutdown every
 * running child is signalled at once, newest first, and the supervisor waits for all of them together.
 *
 * @example
 * ```ts
 * const server = new DynamicSupervisorServer(resolveBaseOptions({ runtime }, "DynamicSupervisor", BASE_OPTION_KEYS), Infinity);
 * const pid = await server.ready;
 * ```
 */
export class DynamicSupervisorServer extends SupervisorCore<DynamicSupervisorOp> {
  readonly #maxChildren: number;
  readonly #children = new Set<DynamicChild>();
  readonly #byPid = new Map<Pid, DynamicChild>();

  constructor(options: ResolvedBaseOptions, maxChildren: number) {
    super(options);
    this.#maxChildren = maxChildren;
  }

  protected override async init(): Promise<void> {
    // No children at start: they come with startChild.
  }

  protected override childExited(pid: Pid, reason: ExitReason): void | Promise<void> {
    const child = this.#byPid.get(pid);
    if (child === undefined) return;
    this.#byPid.delete(pid);
    child.pid = null;
    if (isRestartDue(child.spec.restart, reason)) this.reportRestart(String(child.spec.id ?? "child"), pid, reason);
    if (!isRestartDue(child.spec.restart, reason)) {
      this.#children.delete(child);
      return;
    }
    if (!this.restartAllowed()) return this.giveUp();
    return this.#restart(child);
  }

  protected override resumeRestarts(): void | Promise<void> {
    let waiting: DynamicChild | undefined;
    for (const child of this.#children) {
      if (child.pid === null) {
        waiting = child;
        break;
      }
    }
    if (waiting === undefined) return;
    if (!this.restartAllowed()) return this.giveUp();
    return this.#restart(waiting);
  }

  protected override answer(op: DynamicSupervisorOp): unknown {
    switch (op.kind) {
      case "startChild":
        return this.#startChild(op.spec);
      case "terminateChild":
        return this.#terminateChild(op.pid);
      case "whichChildren":
        return Array.from(
          this.#children,
          (c): DynamicChildInfo => ({ pid: c.pid, type: c.spec.type, restart: c.spec.restart }),
        );
      case "countChildren": {
        const counts: ChildCounts = { specs: this.#children.size, active: this.#byPid.size, supervisors: 0, workers: 0 };
        for (const c of this.#children) {
          if (c.spec.type === "supervisor") counts.supervisors++;
          else counts.workers++;
        }
        return counts;
      }
    }
  }

  protected override async shutdownChildren(): Promise<void> {
    const running = Array.from(this.#children).reverse();
    this.#children.clear();
    this.#byPid.clear();
    const ends: Promise<unknown>[] = [];
    for (const child of running) {
      if (child.pid !== null) ends.push(shutdownChild(this.runtime, this.pid, child.pid, child.spec.shutdown));
    }
    await Promise.all(ends);
  }

  async #startChild(spec: ResolvedChildSpec): Promise<Pid | null> {
    if (this.#children.size >= this.#maxChildren) {
      throw new RuntimeError(
        RuntimeErrorCode.MAX_CHILDREN,
        `dynamic supervisor ${this.pid.toString()} already has its maxChildren (${this.#maxChildren}) children; terminate one first or raise maxChildren.`,
      );
    }
    const result = await launchChild(this.runtime, this.pid, spec);
    if (!result.ok) throw startChildFailed(spec.id, result.error);
    // A temporary child is never started again: keep its spec without the start function, so that
    // whatever that closure holds can be collected while the child runs.
    if (result.pid !== null) this.#add({ spec: spec.restart === "temporary" ? { ...spec, start: NEVER_RESTARTED } : spec, pid: result.pid });
    return result.pid;
  }

  async #terminateChild(pid: Pid): Promise<void> {
    const child = this.#byPid.get(pid);
    if (child === undefined) {
      throw new RuntimeError(
        RuntimeErrorCode.CHILD_NOT_FOUND,
        `${pid.toString()} is not a child of dynamic supervisor ${this.pid.toString()} (it may have exited already).`,
      );
    }
    this.#byPid.delete(pid);
    this.#children.delete(child);
    child.pid = null;
    await shutdownChild(this.runtime, this.pid, pid, child.spec.shutdown);
  }

  async #restart(child: DynamicChild): Promise<void> {
    const result = await launchChild(this.runtime, this.pid, child.spec);
    if (!this.alive) return;
    if (!result.ok) {
      this.retryLater();
      return;
    }
    this.#children.delete(child);
    if (result.pid !== null) this.#add({ spec: child.spec, pid: result.pid });
  }

  #add(child: DynamicChild & { pid: Pid }): void {
    this.#children.add(child);
    this.#byPid.set(child.pid, child);
  }
}
