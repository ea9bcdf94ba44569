/**
 * The options of `GenServer.start`, each with its default, and their check: a misspelt or mistyped
 * option fails at the start call that made it, naming the option, what it must be and what was given.
 */
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import type { NameRegistrar, ViaName } from "../registry/name.js";
import { Pid } from "../process/pid.js";
import { Runtime, defaultRuntime, runtimeOf } from "../process/runtime.js";
import { assertTimeout } from "../process/timeout.js";

/** The default time `init` may take before the start gives up, in ms. */
export const DEFAULT_INIT_TIMEOUT_MS = 5_000;

/**
 * Options of `GenServer.start`.
 *
 * @example
 * ```ts
 * declare const parent: Pid;
 * const names = new Registry<string>({ keys: "unique", runtime });
 * const options: GenServerOptions = { runtime, name: names.via("cache"), link: parent, timeoutMs: 1_000 };
 * ```
 */
export interface GenServerOptions {
  /**
   * The Runtime the server lives in; its clock drives the init timeout, idle timeouts and `sendAfter`.
   * @defaultValue the runtime of `link` when given (a supervisor's child lives where its supervisor
   * does), else `defaultRuntime`
   */
  runtime?: Runtime;
  /**
   * A name to register the server under, e.g. `registry.via("cache")`. It is registered before `init`
   * runs, so of two concurrent starts under one name exactly one wins and the other rejects with
   * `FENIX_ERR_RUNTIME_ALREADY_STARTED`. The registrar must forget the name when the process ends (the
   * Registry does).
   * @defaultValue no name
   */
  name?: ViaName<NameRegistrar>;
  /**
   * The parent: the server is linked to it from its first moment (so a crash in `init` already reaches
   * it), and when the server traps exits, an exit signal from the parent makes it run `terminate` and
   * exit with the same reason. `GenServer.startLink` sets it.
   * @defaultValue no parent, no link
   */
  link?: Pid;
  /**
   * Start trapping exits (the server can also set `this.trapExits` in `init`).
   * @defaultValue `false`
   */
  trapExits?: boolean;
  /**
   * How long `init` may take, in ms of the runtime's clock; `Infinity` waits forever. On timeout the
   * server is unlinked from its parent, killed, and the start rejects with `FENIX_ERR_RUNTIME_INIT_TIMEOUT`.
   * @defaultValue `5000`
   */
  timeoutMs?: number;
}

/** {@link GenServerOptions} checked, with every default filled in. */
export interface ResolvedGenServerOptions {
  readonly runtime: Runtime;
  readonly name: ViaName<NameRegistrar> | undefined;
  readonly link: Pid | undefined;
  readonly trapExits: boolean;
  readonly timeoutMs: number;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(["runtime", "name", "link", "trapExits", "timeoutMs"]);
const SHAPE = "{ runtime?, name?, link?, trapExits?, timeoutMs? }";

function bad(message: string): RuntimeError {
  return new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `GenServer start options: ${message}`);
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "Object" ? `a ${name}` : "an object";
  }
  return typeof value === "string" ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}

function isRegistrar(value: unknown): value is NameRegistrar {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { register?: unknown }).register === "function" &&
    typeof (value as { whereis?: unknown }).whereis === "function"
  );
}

/**
 * Checks start options and fills in their defaults.
 *
 * @remarks Unknown keys are rejected: a misspelt `timeout:` would otherwise be silently ignored.
 * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT`, naming the option, its valid values and what was received.
 *
 * @example
 * ```ts
 * resolveGenServerOptions({ runtime }).timeoutMs; // 5000
 * ```
 */
export function resolveGenServerOptions(options: unknown): ResolvedGenServerOptions {
  if (options === undefined) options = {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw bad(`expected an object ${SHAPE}, received ${kind(options)}.`);
  }
  const fields = options as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!OPTION_KEYS.has(key)) throw bad(`unknown option ${JSON.stringify(key)}; the options are ${SHAPE}.`);
  }
  const { name, link, trapExits = false, timeoutMs = DEFAULT_INIT_TIMEOUT_MS } = fields;
  const runtime = fields.runtime ?? (link instanceof Pid ? runtimeOf(link) : undefined) ?? defaultRuntime;
  if (!(runtime instanceof Runtime)) throw bad(`runtime must be a Runtime, received ${kind(runtime)}.`);
  if (name !== undefined) {
    const via = typeof name === "object" && name !== null ? (name as { via?: unknown }).via : undefined;
    if (!isRegistrar(via) || !("key" in (name as object))) {
      throw bad(`name must be { via, key } whose via has register(key, pid) and whereis(key), such as registry.via(key); received ${kind(name)}.`);
    }
  }
  if (link !== undefined && !(link instanceof Pid)) throw bad(`link must be a Pid, received ${kind(link)}.`);
  if (typeof trapExits !== "boolean") throw bad(`trapExits must be a boolean, received ${kind(trapExits)}.`);
  assertTimeout(timeoutMs, "GenServer start options: timeoutMs");
  return { runtime, name: name as ViaName<NameRegistrar> | undefined, link, trapExits, timeoutMs };
}
