/**
 * Idle-connection detection without a timer per connection: one sweeper per runtime and idle timeout
 * looks at every registered connection a few times per timeout and tells those silent for the whole
 * timeout to check themselves. A connection is closed after `idleTimeoutMs` to `1.25 × idleTimeoutMs`
 * of silence. The sweep timer runs on the runtime's clock, only while connections are registered.
 */
import type { TimerHandle } from "../../runtime/clock/clock.js";
import type { Pid } from "../../runtime/process/pid.js";
import type { Runtime } from "../../runtime/process/runtime.js";

/** What the sweeper needs of a connection. */
export interface Sweepable {
  readonly pid: Pid;
  /** When the connection last heard from its client (runtime clock ms). */
  readonly lastSeen: number;
}

/** Checks per timeout: a connection is told at most a quarter of the timeout late. */
const SWEEPS_PER_TIMEOUT = 4;

const sweepers = new WeakMap<Runtime, Map<number, IdleSweeper>>();

/** @internal */
export class IdleSweeper {
  readonly #runtime: Runtime;
  readonly #timeoutMs: number;
  readonly #message: unknown;
  readonly #members = new Set<Sweepable>();
  #timer: TimerHandle | null = null;

  private constructor(runtime: Runtime, timeoutMs: number, message: unknown) {
    this.#runtime = runtime;
    this.#timeoutMs = timeoutMs;
    this.#message = message;
  }

  /** The sweeper of `runtime` for `timeoutMs`, which sends `message` to connections found idle. */
  static of(runtime: Runtime, timeoutMs: number, message: unknown): IdleSweeper {
    let byTimeout = sweepers.get(runtime);
    if (byTimeout === undefined) sweepers.set(runtime, (byTimeout = new Map()));
    let sweeper = byTimeout.get(timeoutMs);
    if (sweeper === undefined) byTimeout.set(timeoutMs, (sweeper = new IdleSweeper(runtime, timeoutMs, message)));
    return sweeper;
  }

  add(member: Sweepable): void {
    this.#members.add(member);
    if (this.#timer === null) this.#schedule();
  }

  delete(member: Sweepable): void {
    this.#members.delete(member);
    if (this.#members.size === 0 && this.#timer !== null) {
      this.#runtime.clock.clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #schedule(): void {
    this.#timer = this.#runtime.clock.setTimeout(() => this.#sweep(), Math.max(1, Math.floor(this.#timeoutMs / SWEEPS_PER_TIMEOUT)));
  }

  #sweep(): void {
    this.#timer = null;
    const deadline = this.#runtime.clock.now() - this.#timeoutMs;
    for (const member of this.#members) {
      if (member.lastSeen <= deadline) this.#runtime.send(member.pid, this.#message);
    }
    if (this.#members.size > 0) this.#schedule();
  }
}
