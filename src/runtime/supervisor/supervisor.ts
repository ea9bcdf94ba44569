/**
 * Supervisor: a process that starts a fixed, ordered set of children, restarts them by strategy when they
 * exit, gives up when they crash too often, and stops them in reverse order. This file is the façade
 * (options, child specs, requests); the process is `SupervisorServer`.
 */
import type { ChildShutdown, ChildSpec, ChildType, ResolvedChildSpec, RestartType } from "./child-spec.js";
import { describeReceived, resolveChildSpec } from "./child-spec.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import type { ExitReason } from "../process/exit-reason.js";
import type { Destination } from "../registry/name.js";
import type { Pid } from "../process/pid.js";
import { callSupervisor, enrollSupervisor } from "./supervisor-call.js";
import { BASE_OPTION_KEYS, resolveBaseOptions } from "./supervisor-core.js";
import type { ResolvedBaseOptions, SupervisorBaseOptions } from "./supervisor-core.js";
import { SupervisorServer } from "./supervisor-server.js";
import type { SupervisorOp } from "./supervisor-server.js";

/**
 * Which children a supervisor restarts when one exits and must be restarted.
 *
 * @remarks
 * - `"oneForOne"`: only that child. For independent children.
 * - `"oneForAll"`: every running child — the others are stopped in reverse start order, then all are
 *   started in start order. For children that cannot work without each other.
 * - `"restForOne"`: that child and the running children started after it (stopped in reverse order,
 *   then started in order). For a chain where later children depend on earlier ones.
 *
 * @example
 * ```ts
 * const strategy: SupervisorStrategy = "restForOne";
 * ```
 */
export type SupervisorStrategy = "oneForOne" | "oneForAll" | "restForOne";

/**
 * Options of {@link Supervisor.start}.
 *
 * @example
 * ```ts
 * declare const dbSpec: ChildSpec;
 * declare const cacheSpec: ChildSpec;
 * const options: SupervisorOptions = { runtime, strategy: "restForOne", children: [dbSpec, cacheSpec] };
 * ```
 */
export interface SupervisorOptions extends SupervisorBaseOptions {
  /**
   * The children, started in this order (and stopped in the reverse order). Ids must be unique.
   * @defaultValue `[]`
   */
  children?: readonly ChildSpec[];
  /**
   * See {@link SupervisorStrategy}.
   * @defaultValue `"oneForOne"`
   */
  strategy?: SupervisorStrategy;
}

/**
 * One child as {@link Supervisor.whichChildren} lists it.
 *
 * @example
 * ```ts
 * const info: ChildInfo = { id: "db", pid: null, type: "worker", restart: "transient" };
 * ```
 */
export interface ChildInfo {
  readonly id: string;
  /** The running process, or `null` while the child is stopped (or being restarted). */
  readonly pid: Pid | null;
  readonly type: ChildType;
  readonly restart: RestartType;
}

/**
 * What {@link Supervisor.countChildren} and `DynamicSupervisor.countChildren` answer.
 *
 * @example
 * ```ts
 * const counts: ChildCounts = { specs: 3, active: 2, supervisors: 1, workers: 2 };
 * ```
 */
export interface ChildCounts {
  /** Children known, running or not. */
  specs: number;
  /** Children running. */
  active: number;
  /** Children of type `"supervisor"`, running or not. */
  supervisors: number;
  /** Children of type `"worker"`, running or not. */
  workers: number;
}

/** Overrides accepted by {@link Supervisor.childSpec}. */
export type SupervisorChildOverrides = { restart?: RestartType; shutdown?: ChildShutdown };

const STRATEGIES: readonly SupervisorStrategy[] = ["oneForOne", "oneForAll", "restForOne"];
const OPTION_KEYS: readonly string[] = [...BASE_OPTION_KEYS, "children", "strategy"];
const SNAKE_STRATEGIES: Readonly<Record<string, SupervisorStrategy>> = {
  one_for_one: "oneForOne",
  one_for_all: "oneForAll",
  rest_for_one: "restForOne",
};

interface ResolvedOptions {
  readonly base: ResolvedBaseOptions;
  readonly strategy: SupervisorStrategy;
  readonly children: readonly ResolvedChildSpec[];
}

function resolveOptions(options: unknown): ResolvedOptions {
  const base = resolveBaseOptions(options, "Supervisor", OPTION_KEYS);
  const { strategy = "oneForOne", children = [] } = options as Record<string, unknown>;
  if (!STRATEGIES.includes(strategy as SupervisorStrategy)) {
    const camel = typeof strategy === "string" ? SNAKE_STRATEGIES[strategy] : undefined;
    const hint = camel === undefined ? "" : ` (Fenix spells it ${JSON.stringify(camel)})`;
    throw new RuntimeError(
      RuntimeErrorCode.BAD_ARGUMENT,
      `strategy must be "oneForOne", "oneForAll" or "restForOne", received ${describeReceived(strategy)}${hint}.`,
    );
  }
  if (!Array.isArray(children)) {
    throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `children must be an array of child specs, received ${describeReceived(children)}.`);
  }
  const resolved: ResolvedChildSpec[] = [];
  const seen = new Map<string, number>();
  children.forEach((spec: unknown, index) => {
    const child = resolveChildSpec(spec, `children[${index}]`);
    const first = seen.get(child.id);
    if (first !== undefined) {
      throw new RuntimeError(
        RuntimeErrorCode.DUPLICATE_CHILD,
        `children[${index}] has the id ${JSON.stringify(child.id)} of children[${first}]; ids must be unique within a supervisor.`,
      );
    }
    seen.set(child.id, index);
    resolved.push(child);
  });
  return { base, strategy: strategy as SupervisorStrategy, children: resolved };
}

function request<T>(supervisor: Destination, op: SupervisorOp | { kind: "stop"; reason: ExitReason }): Promise<T> {
  return callSupervisor<T>("Supervisor", supervisor, op);
}

function checkId(id: unknown): string {
  if (typeof id !== "string" || id === "") {
    throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `a child id must be a non-empty string, received ${describeReceived(id)}.`);
  }
  return id;
}

/**
 * Starts and manages supervisors: trees of processes that restart their children when they fail.
 *
 * @remarks
 * **Start.** {@link Supervisor.start} checks every option and child spec first (a bad one rejects before
 * any process exists), then starts the supervisor — a process that traps exits — and its children in
 * order, each linked to it. If a child fails to start, those already started are stopped in reverse order
 * and `start` rejects with `FENIX_ERR_RUNTIME_START_CHILD_FAILED` (its `cause` is the child's error); the
 * supervisor then ends with `{ shutdown: error }` without signalling its parent, which learns of the
 * failure from the rejection.
 *
 * **Restarts.** When a child exits and its restart type asks for it (see `RestartType`), the supervisor
 * restarts it per its {@link SupervisorStrategy}. Each restart counts towards the restart intensity: the
 * `maxRestarts + 1`-th restart within `maxSeconds` (runtime clock) makes the supervisor stop all its
 * children in reverse order and exit with `"shutdown"`, as OTP does — a clean reason, so `onCrash` stays
 * quiet (the children's crashes were reported where they happened). A parent supervisor restarts it
 * if it is permanent; a transient one stays stopped, as after any clean exit.
 *
 * **Stop.** On {@link Supervisor.stop}, on its parent's exit signal, or on `runtime.exit(sup, reason)`,
 * the supervisor stops its children in reverse start order, one at a time, each by its `shutdown` policy
 * (`"shutdown"` signal from the supervisor, wait on the runtime clock, then `"kill"`), then exits with
 * the given reason. Exits of children it is stopping never cause restarts.
 *
 * **Requests.** The other functions are requests to the supervisor process, handled one at a time and
 * in order: one sent during a restart or a shutdown is answered after it. They wait without a timeout
 * and reject with `FENIX_ERR_RUNTIME_CALLEE_EXITED` if the supervisor ends first. `supervisor` may be a
 * pid or a `{ via, key }` name.
 *
 * @example
 * ```ts
 * class Worker extends Process {
 *   protected override handleMessage(message: unknown): void {
 *     if (message === "crash") throw new Error("boom");
 *   }
 * }
 * const runtime = new Runtime();
 * const worker = (id: string): ChildSpec => ({ id, start: (parent) => new Worker(runtime, { link: parent }).pid });
 * const sup = await Supervisor.start({ runtime, strategy: "oneForOne", children: [worker("a"), worker("b")] });
 * const [a] = await Supervisor.whichChildren(sup);
 * runtime.send(a!.pid!, "crash"); // "a" is restarted with a new pid; "b" is untouched
 * await Supervisor.stop(sup);
 * ```
 */
export class Supervisor {
  private constructor() {}

  /**
   * Starts a supervisor and its children; resolves with its pid once every child has started.
   *
   * @throws RuntimeError (as a rejection) `FENIX_ERR_RUNTIME_BAD_ARGUMENT` for a bad option,
   *   `FENIX_ERR_RUNTIME_BAD_CHILD_SPEC` / `FENIX_ERR_RUNTIME_DUPLICATE_CHILD` for a bad child list,
   *   `FENIX_ERR_RUNTIME_START_CHILD_FAILED` when a child fails to start, or the registry's error when
   *   `name` is taken.
   */
  static async start(options: SupervisorOptions): Promise<Pid> {
    const { base, strategy, children } = resolveOptions(options);
    const server = new SupervisorServer(base, strategy, children);
    enrollSupervisor(server.pid, base.runtime, "Supervisor");
    return server.ready;
  }

  /** {@link Supervisor.start} linked to `parent` (`options.link` is replaced by `parent`). */
  static startLink(parent: Pid, options: Omit<SupervisorOptions, "link">): Promise<Pid> {
    return Supervisor.start({ ...options, link: parent });
  }

  /**
   * A child spec that starts a supervisor with `options` under another supervisor.
   *
   * @remarks
   * Options are checked now (this throws at once); `link` must not be given — the parent links it. The
   * spec has type `"supervisor"`, shutdown `"infinity"` (so it has all the time it needs to stop its own
   * children) and restart `"permanent"`, unless `overrides` says otherwise.
   *
   * @example
   * ```ts
   * declare const workers: ChildSpec[];
   * const root = await Supervisor.start({
   *   runtime,
   *   children: [Supervisor.childSpec("workers", { runtime, strategy: "oneForAll", children: workers })],
   * });
   * ```
   */
  static childSpec(id: string, options: Omit<SupervisorOptions, "link">, overrides: SupervisorChildOverrides = {}): ChildSpec {
    resolveOptions(options);
    if ((options as SupervisorOptions).link !== undefined) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `Supervisor.childSpec(${JSON.stringify(id)}): leave out link; the parent supervisor links the child.`);
    }
    const spec: ChildSpec = { id, start: (parent) => Supervisor.startLink(parent, options), type: "supervisor", ...overrides };
    resolveChildSpec(spec, `Supervisor.childSpec(${JSON.stringify(id)})`);
    return spec;
  }

  /**
   * Adds a child at the end of the start order and starts it.
   *
   * @returns its pid, or `null` if its `start` returned `null` (the spec is kept, stopped, unless temporary).
   * @throws RuntimeError (as a rejection) `FENIX_ERR_RUNTIME_BAD_CHILD_SPEC`, `FENIX_ERR_RUNTIME_DUPLICATE_CHILD`
   *   when the id is taken (running or not), `FENIX_ERR_RUNTIME_START_CHILD_FAILED` (nothing is added).
   */
  static async startChild(supervisor: Destination, spec: ChildSpec): Promise<Pid | null> {
    const resolved = resolveChildSpec(spec, "startChild spec");
    return request<Pid | null>(supervisor, { kind: "startChild", spec: resolved });
  }

  /**
   * Stops a child by its shutdown policy; it stays in the list, stopped (a temporary child is removed),
   * until {@link Supervisor.restartChild} or {@link Supervisor.deleteChild}. Resolves once it has ended.
   *
   * @throws RuntimeError (as a rejection) `FENIX_ERR_RUNTIME_CHILD_NOT_FOUND`.
   */
  static async terminateChild(supervisor: Destination, id: string): Promise<void> {
    return request<void>(supervisor, { kind: "terminateChild", id: checkId(id) });
  }

  /**
   * Starts a stopped child again, in its place. Does not count towards the restart intensity.
   *
   * @throws RuntimeError (as a rejection) `FENIX_ERR_RUNTIME_CHILD_NOT_FOUND`,
   *   `FENIX_ERR_RUNTIME_CHILD_RUNNING`, `FENIX_ERR_RUNTIME_START_CHILD_FAILED` (the child stays stopped).
   */
  static async restartChild(supervisor: Destination, id: string): Promise<Pid | null> {
    return request<Pid | null>(supervisor, { kind: "restartChild", id: checkId(id) });
  }

  /**
   * Removes a stopped child's spec.
   *
   * @throws RuntimeError (as a rejection) `FENIX_ERR_RUNTIME_CHILD_NOT_FOUND`, `FENIX_ERR_RUNTIME_CHILD_RUNNING`.
   */
  static async deleteChild(supervisor: Destination, id: string): Promise<void> {
    return request<void>(supervisor, { kind: "deleteChild", id: checkId(id) });
  }

  /** Every child, in start order, running or not. */
  static whichChildren(supervisor: Destination): Promise<ChildInfo[]> {
    return request<ChildInfo[]>(supervisor, { kind: "whichChildren" });
  }

  /** How many children there are, running, supervisors and workers. */
  static countChildren(supervisor: Destination): Promise<ChildCounts> {
    return request<ChildCounts>(supervisor, { kind: "countChildren" });
  }

  /**
   * Stops the children in reverse start order (each by its shutdown policy), then the supervisor with
   * `reason`; resolves when it has ended.
   *
   * @param reason - the supervisor's exit reason; a reason that is not clean is reported to `onCrash`.
   */
  static stop(supervisor: Destination, reason: ExitReason = "shutdown"): Promise<void> {
    return request<void>(supervisor, { kind: "stop", reason });
  }
}
