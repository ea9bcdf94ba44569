/**
 * Registry: keys → live processes, with an optional value per entry. A unique registry names processes
 * (and resolves `{ via, key }` destinations); a duplicate registry groups them (rooms, topics, presence).
 * Entries vanish the moment their process ends, through one Runtime.watch per registered pid.
 */
import { describeValue } from "../../errors/describe.js";
import { AlreadyRegisteredError } from "./already-registered-error.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import type { NameResolver, ViaName } from "./name.js";
import { Pid } from "../process/pid.js";
import { Runtime, defaultRuntime } from "../process/runtime.js";

/**
 * How a {@link Registry} treats keys: `"unique"` — one process per key (a name); `"duplicate"` — many
 * processes per key, each once.
 *
 * @example
 * ```ts
 * const kind: RegistryKeys = "duplicate";
 * ```
 */
export type RegistryKeys = "unique" | "duplicate";

/**
 * Options of a {@link Registry}.
 *
 * @example
 * ```ts
 * const options: RegistryOptions = { keys: "unique", runtime: new Runtime() };
 * ```
 */
export interface RegistryOptions {
  /** `"unique"` (one process per key) or `"duplicate"` (many processes per key). Required. */
  keys: RegistryKeys;
  /**
   * The Runtime whose processes are registered: only its live pids are accepted, and its exits remove
   * entries.
   * @defaultValue `defaultRuntime`
   */
  runtime?: Runtime;
}

/**
 * One registration: `pid` under `key`, with its `value`. Entries are frozen snapshots; a later
 * `updateValue` or re-registration makes a new entry object.
 *
 * @example
 * ```ts
 * declare const rooms: Registry<string, { nick: string }>;
 * const nicks = rooms.lookup("lobby").map((entry) => entry.value.nick);
 * ```
 */
export interface RegistryEntry<K = unknown, V = unknown> {
  readonly key: K;
  readonly pid: Pid;
  readonly value: V;
}

/**
 * Why an entry left a registry: `"unregister"` (removed by `unregister`) or `"exit"` (its process ended).
 *
 * @example
 * ```ts
 * declare const rooms: Registry<string>;
 * rooms.onUnregister((entry, cause: RegistryRemoval) => console.log(entry.key, cause));
 * ```
 */
export type RegistryRemoval = "unregister" | "exit";

/**
 * The optional last argument of {@link Registry.register}: optional when `undefined` is a valid value
 * (the default `V = unknown`), required otherwise.
 *
 * @example
 * ```ts
 * const withValue: RegistryValueArg<number> = [42]; // a Registry<K, number> needs the value
 * const without: RegistryValueArg<unknown> = []; // a Registry<K> does not
 * ```
 */
export type RegistryValueArg<V> = undefined extends V ? [value?: V] : [value: V];

/** What the registry knows about one registered pid: its keys, and how to stop watching it. */
interface Registrant<K> {
  readonly keys: Set<K>;
  readonly unwatch: () => void;
}

/**
 * A table of processes by key, cleaned automatically as processes end.
 *
 * @remarks
 * **Kinds.** With `keys: "unique"` a key is held by at most one process: `register` throws
 * {@link AlreadyRegisteredError} while the holder lives, `whereis` answers, and `via(key)` makes a name
 * for `call`/`cast`/`send` and for starting a process under that name. With `keys: "duplicate"` a key
 * holds many processes, each at most once (registering the same pid again replaces its value and keeps
 * its place); `whereis` and `via` throw `FENIX_ERR_RUNTIME_REGISTRY_NOT_UNIQUE`, since a name must pick
 * one process — use `lookup` or `dispatch`.
 *
 * **Keys** are compared as `Map` keys are (SameValueZero: objects by identity).
 *
 * **Ordering.** `lookup(key)` lists entries in registration order; `keysOf(pid)` lists keys in the order
 * the pid registered them; `entries()` is grouped by key, keys in the order their first current entry
 * was registered.
 *
 * **Automatic removal.** Only live pids of the registry's Runtime can register (a dead one throws
 * `FENIX_ERR_RUNTIME_NOPROC`). Each registered pid is watched once (`Runtime.watch`), however many keys it
 * holds; the watch is cancelled when its last entry goes. When the process ends, all its entries are
 * removed synchronously — after its own `onExit`, before its links and monitors are signalled — so a
 * supervisor or a DOWN handler already finds the key free.
 *
 * **Listeners.** `onRegister` runs after each new entry, `onUnregister` after each removed one (with
 * the cause), synchronously, with the registry already changed. Replacing a value (`updateValue`,
 * re-registering in a duplicate registry) notifies nobody. Listeners must not throw: a throw is rethrown
 * from a microtask (an uncaught exception), so the registry and the other listeners are not disturbed.
 *
 * **Cost.** Maps throughout: `register`, `unregister`, `whereis`, `countKey` are O(1); `lookup(key)` is
 * O(entries of the key); removal on exit is O(keys of the pid); `entries` and `match` are O(all entries).
 * There is no partitioning option: JavaScript runs one thread per Runtime, so a partition would add no
 * concurrency, only bookkeeping.
 *
 * A registry implements `NameResolver`, and also `NameRegistrar` whenever `undefined` is a valid value
 * (the default `V = unknown`): a process registered through a name gets the value `undefined`.
 *
 * @typeParam K - the key type.
 * @typeParam V - the value type; when it excludes `undefined`, `register` requires a value.
 *
 * @example
 * ```ts
 * const runtime = new Runtime();
 * const names = new Registry<string>({ keys: "unique", runtime });
 * const rooms = new Registry<string, { nick: string }>({ keys: "duplicate", runtime });
 *
 * class Member extends Process {
 *   protected override handleMessage(message: unknown): void {
 *     console.log(this.pid.toString(), message);
 *   }
 * }
 * const alice = new Member(runtime);
 * const bob = new Member(runtime);
 * names.register("alice", alice.pid);
 * rooms.register("lobby", alice.pid, { nick: "al" });
 * rooms.register("lobby", bob.pid, { nick: "bobby" });
 *
 * runtime.send(names.whereis("alice")!, "hi alice");
 * rooms.dispatch("lobby", (entries) => {
 *   for (const { pid, value } of entries) runtime.send(pid, `welcome, ${value.nick}`);
 * });
 * runtime.exit(bob.pid, "shutdown");
 * rooms.countKey("lobby"); // 1: bob's entry went with him
 * ```
 */
export class Registry<K = unknown, V = unknown> implements NameResolver {
  /** How keys are treated: `"unique"` or `"duplicate"`. */
  readonly kind: RegistryKeys;
  /** The Runtime whose processes this registry holds. */
  readonly runtime: Runtime;

  /** key → (pid → entry), each inner map in registration order; empty inner maps are deleted. */
  readonly #byKey = new Map<K, Map<Pid, RegistryEntry<K, V>>>();
  /** pid → its keys and its one watch; deleted with the pid's last entry. */
  readonly #byPid = new Map<Pid, Registrant<K>>();
  #count = 0;
  readonly #onRegister = new Set<(entry: RegistryEntry<K, V>) => void>();
  readonly #onUnregister = new Set<(entry: RegistryEntry<K, V>, cause: RegistryRemoval) => void>();

  /** Throws `FENIX_ERR_RUNTIME_BAD_ARGUMENT` for unknown `keys` or a `runtime` that is not a Runtime. */
  constructor(options: RegistryOptions) {
    const { keys, runtime = defaultRuntime } = (options ?? {}) as Partial<RegistryOptions>;
    if (keys !== "unique" && keys !== "duplicate") {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `keys must be "unique" or "duplicate", received ${describe(keys)}.`,
      );
    }
    if (!(runtime instanceof Runtime)) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `runtime must be a Runtime, received ${describe(runtime)}.`);
    }
    this.kind = keys;
    this.runtime = runtime;
  }

  /**
   * Registers `pid` under `key`, with `value` (`undefined` when omitted).
   *
   * @remarks
   * Unique: throws {@link AlreadyRegisteredError} if a live process holds `key` — even `pid` itself (use
   * `updateValue` to change its value). Duplicate: a pid already under `key` keeps its place and gets the
   * new value (listeners are not told). Throws `FENIX_ERR_RUNTIME_NOPROC` if `pid` is not a live process
   * of this registry's Runtime, `FENIX_ERR_RUNTIME_BAD_ARGUMENT` if it is not a Pid.
   */
  register(key: K, pid: Pid, ...value: RegistryValueArg<V>): void {
    if (!(pid instanceof Pid)) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `pid must be a Pid, received ${describe(pid)}.`);
    }
    if (!this.runtime.isAlive(pid)) {
      throw new RuntimeError(
        RuntimeErrorCode.NOPROC,
        `cannot register ${pid.toString()} under ${describe(key)}: it is not a live process of this registry's runtime.`,
      );
    }
    if (this.kind === "unique") {
      const holder = this.#byKey.get(key)?.values().next().value?.pid;
      if (holder !== undefined && this.runtime.isAlive(holder)) throw alreadyRegistered(key, holder, pid);
      if (holder !== undefined) {
        // A dead holder is listed only while its own exit runs, before our watch fires: free the key now,
        // then start over, since the listeners told of it may have changed anything.
        this.#removePid(holder, "exit");
        this.register(key, pid, ...value);
        return;
      }
    }
    const entry: RegistryEntry<K, V> = Object.freeze({ key, pid, value: value[0] as V });
    let group = this.#byKey.get(key);
    if (group?.has(pid) === true) {
      group.set(pid, entry);
      return;
    }
    if (group === undefined) this.#byKey.set(key, (group = new Map()));
    group.set(pid, entry);
    this.#count++;
    let registrant = this.#byPid.get(pid);
    if (registrant === undefined) {
      const keys = new Set<K>();
      const unwatch = this.runtime.watch(pid, () => {
        if (this.#byPid.get(pid)?.keys === keys) this.#removePid(pid, "exit");
      });
      this.#byPid.set(pid, (registrant = { keys, unwatch }));
    }
    registrant.keys.add(key);
    this.#emit(this.#onRegister, entry, undefined);
  }

  /**
   * Removes the entry of `pid` under `key`.
   *
   * @remarks
   * Unique: `pid` is optional; when given, nothing is removed unless it is the holder. Duplicate: `pid`
   * is required (omitting it throws `FENIX_ERR_RUNTIME_BAD_ARGUMENT`), since a key holds many processes.
   *
   * @returns whether an entry was removed.
   */
  unregister(key: K, pid?: Pid): boolean {
    const group = this.#byKey.get(key);
    if (pid === undefined) {
      if (this.kind === "duplicate") {
        throw new RuntimeError(
          RuntimeErrorCode.BAD_ARGUMENT,
          `unregister(${describe(key)}) needs a pid on a duplicate registry, where a key holds many processes.`,
        );
      }
      const [first] = group?.values() ?? [];
      if (first === undefined) return false;
      pid = first.pid;
    }
    const entry = group?.get(pid);
    if (group === undefined || entry === undefined) return false;
    this.#drop(group, entry);
    const registrant = this.#byPid.get(pid);
    registrant?.keys.delete(key);
    if (registrant !== undefined && registrant.keys.size === 0) {
      this.#byPid.delete(pid);
      registrant.unwatch();
    }
    this.#emit(this.#onUnregister, entry, "unregister");
    return true;
  }

  /**
   * The process registered under `key` in a unique registry, if any.
   *
   * @remarks Throws `FENIX_ERR_RUNTIME_REGISTRY_NOT_UNIQUE` on a duplicate registry: use `lookup`.
   */
  whereis(key: K): Pid | undefined {
    this.#requireUnique("whereis", key);
    const group = this.#byKey.get(key);
    if (group === undefined) return undefined;
    const [entry] = group.values();
    return entry?.pid;
  }

  /** The entries under `key`, in registration order (a new array; empty when none). */
  lookup(key: K): RegistryEntry<K, V>[] {
    const group = this.#byKey.get(key);
    return group === undefined ? [] : Array.from(group.values());
  }

  /** The keys `pid` is registered under, in the order it registered them. */
  keysOf(pid: Pid): K[] {
    const registrant = this.#byPid.get(pid);
    return registrant === undefined ? [] : Array.from(registrant.keys);
  }

  /** The number of entries (over all keys). */
  count(): number {
    return this.#count;
  }

  /** The number of entries under `key`. */
  countKey(key: K): number {
    return this.#byKey.get(key)?.size ?? 0;
  }

  /** Every entry, grouped by key (see the class remarks for the order). */
  entries(): RegistryEntry<K, V>[] {
    const all: RegistryEntry<K, V>[] = [];
    for (const group of this.#byKey.values()) for (const entry of group.values()) all.push(entry);
    return all;
  }

  /** The entries for which `predicate` returns true, in the order of {@link Registry.entries}. */
  match(predicate: (entry: RegistryEntry<K, V>) => boolean): RegistryEntry<K, V>[] {
    return this.entries().filter((entry) => predicate(entry));
  }

  /**
   * Calls `fn` once with the entries under `key`, if there are any — for fan-out to a group.
   *
   * @remarks `fn` gets a snapshot: it may unregister entries or end processes safely. Its errors reach the
   * caller.
   *
   * @returns whether `fn` was called.
   */
  dispatch(key: K, fn: (entries: readonly RegistryEntry<K, V>[]) => void): boolean {
    const group = this.#byKey.get(key);
    if (group === undefined) return false;
    fn(Array.from(group.values()));
    return true;
  }

  /**
   * Replaces the value of `pid` under `key` with `fn(current value)`; listeners are not told.
   *
   * @remarks If `fn` throws, the value is unchanged and the error reaches the caller.
   *
   * @returns whether there was such an entry (and it was still there when `fn` returned).
   */
  updateValue(key: K, pid: Pid, fn: (value: V) => V): boolean {
    const current = this.#byKey.get(key)?.get(pid);
    if (current === undefined) return false;
    const value = fn(current.value);
    const group = this.#byKey.get(key);
    // fn may itself have changed this entry (unregistered it, say): then its result no longer applies.
    if (group?.get(pid) !== current) return false;
    group.set(pid, Object.freeze({ key, pid, value }));
    return true;
  }

  /**
   * A name for the process under `key`: `{ via: this registry, key }`, accepted wherever a destination
   * or a process name is.
   *
   * @remarks Resolved at each use, so it follows re-registrations. Throws
   * `FENIX_ERR_RUNTIME_REGISTRY_NOT_UNIQUE` on a duplicate registry.
   */
  via(key: K): ViaName<this> {
    this.#requireUnique("via", key);
    return Object.freeze({ via: this, key });
  }

  /** Calls `listener` after each new entry. @returns a function that removes the listener. */
  onRegister(listener: (entry: RegistryEntry<K, V>) => void): () => void {
    return subscribe(this.#onRegister, listener, "onRegister");
  }

  /** Calls `listener` after each removed entry, with the cause. @returns a function that removes the listener. */
  onUnregister(listener: (entry: RegistryEntry<K, V>, cause: RegistryRemoval) => void): () => void {
    return subscribe(this.#onUnregister, listener, "onUnregister");
  }

  /** Removes every entry of `pid` and its watch, then tells the listeners, in the pid's key order. */
  #removePid(pid: Pid, cause: RegistryRemoval): void {
    const registrant = this.#byPid.get(pid);
    if (registrant === undefined) return;
    this.#byPid.delete(pid);
    registrant.unwatch();
    const removed: RegistryEntry<K, V>[] = [];
    for (const key of registrant.keys) {
      const group = this.#byKey.get(key);
      const entry = group?.get(pid);
      if (group === undefined || entry === undefined) continue;
      this.#drop(group, entry);
      removed.push(entry);
    }
    for (const entry of removed) this.#emit(this.#onUnregister, entry, cause);
  }

  /** Deletes `entry` from its key's group (and the group once empty). */
  #drop(group: Map<Pid, RegistryEntry<K, V>>, entry: RegistryEntry<K, V>): void {
    group.delete(entry.pid);
    if (group.size === 0) this.#byKey.delete(entry.key);
    this.#count--;
  }

  #requireUnique(operation: string, key: K): void {
    if (this.kind === "unique") return;
    throw new RuntimeError(
      RuntimeErrorCode.REGISTRY_NOT_UNIQUE,
      `${operation}(${describe(key)}) needs a registry with keys: "unique"; in this one a key holds many processes. ` +
        "Use lookup(key) or dispatch(key, fn) to reach them all.",
    );
  }

  #emit<C>(listeners: Set<(entry: RegistryEntry<K, V>, cause: C) => void>, entry: RegistryEntry<K, V>, cause: C): void {
    if (listeners.size === 0) return;
    for (const listener of Array.from(listeners)) {
      try {
        listener(entry, cause);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

function subscribe<F>(listeners: Set<F>, listener: F, method: string): () => void {
  if (typeof listener !== "function") {
    throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `${method} needs a function, received ${describe(listener)}.`);
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function alreadyRegistered(key: unknown, holder: Pid, pid: Pid): AlreadyRegisteredError {
  const hint = holder === pid ? " (the same process; use updateValue to change its value)" : "";
  return new AlreadyRegisteredError(
    key,
    holder,
    `${describe(key)} is already registered to ${holder.toString()}${hint}; cannot register ${pid.toString()}.`,
  );
}

/** Longest description {@link describe} gives, so a huge key cannot flood an error message. */
const MAX_DESCRIPTION = 200;

/** A value as registry errors show it (a key or pid up to 200 characters); see {@link describeValue}. */
function describe(value: unknown): string {
  return describeValue(value, MAX_DESCRIPTION);
}
