/**
 * Idle-connection detection without a timer per connection: one sweeper per runtime and idle timeout
 * looks at every registered connection a few times per timeout and tells those silent for the whole
 * timeout to check themselves. Sweeps keep to a fixed grid (a late timer does not push the next ones
 * back), five per timeout, so a connection is closed after `idleTimeoutMs` to `1.2 × idleTimeoutMs` of
 * silence plus one timer's lateness — within the documented 1.25×. The sweep timer runs on the
 * runtime's clock, only while connections are registered.
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

/** Checks per timeout: a connection is told at most a fifth of the timeout (and one timer's lateness) late. */
const SWEEPS_PER_TIMEOUT = 5;

const sweepers = new WeakMap<Runtime, Map<number, IdleSweeper>>();

/** @internal */
export class IdleSweeper {
  readonly #runtime: Runtime;
  readonly #timeoutMs: number;
  readonly #message: unknown;
  readonly #members = new Set<Sweepable>();
  #timer: TimerHandle | null = null;
  /** When the next sweep is due (runtime clock ms): the grid the sweeps keep to. */
  #nextAt = 0;

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
    if (this.#timer === null) {
      this.#nextAt = this.#runtime.clock.now();
      this.#schedule();
    }
  }

  delete(member: Sweepable): void {
    this.#members.delete(member);
    if (this.#members.size === 0 && this.#timer !== null) {
      this.#runtime.clock.clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #schedule(): void {
    const period = Math.max(1, Math.floor(this.#timeoutMs / SWEEPS_PER_TIMEOUT));
    const now = this.#runtime.clock.now();
    this.#nextAt += period;
    // A sweep that ran very late (a stalled event loop) restarts the grid from now rather than catching up.
    if (this.#nextAt <= now) this.#nextAt = now + period;
    this.#timer = this.#runtime.clock.setTimeout(() => this.#sweep(), this.#nextAt - now);
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
