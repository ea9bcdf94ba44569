/**
 * How a channel test waits. On a virtual clock: let the processes settle, look, move the clock to the
 * next timer due within the window, settle, look again — so timers fire in order and a refute takes no
 * real time — while processes awaiting real I/O are waited for in real time, within a bound. On the real
 * clock: wait in real time, waking whenever a frame arrives.
 */
import type { Pid } from "../runtime/process/pid.js";
import type { Runtime } from "../runtime/process/runtime.js";
import { VirtualClock } from "../runtime/clock/virtual-clock.js";
import { ChannelServer } from "../server/channel/channel-server.js";
import { SocketServer } from "../server/socket/socket-server.js";
import { TestingError, TestingErrorCode } from "./errors.js";

/** Event-loop turns in a row in which every busy process awaits a promise before the runtime counts as stalled. */
const STALL_TURNS = 3;
/** Longest real sleep between two looks while waiting in real time (ms). */
const POLL_MS = 5;
/** Timers fired at one virtual instant before a wait gives up on a timer loop. */
const MAX_TIMERS_PER_INSTANT = 10_000;

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves the waiters of {@link Signal.wait} when something arrives. */
class Signal {
  readonly #wake = new Set<() => void>();

  notify(): void {
    const wake = [...this.#wake];
    this.#wake.clear();
    for (const fn of wake) fn();
  }

  /** Resolves on the next notify, or after `ms` of real time. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake.add(done);
    });
  }
}

/** What the runtime is doing after the event loop has had its turns. */
type Settled = "idle" | "stalled";

/**
 * How a wait ends when its condition has not held by the end of the virtual window.
 *
 * - `"assert"` (the condition is what the test hopes for): the clock stays where the last timer left it,
 *   and the wait goes on for up to 100 ms of real time (less for a shorter window), for work done outside
 *   processes — a promise not awaited by any handler that replies through a socket ref, say.
 * - `"refute"` (the condition is a failure): the whole window passes on the virtual clock, no real time.
 */
export type WaitMode = "assert" | "refute";

/** The most real time an assertion waits after its virtual window (ms). */
const REAL_GRACE_MS = 100;

/**
 * Waits for conditions on a runtime's processes and the frames they write.
 *
 * @remarks
 * A process is busy while it handles a message, awaits an async handler, or has a message queued
 * (`runtime.isIdle()`). *Settling* runs event-loop turns until no process is busy, or until every busy
 * process has awaited a promise for a few turns (it waits for I/O or for a timer). On a virtual clock a
 * wait then either moves the clock to the next timer due within its window, or — when no timer is due —
 * waits in real time for the awaiting processes, at most `ioTimeoutMs`.
 *
 * @example
 * ```ts
 * const settler = new Settler(runtime, 2_000);
 * const arrived = await settler.waitUntil(() => frames.length > 0, 100, "assert");
 * ```
 */
export class Settler {
  readonly runtime: Runtime;
  /** The runtime's clock when it is virtual, else `null` (waits are then real). */
  readonly clock: VirtualClock | null;
  readonly #ioTimeoutMs: number;
  readonly #signal = new Signal();

  constructor(runtime: Runtime, ioTimeoutMs: number) {
    this.runtime = runtime;
    this.clock = runtime.clock instanceof VirtualClock ? runtime.clock : null;
    this.#ioTimeoutMs = ioTimeoutMs;
  }

  /** A window as failure messages name it: `within 100 ms of virtual time`, or `within 100 ms` (real). */
  describeWindow(ms: number): string {
    return `within ${ms} ms${this.clock === null ? "" : " of virtual time"}`;
  }

  /** Wakes the real-time waits: something arrived. */
  notify(): void {
    this.#signal.notify();
  }

  /**
   * Lets the processes run until none is busy, or until the busy ones all await promises; never moves
   * the clock and never waits for those promises.
   */
  async settle(): Promise<void> {
    await this.#turns();
  }

  /**
   * Waits until `check()` is true, at most `windowMs` (of the virtual clock, when there is one).
   * @returns whether `check()` became true.
   * @throws TestingError `FENIX_ERR_TESTING_PROCESS_BUSY` when a process stays busy past `ioTimeoutMs`.
   */
  async waitUntil(check: () => boolean, windowMs: number, mode: WaitMode): Promise<boolean> {
    const clock = this.clock;
    if (clock === null) return this.#waitReal(check, windowMs);
    const deadline = clock.now() + windowMs;
    await this.#run(deadline, check);
    if (check()) return true;
    if (mode === "assert") return this.#waitReal(check, Math.min(windowMs, REAL_GRACE_MS));
    if (clock.now() < deadline) clock.advance(deadline - clock.now());
    return false;
  }

  /**
   * Awaits `promise` (a start or a shutdown, which may wait on the runtime's clock): on a virtual clock,
   * timers due within `windowMs` fire while it is pending.
   */
  async drive<T>(promise: Promise<T>, windowMs = 60_000): Promise<T> {
    let done = false;
    const tracked = promise.finally(() => {
      done = true;
    });
    // Handled here so a rejection while the clock moves is not reported as unhandled; the caller gets it.
    tracked.catch(() => {});
    if (this.clock !== null) await this.#run(this.clock.now() + windowMs, () => done);
    return tracked;
  }

  /**
   * Moves the virtual clock `ms` forward, one due timer at a time, letting the processes settle after
   * each (and waiting for processes that await I/O, as {@link Settler.waitUntil} does).
   */
  async advance(ms: number): Promise<void> {
    const clock = this.clock;
    if (clock === null) {
      throw new TestingError(
        TestingErrorCode.BAD_STATE,
        "advance() moves a VirtualClock, and this test runs on the real clock of its runtime (the PubSub's); wait with the assertions' windows instead.",
      );
    }
    const target = clock.now() + ms;
    await this.#run(target, () => false);
    if (clock.now() < target) clock.advance(target - clock.now());
    await this.#turns();
  }

  /** Settles, checks, and fires the timers due up to `deadline`, until `check()` holds or nothing is left to do. */
  async #run(deadline: number, check: () => boolean): Promise<void> {
    const clock = this.clock!;
    let instant = clock.now();
    let firedAtInstant = 0;
    for (;;) {
      const settled = await this.#turns();
      if (check()) return;
      const next = clock.nextDue();
      if (next !== undefined && next <= deadline) {
        if (next === instant && ++firedAtInstant > MAX_TIMERS_PER_INSTANT) {
          throw new TestingError(
            TestingErrorCode.BAD_STATE,
            `More than ${MAX_TIMERS_PER_INSTANT} timers fell due at virtual time ${instant}: a process keeps setting timers of 0 ms.`,
          );
        }
        if (next !== instant) {
          instant = next;
          firedAtInstant = 0;
        }
        clock.advance(next - clock.now());
        continue;
      }
      if (settled === "idle") return;
      await this.#waitForProgress(check);
    }
  }

  /** Event-loop turns until the runtime is idle or stalled on promises; a runtime that never gets there is an error. */
  async #turns(): Promise<Settled> {
    const runtime = this.runtime;
    const started = Date.now();
    let stalledTurns = 0;
    for (;;) {
      await macrotask();
      if (runtime.isIdle()) return "idle";
      const busy = runtime.busyPids();
      if (busy.every((pid) => runtime.lookup(pid)?.awaiting !== false)) {
        if (++stalledTurns >= STALL_TURNS) return "stalled";
      } else {
        stalledTurns = 0;
      }
      if (Date.now() - started > this.#ioTimeoutMs) {
        throw this.#busyError(busy, "still has messages to handle, as if processes kept sending each other messages");
      }
    }
  }

  /** Every busy process awaits a promise: wait in real time until that changes (or `check()` holds). */
  async #waitForProgress(check: () => boolean): Promise<void> {
    const runtime = this.runtime;
    const before = runtime.busyPids();
    const started = Date.now();
    for (;;) {
      await this.#signal.wait(POLL_MS);
      if (check() || runtime.isIdle()) return;
      const busy = runtime.busyPids();
      const changed = busy.length !== before.length || busy.some((pid, i) => pid !== before[i]);
      if (changed || busy.some((pid) => runtime.lookup(pid)?.awaiting === false)) return;
      if (Date.now() - started > this.#ioTimeoutMs) {
        throw this.#busyError(
          busy,
          "is still awaiting a promise. The test waits in real time for processes that await I/O; if this one waits " +
            "for the virtual clock (a timer or a call timeout beyond the window), move the clock with kit.advance(ms) " +
            "or widen the window; if its promise never settles, that is the bug",
        );
      }
    }
  }

  /** Waits in real time, waking at every arrival. */
  async #waitReal(check: () => boolean, windowMs: number): Promise<boolean> {
    const deadline = Date.now() + windowMs;
    for (;;) {
      await macrotask();
      if (check()) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await this.#signal.wait(Math.min(remaining, POLL_MS));
    }
  }

  #busyError(busy: readonly Pid[], what: string): TestingError {
    const names = busy.map((pid) => describeProcess(this.runtime, pid));
    return new TestingError(
      TestingErrorCode.PROCESS_BUSY,
      `After ${this.#ioTimeoutMs} ms of real time (ioTimeoutMs), ${names.length === 1 ? "process" : "processes"} ` +
        `${names.join(", ")} ${what}.`,
    );
  }
}

/** A process as a failure message names it: its pid and what it serves. */
export function describeProcess(runtime: Runtime, pid: Pid): string {
  const process = runtime.lookup(pid);
  const state = process === undefined ? "" : process.awaiting ? ", awaiting a promise" : `, ${process.mailboxSize} queued`;
  if (process instanceof ChannelServer) return `${pid.toString()} (channel "${process.topic}" of ${process.channel.constructor.name}${state})`;
  if (process instanceof SocketServer) return `${pid.toString()} (connection of ${process.socket.constructor.name}${state})`;
  return `${pid.toString()} (${process?.constructor.name ?? "ended"}${state})`;
}
