/**
 * The process behind the DynamicSupervisor façade: children of one kind, started on demand, restarted one
 * for one, stopped together. Children are indexed by pid, so exits and `terminateChild` are O(1) even
 * with thousands of children.
 */
import { isRestartDue } from "./child-spec.js";
import type { ChildShutdown, ChildType, ResolvedChildSpec } from "./child-spec.js";
import type { DynamicChildInfo } from "./dynamic-supervisor.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import type { ExitReason } from "../process/exit-reason.js";
import { launchChild, launchChildNow } from "./launch-child.js";
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

/** The place of a child that is not running: its restart is under way, or failed and waits for a retry. */
class Restarting {
  constructor(readonly spec: ResolvedChildSpec) {}
}

/**
 * What is kept of a temporary child: its type and shutdown, shared by every temporary child with the same
 * two (a connection supervisor's thousands of children share one), and no start function, so whatever
 * that closure holds can be collected while the child runs.
 */
const temporarySpecs: Record<ChildType, Map<ChildShutdown, ResolvedChildSpec>> = { worker: new Map(), supervisor: new Map() };

function keptSpec(spec: ResolvedChildSpec): ResolvedChildSpec {
  return spec.restart === "temporary" ? temporaryChildSpec(spec.type, spec.shutdown) : spec;
}

/**
 * @internal The spec kept for every temporary child of `type` with `shutdown`: one shared, frozen object
 * (see {@link DynamicSupervisorServer.startChildNow} for starting children with it).
 */
export function temporaryChildSpec(type: ChildType, shutdown: ChildShutdown): ResolvedChildSpec {
  const byShutdown = temporarySpecs[type];
  let kept = byShutdown.get(shutdown);
  if (kept === undefined) {
    kept = Object.freeze({ id: "", start: NEVER_RESTARTED, restart: "temporary", shutdown, type });
    byShutdown.set(shutdown, kept);
  }
  return kept;
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
  /**
   * Every child in start order: a running one under its pid, one being restarted under its
   * {@link Restarting} place. No object per child: the value is its spec, shared among temporary children.
   */
  readonly #children = new Map<Pid | Restarting, ResolvedChildSpec>();
  /** How many entries of `#children` are {@link Restarting} places. */
  #restarting = 0;

  constructor(options: ResolvedBaseOptions, maxChildren: number) {
    super(options);
    this.#maxChildren = maxChildren;
  }

  /**
   * Starts a child at once, in the caller's turn, ahead of the requests already queued (see
   * `DynamicSupervisor.startChildNow`). `start`, when given, starts it in place of `spec.start` (a
   * temporary child's spec from {@link temporaryChildSpec} is then shared by every such child).
   *
   * @throws RuntimeError `FENIX_ERR_RUNTIME_NOPROC` when the supervisor is stopping or has ended,
   *   `FENIX_ERR_RUNTIME_MAX_CHILDREN`, `FENIX_ERR_RUNTIME_START_CHILD_FAILED`.
   */
  startChildNow(spec: ResolvedChildSpec, start: ResolvedChildSpec["start"] = spec.start): Pid | null {
    if (!this.alive || this.stopping) {
      throw new RuntimeError(RuntimeErrorCode.NOPROC, `dynamic supervisor ${this.pid.toString()} is ${this.alive ? "stopping" : "not running"}; it starts no children.`);
    }
    this.#checkRoom();
    const result = launchChildNow(this.runtime, this.pid, spec, start);
    if (!result.ok) throw startChildFailed(spec.id, result.error);
    if (result.pid !== null) this.#children.set(result.pid, keptSpec(spec));
    return result.pid;
  }

  protected override async init(): Promise<void> {
    // No children at start: they come with startChild.
  }

  protected override childExited(pid: Pid, reason: ExitReason): void | Promise<void> {
    const spec = this.#children.get(pid);
    if (spec === undefined) return;
    this.#children.delete(pid);
    if (!isRestartDue(spec.restart, reason)) return;
    this.reportRestart(spec.id, pid, reason);
    const place = new Restarting(spec);
    this.#children.set(place, spec);
    this.#restarting++;
    if (!this.restartAllowed()) return this.giveUp();
    return this.#restart(place);
  }

  protected override resumeRestarts(): void | Promise<void> {
    for (const key of this.#children.keys()) {
      if (key instanceof Restarting) {
        if (!this.restartAllowed()) return this.giveUp();
        return this.#restart(key);
      }
    }
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
          ([key, spec]): DynamicChildInfo => ({ pid: key instanceof Restarting ? null : key, type: spec.type, restart: spec.restart }),
        );
      case "countChildren": {
        const counts: ChildCounts = { specs: this.#children.size, active: this.#children.size - this.#restarting, supervisors: 0, workers: 0 };
        for (const spec of this.#children.values()) {
          if (spec.type === "supervisor") counts.supervisors++;
          else counts.workers++;
        }
        return counts;
      }
    }
  }

  protected override async shutdownChildren(): Promise<void> {
    const running = Array.from(this.#children).reverse();
    this.#children.clear();
    this.#restarting = 0;
    const ends: Promise<unknown>[] = [];
    for (const [key, spec] of running) {
      if (!(key instanceof Restarting)) ends.push(shutdownChild(this.runtime, this.pid, key, spec.shutdown));
    }
    await Promise.all(ends);
  }

  #checkRoom(): void {
    if (this.#children.size >= this.#maxChildren) {
      throw new RuntimeError(
        RuntimeErrorCode.MAX_CHILDREN,
        `dynamic supervisor ${this.pid.toString()} already has its maxChildren (${this.#maxChildren}) children; terminate one first or raise maxChildren.`,
      );
    }
  }

  async #startChild(spec: ResolvedChildSpec): Promise<Pid | null> {
    this.#checkRoom();
    const result = await launchChild(this.runtime, this.pid, spec);
    if (!result.ok) throw startChildFailed(spec.id, result.error);
    if (result.pid !== null && this.alive && !this.stopping) this.#children.set(result.pid, keptSpec(spec));
    return result.pid;
  }

  async #terminateChild(pid: Pid): Promise<void> {
    const spec = this.#children.get(pid);
    if (spec === undefined) {
      throw new RuntimeError(
        RuntimeErrorCode.CHILD_NOT_FOUND,
        `${pid.toString()} is not a child of dynamic supervisor ${this.pid.toString()} (it may have exited already).`,
      );
    }
    this.#children.delete(pid);
    await shutdownChild(this.runtime, this.pid, pid, spec.shutdown);
  }

  /** Starts the child waiting at `place` again; it takes a new place at the end of the start order. */
  async #restart(place: Restarting): Promise<void> {
    const result = await launchChild(this.runtime, this.pid, place.spec);
    if (!this.alive || !this.#children.has(place)) return;
    if (!result.ok) {
      this.retryLater();
      return;
    }
    this.#children.delete(place);
    this.#restarting--;
    if (result.pid !== null) this.#children.set(result.pid, place.spec);
  }
}
