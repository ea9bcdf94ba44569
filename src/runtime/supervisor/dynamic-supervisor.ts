/**
 * DynamicSupervisor: a supervisor with no children at start that starts many children of one kind on
 * demand (one per connection, per room, per job), restarts each one for one, and stops them all together.
 * This file is the façade; the process is `DynamicSupervisorServer`.
 */
import type { ChildShutdown, ChildSpec, ChildType, ResolvedChildSpec, RestartType } from "./child-spec.js";
import { describeReceived, resolveChildSpec } from "./child-spec.js";
import { DynamicSupervisorServer } from "./dynamic-supervisor-server.js";
export { temporaryChildSpec } from "./dynamic-supervisor-server.js";
import type { DynamicSupervisorOp } from "./dynamic-supervisor-server.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import type { ExitReason } from "../process/exit-reason.js";
import { describeDestination, isDestination, resolveDestination } from "../registry/name.js";
import type { Destination } from "../registry/name.js";
import { Pid } from "../process/pid.js";
import { callSupervisor, enrollSupervisor } from "./supervisor-call.js";
import { BASE_OPTION_KEYS, resolveBaseOptions } from "./supervisor-core.js";
import type { ResolvedBaseOptions, SupervisorBaseOptions } from "./supervisor-core.js";
import type { ChildCounts } from "./supervisor.js";

/**
 * Options of {@link DynamicSupervisor.start}.
 *
 * @example
 * ```ts
 * const options: DynamicSupervisorOptions = { runtime, maxChildren: 10_000, maxRestarts: 10, maxSeconds: 1 };
 * ```
 */
export interface DynamicSupervisorOptions extends SupervisorBaseOptions {
  /**
   * Most children at once (running, or waiting for a restart); `startChild` beyond it rejects with
   * `FENIX_ERR_RUNTIME_MAX_CHILDREN`. An integer ≥ 0, or `Infinity`.
   * @defaultValue `Infinity`
   */
  maxChildren?: number;
}

/**
 * A child spec for {@link DynamicSupervisor.startChild}: a {@link ChildSpec} whose `id` is optional and
 * ignored (children are told apart by pid).
 *
 * @example
 * ```ts
 * class Session extends Process {
 *   protected override handleMessage(): void {}
 * }
 * const session: DynamicChildSpec = { start: (parent) => new Session(runtime, { link: parent }).pid, restart: "temporary" };
 * ```
 */
export type DynamicChildSpec = Omit<ChildSpec, "id"> & { id?: string };

/**
 * One child as {@link DynamicSupervisor.whichChildren} lists it.
 *
 * @example
 * ```ts
 * declare const pid: Pid;
 * const info: DynamicChildInfo = { pid, type: "worker", restart: "transient" };
 * ```
 */
export interface DynamicChildInfo {
  /** The running process, or `null` while a failed restart waits for its retry. */
  readonly pid: Pid | null;
  readonly type: ChildType;
  readonly restart: RestartType;
}

const OPTION_KEYS: readonly string[] = [...BASE_OPTION_KEYS, "maxChildren"];

function resolveOptions(options: unknown): { base: ResolvedBaseOptions; maxChildren: number } {
  const base = resolveBaseOptions(options, "DynamicSupervisor", OPTION_KEYS);
  const { maxChildren = Infinity } = options as Record<string, unknown>;
  if (typeof maxChildren !== "number" || !(maxChildren === Infinity || (Number.isSafeInteger(maxChildren) && maxChildren >= 0))) {
    throw new RuntimeError(
      RuntimeErrorCode.BAD_ARGUMENT,
      `maxChildren must be an integer >= 0 or Infinity, received ${describeReceived(maxChildren)}.`,
    );
  }
  return { base, maxChildren };
}

/** The process of every dynamic supervisor started here, for {@link DynamicSupervisor.startChildNow}; weak, so ended ones are collected. */
const servers = new WeakMap<Pid, DynamicSupervisorServer>();

function request<T>(supervisor: Destination, op: DynamicSupervisorOp | { kind: "stop"; reason: ExitReason }): Promise<T> {
  return callSupervisor<T>("DynamicSupervisor", supervisor, op);
}

/**
 * Starts and manages dynamic supervisors: many children of one kind, started on demand.
 *
 * @remarks
 * **Children.** {@link DynamicSupervisor.startChild} starts one child from a spec (its `id` is ignored)
 * and links it; children are told apart by pid. The strategy is always one for one: a child that exits is
 * restarted alone, by its restart type, and takes a new place at the end of the start order; a temporary
 * child, or one that exits cleanly when transient, is simply removed. Restarts count towards the same
 * restart intensity as {@link Supervisor}: one too many within `maxSeconds` stops every child and the
 * supervisor exits with `"shutdown"`.
 *
 * **Stop.** On {@link DynamicSupervisor.stop}, its parent's exit signal or `runtime.exit(sup, reason)`,
 * every child gets its `"shutdown"` signal at once (newest first), each with its own `shutdown` timer
 * started at that moment, and the supervisor exits when the last one has ended. Unlike
 * {@link Supervisor}, which stops children one by one because later children may depend on earlier ones,
 * dynamic children are independent by construction, and stopping 10,000 connections one by one could
 * take 10,000 × their timeout. This is also what OTP's DynamicSupervisor does.
 *
 * **Requests** behave as for {@link Supervisor}: one at a time, in order, without a timeout.
 *
 * @example
 * ```ts
 * class Session extends Process {
 *   protected override handleMessage(): void {}
 * }
 * const runtime = new Runtime();
 * const sessions = await DynamicSupervisor.start({ runtime, maxChildren: 1_000 });
 * const session = await DynamicSupervisor.startChild(sessions, {
 *   start: (parent) => new Session(runtime, { link: parent }).pid,
 *   restart: "temporary",
 * });
 * if (session !== null) await DynamicSupervisor.terminateChild(sessions, session);
 * await DynamicSupervisor.stop(sessions);
 * ```
 */
export class DynamicSupervisor {
  private constructor() {}

  /**
   * Starts a dynamic supervisor (with no children); resolves with its pid.
   *
   * @throws RuntimeError (as a rejection) `FENIX_ERR_RUNTIME_BAD_ARGUMENT` for a bad option, or the
   *   registry's error when `name` is taken.
   */
  static async start(options: DynamicSupervisorOptions): Promise<Pid> {
    const { base, maxChildren } = resolveOptions(options);
    const server = new DynamicSupervisorServer(base, maxChildren);
    enrollSupervisor(server.pid, base.runtime, "DynamicSupervisor");
    servers.set(server.pid, server);
    return server.ready;
  }

  /** {@link DynamicSupervisor.start} linked to `parent` (`options.link` is replaced by `parent`). */
  static startLink(parent: Pid, options: Omit<DynamicSupervisorOptions, "link">): Promise<Pid> {
    return DynamicSupervisor.start({ ...options, link: parent });
  }

  /**
   * A child spec that starts a dynamic supervisor with `options` under a {@link Supervisor}.
   *
   * @remarks Options are checked now (this throws at once); `link` must not be given. Type
   * `"supervisor"`, shutdown `"infinity"`, restart `"permanent"` unless `overrides` says otherwise.
   *
   * @example
   * ```ts
   * const root = await Supervisor.start({ runtime, children: [DynamicSupervisor.childSpec("sessions", { runtime })] });
   * ```
   */
  static childSpec(
    id: string,
    options: Omit<DynamicSupervisorOptions, "link">,
    overrides: { restart?: RestartType; shutdown?: ChildShutdown } = {},
  ): ChildSpec {
    resolveOptions(options);
    if ((options as DynamicSupervisorOptions).link !== undefined) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `DynamicSupervisor.childSpec(${JSON.stringify(id)}): leave out link; the parent supervisor links the child.`,
      );
    }
    const spec: ChildSpec = { id, start: (parent) => DynamicSupervisor.startLink(parent, options), type: "supervisor", ...overrides };
    resolveChildSpec(spec, `DynamicSupervisor.childSpec(${JSON.stringify(id)})`);
    return spec;
  }

  /**
   * Starts one more child.
   *
   * @returns its pid, or `null` if its `start` returned `null` (nothing is kept).
   * @throws RuntimeError (as a rejection) `FENIX_ERR_RUNTIME_BAD_CHILD_SPEC`, `FENIX_ERR_RUNTIME_MAX_CHILDREN`,
   *   `FENIX_ERR_RUNTIME_START_CHILD_FAILED`.
   */
  static async startChild(supervisor: Destination, spec: DynamicChildSpec): Promise<Pid | null> {
    const resolved = resolveChildSpec(spec, "startChild spec", false);
    return request<Pid | null>(supervisor, { kind: "startChild", spec: resolved });
  }

  /**
   * Starts one more child at once, in the caller's turn: no request to the supervisor's process, no promise.
   *
   * @remarks
   * For children started in great numbers on a hot path (a connection, a session): `start` must return
   * the pid itself (or `null`), not a promise. The child is linked and counted before this returns and is
   * supervised as if {@link DynamicSupervisor.startChild} had started it. It starts ahead of the requests
   * already queued at the supervisor (they are answered in their order, after it); a supervisor that is
   * stopping starts nothing. A `start` that returns a promise is refused, and the child it may still
   * start is killed when the promise resolves: use `startChild` for an async start.
   *
   * @returns its pid, or `null` if its `start` returned `null` (nothing is kept).
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_CHILD_SPEC`, `FENIX_ERR_RUNTIME_MAX_CHILDREN`,
   *   `FENIX_ERR_RUNTIME_START_CHILD_FAILED` (a throwing start, or one that returned a promise or no pid),
   *   `FENIX_ERR_RUNTIME_NOPROC` when no dynamic supervisor runs at `supervisor` or it is stopping,
   *   `FENIX_ERR_RUNTIME_BAD_ARGUMENT` when `supervisor` is not a dynamic supervisor.
   *
   * @example
   * ```ts
   * class Session extends Process {
   *   protected override handleMessage(): void {}
   * }
   * const sessions = await DynamicSupervisor.start({ runtime });
   * const pid = DynamicSupervisor.startChildNow(sessions, { start: (parent) => new Session(runtime, { link: parent }).pid, restart: "temporary" });
   * ```
   */
  static startChildNow(supervisor: Destination, spec: DynamicChildSpec): Pid | null {
    const resolved = resolveChildSpec(spec, "startChildNow spec", false);
    if (!isDestination(supervisor)) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `the supervisor must be given as a Pid or a { via, key } name, received ${describeReceived(supervisor)}.`,
      );
    }
    const pid = resolveDestination(supervisor);
    if (pid === undefined) throw new RuntimeError(RuntimeErrorCode.NOPROC, `${describeDestination(supervisor)} is not registered.`);
    const server = servers.get(pid);
    if (server === undefined) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `${describeDestination(supervisor)} is not a dynamic supervisor; pass a pid returned by DynamicSupervisor.start or DynamicSupervisor.startLink.`,
      );
    }
    return server.startChildNow(resolved);
  }

  /**
   * Stops the child `pid` by its shutdown policy and forgets it; resolves once it has ended.
   *
   * @throws RuntimeError (as a rejection) `FENIX_ERR_RUNTIME_CHILD_NOT_FOUND` when `pid` is not a current child.
   */
  static async terminateChild(supervisor: Destination, pid: Pid): Promise<void> {
    if (!(pid instanceof Pid)) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `terminateChild needs the child's Pid, received ${describeReceived(pid)}.`);
    }
    return request<void>(supervisor, { kind: "terminateChild", pid });
  }

  /** Every child, in start order. */
  static whichChildren(supervisor: Destination): Promise<DynamicChildInfo[]> {
    return request<DynamicChildInfo[]>(supervisor, { kind: "whichChildren" });
  }

  /** How many children there are, running, supervisors and workers. */
  static countChildren(supervisor: Destination): Promise<ChildCounts> {
    return request<ChildCounts>(supervisor, { kind: "countChildren" });
  }

  /**
   * Stops every child (concurrently, see the class remarks), then the supervisor with `reason`; resolves
   * when it has ended.
   */
  static stop(supervisor: Destination, reason: ExitReason = "shutdown"): Promise<void> {
    return request<void>(supervisor, { kind: "stop", reason });
  }
}

/**
 * @internal `DynamicSupervisor.startChildNow` for a caller that starts many temporary children the same
 * way (a socket mount's connections): `spec` comes from `temporaryChildSpec` and is checked once, not per
 * child, and `start` starts each one.
 *
 * @throws RuntimeError as `startChildNow` does.
 */
export function startTemporaryChildNow(supervisor: Pid, spec: ResolvedChildSpec, start: (parent: Pid) => Pid | null): Pid | null {
  const server = servers.get(supervisor);
  if (server === undefined) {
    throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `${supervisor.toString()} is not a dynamic supervisor.`);
  }
  return server.startChildNow(spec, start);
}
