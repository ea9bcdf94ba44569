/**
 * Process identifiers and unique references. A `Pid` names one process of one Runtime for its whole
 * life and is never reused; a `Ref` is a unique token (monitors, and later request/reply matching).
 */

/** @internal Key of the pid's owning Runtime; a property rather than a WeakMap entry, which costs the GC. */
export const PID_OWNER: unique symbol = Symbol("fenix.pid.owner");

/** Node's hook for `util.inspect` and `console.log`, by its registered name (no import of `node:util`). */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * The identity of a process.
 *
 * @remarks
 * Pids are created only by a {@link Runtime} when a process starts; the constructor is public for
 * technical reasons and is internal. A pid stays valid after its process ends (sending to it just drops
 * the message), and ids are never reused within a Runtime. Compare pids with `===`: the Runtime hands out
 * exactly one object per process. While its process lives, the Runtime keeps its record of it on the pid
 * itself (internal fields, cleared when the process ends); `console.log(pid)` shows just `Pid <node.id>`.
 *
 * @example
 * ```ts
 * const runtime = new Runtime({ node: "chat1" });
 * class Sink extends Process { protected override handleMessage(): void {} }
 * const { pid } = new Sink(runtime);
 * pid.toString(); // "<chat1.1>"
 * ```
 */
export class Pid {
  /** Number of this process within its node, starting at 1. */
  readonly id: number;
  /** Name of the node (Runtime) the process lives on. */
  readonly node: string;
  /** @internal The Runtime that created the pid (read through `runtimeOf`). */
  readonly [PID_OWNER]: object | undefined;

  /** @internal Only a Runtime creates pids. */
  constructor(id: number, node: string, owner?: object) {
    this.id = id;
    this.node = node;
    this[PID_OWNER] = owner;
  }

  /** `"<node.id>"`, e.g. `"<nonode.42>"`. */
  toString(): string {
    return `<${this.node}.${this.id}>`;
  }

  /** Serialises as its string form, so pids read well in JSON logs. */
  toJSON(): string {
    return this.toString();
  }

  /** What `console.log` and `util.inspect` show: `Pid <node.id>`, without the Runtime's bookkeeping. */
  [INSPECT](): string {
    return `Pid ${this.toString()}`;
  }
}

/**
 * A unique reference, e.g. the handle of a monitor.
 *
 * @remarks
 * Refs are created by {@link Runtime.makeRef} (and by `monitor`); each Runtime numbers its refs from 1.
 * Compare refs with `===`: a DOWN message carries the very object `monitor` returned.
 *
 * @example
 * ```ts
 * const runtime = new Runtime();
 * const ref = runtime.makeRef();
 * ref.toString(); // "#Ref<1>"
 * ```
 */
export class Ref {
  /** Number of this reference within its Runtime, starting at 1. */
  readonly id: number;

  /** @internal Only a Runtime creates refs. */
  constructor(id: number) {
    this.id = id;
  }

  /** `"#Ref<id>"`. */
  toString(): string {
    return `#Ref<${this.id}>`;
  }

  /** Serialises as its string form. */
  toJSON(): string {
    return this.toString();
  }
}
