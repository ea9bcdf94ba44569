/**
 * Names for processes: a destination is a pid, or `{ via, key }` where `via` is a name resolver (a
 * Registry) that maps the key to a live pid. Calls, casts and sends accept either.
 */
import { Pid } from "../process/pid.js";

/** Finds the process registered under a key. Registries implement it. */
export interface NameResolver {
  /** The live process registered under `key`, if any. */
  whereis(key: unknown): Pid | undefined;
}

/** Registers a process under a key when it starts. Registries implement it. */
export interface NameRegistrar extends NameResolver {
  /**
   * Registers `pid` under `key`.
   * @throws RuntimeError `FENIX_ERR_RUNTIME_ALREADY_REGISTERED` (with the holder) if the key is taken.
   */
  register(key: unknown, pid: Pid): void;
}

/** A name resolved through a registry, as in `call({ via: rooms, key: "lobby" }, …)`. */
export interface ViaName<R extends NameResolver = NameResolver> {
  readonly via: R;
  readonly key: unknown;
}

/** Where a message goes: a pid, or a name resolved at send time. */
export type Destination = Pid | ViaName;

/** Whether `value` has the shape of a {@link Destination} (a Pid, or `{ via, key }` with a resolver). */
export function isDestination(value: unknown): value is Destination {
  if (value instanceof Pid) return true;
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { via?: { whereis?: unknown } }).via?.whereis === "function" &&
    "key" in value
  );
}

/** The pid a destination names right now, or `undefined` if none. */
export function resolveDestination(destination: Destination): Pid | undefined {
  if ("via" in destination) return destination.via.whereis(destination.key);
  return destination;
}

/** Describes a destination for error messages. */
export function describeDestination(destination: Destination): string {
  if ("via" in destination) {
    let key: string;
    try {
      key = JSON.stringify(destination.key) ?? String(destination.key);
    } catch {
      key = String(destination.key);
    }
    return `the process named ${key}`;
  }
  return `process ${destination.toString()}`;
}
