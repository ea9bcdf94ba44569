/**
 * The process behind the Supervisor façade: a fixed, ordered list of children restarted by strategy.
 * All bookkeeping happens inside one message handler at a time, so a restart or a shutdown is never
 * interleaved with a request or another exit — those queue until it is done.
 */
import { isRestartDue } from "./child-spec.js";
import type { ResolvedChildSpec } from "./child-spec.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { formatExitReason } from "../process/exit-reason.js";
import type { ExitReason } from "../process/exit-reason.js";
import { launchChild } from "./launch-child.js";
import type { Pid } from "../process/pid.js";
import { shutdownChild } from "./shutdown-child.js";
import { SupervisorCore } from "./supervisor-core.js";
import type { ResolvedBaseOptions } from "./supervisor-core.js";
import type { ChildCounts, ChildInfo, SupervisorStrategy } from "./supervisor.js";

/** The requests of the Supervisor façade (besides `stop`, which the core answers). */
export type SupervisorOp =
  | { readonly kind: "startChild"; readonly spec: ResolvedChildSpec }
  | { readonly kind: "terminateChild"; readonly id: string }
  | { readonly kind: "restartChild"; readonly id: string }
  | { readonly kind: "deleteChild"; readonly id: string }
  | { readonly kind: "whichChildren" }
  | { readonly kind: "countChildren" };

/** One child: its spec and, while it runs, its pid. */
interface Child {
  readonly spec: ResolvedChildSpec;
  pid: Pid | null;
  /** Part of a restart that has not reached it yet (a start failed and a retry is queued). */
  restarting: boolean;
}

/**
 * Builds the error of a child that failed to start.
 *
 * @example
 * ```ts
 * const error = startChildFailed("db", new Error("ECONNREFUSED"));
 * error.cause; // the Error
 * ```
 */
export function startChildFailed(id: string, cause: unknown): RuntimeError {
  return new RuntimeError(
    RuntimeErrorCode.START_CHILD_FAILED,
    `${id === "" ? "the child" : `child ${JSON.stringify(id)}`} failed to start: ${formatExitReason(cause)}.`,
    { cause },
  );
}

/**
 * A supervisor process with a strategy and an ordered list of children.
 *
 * @remarks
 * Children are kept in start order (the order of `children`, then of `startChild`); a restart keeps a
 * child's place. A restart group is the crashed child (oneForOne); the crashed child and every other
 * running child (oneForAll); or the crashed child and the running children after it (restForOne).
 * The group's running members are stopped in reverse order, then all are started in order. Children
 * stopped on purpose (`terminateChild`, a transient child's clean exit, a start that returned `null`)
 * are not part of a group. If a start in a group fails, that counts as one more restart of the group
 * (retried after the requests already queued), so a child that cannot start ends the supervisor through
 * its restart intensity instead of looping.
 *
 * @example
 * ```ts
 * const server = new SupervisorServer(resolveBaseOptions({ runtime }, "Supervisor", BASE_OPTION_KEYS), "oneForOne", []);
 * const pid = await server.ready;
 * ```
 */
export class SupervisorServer extends SupervisorCore<SupervisorOp> {
  readonly #strategy: SupervisorStrategy;
  readonly #initial: readonly ResolvedChildSpec[];
  #children: Child[] = [];

  constructor(options: ResolvedBaseOptions, strategy: SupervisorStrategy, children: readonly ResolvedChildSpec[]) {
    super(options);
    this.#strategy = strategy;
    this.#initial = children;
  }

  protected override async init(): Promise<void> {
    for (const spec of this.#initial) {
      const result = await launchChild(this.runtime, this.pid, spec);
      if (!this.alive) return;
      if (!result.ok) throw startChildFailed(spec.id, result.error);
      this.#keep(spec, result.pid);
    }
  }

  protected override childExited(pid: Pid, reason: ExitReason): void | Promise<void> {
    const child = this.#children.find((c) => c.pid === pid);
    if (child === undefined) return;
    child.pid = null;
    if (isRestartDue(child.spec.restart, reason)) this.reportRestart(String(child.spec.id ?? "child"), pid, reason);
    if (!isRestartDue(child.spec.restart, reason)) {
      if (child.spec.restart === "temporary") this.#forget(child);
      return;
    }
    if (!this.restartAllowed()) return this.giveUp();
    return this.#restart(child);
  }

  protected override resumeRestarts(): void | Promise<void> {
    const child = this.#children.find((c) => c.restarting);
    if (child === undefined) return;
    if (!this.restartAllowed()) return this.giveUp();
    return this.#restart(child);
  }

  protected override answer(op: SupervisorOp): unknown {
    switch (op.kind) {
      case "startChild":
        return this.#startChild(op.spec);
      case "terminateChild":
        return this.#terminateChild(op.id);
      case "restartChild":
        return this.#restartChild(op.id);
      case "deleteChild": {
        const child = this.#find(op.id);
        if (child.pid !== null) throw this.#running(child, "delete");
        this.#forget(child);
        return undefined;
      }
      case "whichChildren":
        return this.#children.map(
          (c): ChildInfo => ({ id: c.spec.id, pid: c.pid, type: c.spec.type, restart: c.spec.restart }),
        );
      case "countChildren": {
        const counts: ChildCounts = { specs: this.#children.length, active: 0, supervisors: 0, workers: 0 };
        for (const c of this.#children) {
          if (c.pid !== null) counts.active++;
          if (c.spec.type === "supervisor") counts.supervisors++;
          else counts.workers++;
        }
        return counts;
      }
    }
  }

  protected override async shutdownChildren(): Promise<void> {
    for (let i = this.#children.length - 1; i >= 0; i--) {
      const child = this.#children[i] as Child;
      child.restarting = false;
      if (child.pid !== null) await this.#halt(child);
      if (!this.alive) return;
    }
  }

  async #startChild(spec: ResolvedChildSpec): Promise<Pid | null> {
    if (this.#children.some((c) => c.spec.id === spec.id)) {
      throw new RuntimeError(
        RuntimeErrorCode.DUPLICATE_CHILD,
        `supervisor ${this.pid.toString()} already has a child ${JSON.stringify(spec.id)}; pick another id, or deleteChild it first.`,
      );
    }
    const result = await launchChild(this.runtime, this.pid, spec);
    if (!result.ok) throw startChildFailed(spec.id, result.error);
    this.#keep(spec, result.pid);
    return result.pid;
  }

  async #terminateChild(id: string): Promise<void> {
    const child = this.#find(id);
    child.restarting = false;
    if (child.pid !== null) await this.#halt(child);
    if (child.spec.restart === "temporary") this.#forget(child);
  }

  async #restartChild(id: string): Promise<Pid | null> {
    const child = this.#find(id);
    if (child.pid !== null) throw this.#running(child, "restart");
    child.restarting = false;
    const result = await launchChild(this.runtime, this.pid, child.spec);
    if (!result.ok) throw startChildFailed(id, result.error);
    child.pid = result.pid;
    return result.pid;
  }

  /** Stops the group of `child` (reverse order), then starts it (start order). */
  async #restart(child: Child): Promise<void> {
    const group = this.#groupOf(child);
    for (const c of group) c.restarting = true;
    for (let i = group.length - 1; i >= 0; i--) {
      const c = group[i] as Child;
      if (c.pid === null) continue;
      await this.#halt(c);
      if (!this.alive) return;
      if (c.spec.restart === "temporary") this.#forget(c);
    }
    for (const c of group) {
      if (!c.restarting) continue;
      const result = await launchChild(this.runtime, this.pid, c.spec);
      if (!this.alive) return;
      if (!result.ok) {
        this.retryLater();
        return;
      }
      c.pid = result.pid;
      c.restarting = false;
    }
  }

  /** The children restarted with `child`, in start order. */
  #groupOf(child: Child): Child[] {
    if (this.#strategy === "oneForOne") return [child];
    const from = this.#strategy === "oneForAll" ? 0 : this.#children.indexOf(child);
    return this.#children.slice(from).filter((c) => c === child || c.pid !== null || c.restarting);
  }

  /** Stops a running child; its pid is forgotten first, so the EXIT its link still sends is ignored. */
  async #halt(child: Child): Promise<void> {
    const pid = child.pid;
    if (pid === null) return;
    child.pid = null;
    await shutdownChild(this.runtime, this.pid, pid, child.spec.shutdown);
  }

  #keep(spec: ResolvedChildSpec, pid: Pid | null): void {
    // Like a crash, a temporary child that started nothing leaves no trace.
    if (pid === null && spec.restart === "temporary") return;
    this.#children.push({ spec, pid, restarting: false });
  }

  #forget(child: Child): void {
    child.restarting = false;
    const index = this.#children.indexOf(child);
    if (index >= 0) this.#children.splice(index, 1);
  }

  #find(id: string): Child {
    const child = this.#children.find((c) => c.spec.id === id);
    if (child === undefined) {
      const ids = this.#children.map((c) => JSON.stringify(c.spec.id)).join(", ") || "none";
      throw new RuntimeError(
        RuntimeErrorCode.CHILD_NOT_FOUND,
        `supervisor ${this.pid.toString()} has no child ${JSON.stringify(id)} (its children: ${ids}).`,
      );
    }
    return child;
  }

  #running(child: Child, action: "restart" | "delete"): RuntimeError {
    return new RuntimeError(
      RuntimeErrorCode.CHILD_RUNNING,
      `cannot ${action} child ${JSON.stringify(child.spec.id)}: it is running as ${String(child.pid)}; terminateChild it first.`,
    );
  }
}
