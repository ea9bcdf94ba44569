/**
 * Child specs: how a supervisor starts one child, when it restarts it and how it stops it. Specs are
 * checked the moment they are given (at `Supervisor.start`, `startChild`, `childSpec`), so a typo fails at
 * the call that made it rather than at the first crash, minutes later.
 */
import { describeValue } from "../../errors/describe.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { isCleanExit } from "../process/exit-reason.js";
import type { ExitReason } from "../process/exit-reason.js";
import type { Pid } from "../process/pid.js";

/**
 * When a supervisor restarts a child that exited.
 *
 * @remarks
 * - `"permanent"`: always, whatever the reason (even `"normal"`).
 * - `"transient"`: only after an abnormal exit — not after `"normal"`, `"shutdown"` or
 *   `{ shutdown: detail }`; after a clean exit the child stays in the supervisor's list, stopped.
 * - `"temporary"`: never; the child is removed from the list as soon as it exits or is terminated.
 *
 * @example
 * ```ts
 * const restart: RestartType = "transient";
 * ```
 */
export type RestartType = "permanent" | "transient" | "temporary";

/**
 * How a supervisor stops a child.
 *
 * @remarks
 * - a number of ms > 0: send the exit signal `"shutdown"` (from the supervisor), wait up to that long on
 *   the runtime's clock for the child to end, then send `"kill"`;
 * - `"brutal_kill"`: send `"kill"` at once (the child cannot clean up);
 * - `"infinity"`: send `"shutdown"` and wait as long as it takes (right for supervisors, which need the
 *   time to stop their own children).
 *
 * @example
 * ```ts
 * const policies: ChildShutdown[] = [2_000, "brutal_kill", "infinity"];
 * ```
 */
export type ChildShutdown = number | "brutal_kill" | "infinity";

/**
 * Whether a child is a plain process or a supervisor (which only changes its default shutdown and how
 * it is counted).
 *
 * @example
 * ```ts
 * const type: ChildType = "supervisor";
 * ```
 */
export type ChildType = "worker" | "supervisor";

/**
 * How a supervisor starts, restarts and stops one child.
 *
 * @remarks
 * `start` receives the supervisor's pid and must start the child **linked** to it (e.g. pass
 * `{ link: parent }` to the Process constructor) and return its pid — or `null` to start nothing (the
 * spec is kept, stopped, unless the child is temporary). It may be async; the supervisor waits for it.
 * Throwing or rejecting makes the start fail. The supervisor also links to the returned pid itself, so a
 * child that forgot the link is still supervised.
 *
 * @example
 * ```ts
 * class Cache extends Process {
 *   protected override handleMessage(): void {}
 * }
 * const cacheSpec: ChildSpec = {
 *   id: "cache",
 *   start: (parent) => new Cache(runtime, { link: parent }).pid,
 *   restart: "permanent",
 *   shutdown: 1_000,
 * };
 * ```
 */
export interface ChildSpec {
  /** Names the child; unique within its supervisor. */
  id: string;
  /** Starts the child linked to `parent` and returns its pid, or `null` to start nothing. */
  start: (parent: Pid) => Pid | null | Promise<Pid | null>;
  /**
   * When to restart the child after it exits; see {@link RestartType}.
   * @defaultValue `"permanent"`
   */
  restart?: RestartType;
  /**
   * How to stop the child; see {@link ChildShutdown}.
   * @defaultValue `5000` for a worker, `"infinity"` for a supervisor
   */
  shutdown?: ChildShutdown;
  /**
   * Whether the child is a worker or a supervisor.
   * @defaultValue `"worker"`
   */
  type?: ChildType;
}

/** A checked {@link ChildSpec} with every default filled in. */
export interface ResolvedChildSpec {
  readonly id: string;
  readonly start: (parent: Pid) => Pid | null | Promise<Pid | null>;
  readonly restart: RestartType;
  readonly shutdown: ChildShutdown;
  readonly type: ChildType;
}

/** Default time a worker gets to stop after `"shutdown"`, in ms. */
export const DEFAULT_WORKER_SHUTDOWN_MS = 5_000;

const SPEC_KEYS: ReadonlySet<string> = new Set(["id", "start", "restart", "shutdown", "type"]);
const RESTART_TYPES: readonly RestartType[] = ["permanent", "transient", "temporary"];
const CHILD_TYPES: readonly ChildType[] = ["worker", "supervisor"];
const SPEC_SHAPE = "{ id, start, restart?, shutdown?, type? }";

/** How supervisor errors show a value they received: the shared {@link describeValue}. */
export { describeValue as describeReceived };

function bad(label: string, message: string): RuntimeError {
  return new RuntimeError(RuntimeErrorCode.BAD_CHILD_SPEC, `${label}: ${message}`);
}

/**
 * Checks a child spec and fills in its defaults.
 *
 * @remarks
 * Unknown keys are rejected too: a misspelt `restarts:` would otherwise be silently ignored.
 *
 * @param label - names the spec in error messages, e.g. `children[2]`.
 * @param requireId - false for DynamicSupervisor, which ignores `id` (any given id must still be a string).
 * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_CHILD_SPEC`, naming the field, the valid values and what was received.
 */
export function resolveChildSpec(spec: unknown, label: string, requireId = true): ResolvedChildSpec {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw bad(label, `a child spec must be an object ${SPEC_SHAPE}, received ${describeValue(spec)}.`);
  }
  const fields = spec as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!SPEC_KEYS.has(key)) {
      throw bad(label, `unknown key ${JSON.stringify(key)}; a child spec has only ${SPEC_SHAPE}.`);
    }
  }
  const { id = requireId ? undefined : "", start, restart = "permanent", type = "worker" } = fields;
  if (typeof id !== "string" || (requireId && id === "")) {
    throw bad(label, `id must be a non-empty string that names the child, received ${describeValue(id)}.`);
  }
  const named = id === "" ? label : `${label} (${JSON.stringify(id)})`;
  if (typeof start !== "function") {
    throw bad(
      named,
      `start must be a function (parent: Pid) => Pid | null | Promise<Pid | null> that starts the child linked to parent, received ${describeValue(start)}.`,
    );
  }
  if (!RESTART_TYPES.includes(restart as RestartType)) {
    throw bad(named, `restart must be "permanent", "transient" or "temporary", received ${describeValue(restart)}.`);
  }
  if (!CHILD_TYPES.includes(type as ChildType)) {
    throw bad(named, `type must be "worker" or "supervisor", received ${describeValue(type)}.`);
  }
  const shutdown = fields["shutdown"] ?? (type === "supervisor" ? "infinity" : DEFAULT_WORKER_SHUTDOWN_MS);
  if (shutdown !== "brutal_kill" && shutdown !== "infinity") {
    if (typeof shutdown !== "number" || !Number.isFinite(shutdown) || shutdown <= 0) {
      const hint = shutdown === 0 ? ' (to kill at once, use "brutal_kill")' : "";
      throw bad(
        named,
        `shutdown must be a finite number of ms > 0, "brutal_kill" or "infinity", received ${describeValue(shutdown)}${hint}.`,
      );
    }
  }
  return {
    id,
    start: start as ResolvedChildSpec["start"],
    restart: restart as RestartType,
    shutdown: shutdown as ChildShutdown,
    type: type as ChildType,
  };
}

/**
 * Whether a child with restart type `restart` is restarted after exiting with `reason`.
 *
 * @example
 * ```ts
 * isRestartDue("transient", "normal"); // false
 * isRestartDue("transient", new Error("boom")); // true
 * ```
 */
export function isRestartDue(restart: RestartType, reason: ExitReason): boolean {
  if (restart === "permanent") return true;
  if (restart === "temporary") return false;
  return !isCleanExit(reason);
}
