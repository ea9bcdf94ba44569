/**
 * A Clock whose time moves only when a test says so. Heartbeats, call timeouts and `sendAfter` become
 * deterministic: `advance(ms)` runs exactly the timers that fall due, in time order.
 */
import { assertDelay } from "./clock.js";
import type { Clock, TimerHandle } from "./clock.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";

/** A pending timer; also the handle given to callers (who only see {@link TimerHandle}). */
class VirtualTimer implements TimerHandle {
  readonly __timer = true as const;
  pending = true;

  constructor(
    readonly owner: VirtualClock,
    readonly due: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
}

/** Earlier due time first; equal due times in creation order. */
function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * A {@link Clock} for tests: `now()` starts at `start` and changes only through {@link VirtualClock.advance}
 * and {@link VirtualClock.runNext}.
 *
 * @remarks
 * Timers run synchronously inside `advance`/`runNext`, in due-time order, ties in creation order; while a
 * timer runs, `now()` equals its due time. A timer created while advancing runs in the same `advance` if
 * it falls due before the target time. Time never goes backwards. If a timer throws, the error leaves
 * `advance` at once, `now()` stays at that timer's due time and later timers stay pending.
 *
 * Processes handle messages asynchronously: after `advance`, let microtasks run (e.g.
 * `await new Promise((r) => setImmediate(r))`) before looking at what a process did with a timer message.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const fired: number[] = [];
 * clock.setTimeout(() => fired.push(clock.now()), 30);
 * clock.setTimeout(() => fired.push(clock.now()), 10);
 * clock.advance(50); // fired = [10, 30]; clock.now() = 50
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #pending = 0;
  /** Binary min-heap ordered by {@link before}; cleared timers are dropped lazily when they reach the top. */
  readonly #heap: VirtualTimer[] = [];

  /**
   * @param start - the initial value of `now()`, any finite number of milliseconds; 0 when omitted.
   */
  constructor(start = 0) {
    if (typeof start !== "number" || !Number.isFinite(start)) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `start must be a finite number, received ${String(start)}.`);
    }
    this.#now = start;
  }

  /** The virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` to run when the clock reaches `now() + ms`. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    assertDelay(ms);
    const timer = new VirtualTimer(this, this.#now + ms, this.#seq++, fn);
    this.#push(timer);
    this.#pending++;
    return timer;
  }

  /** Cancels a pending timer; a fired, cleared or foreign handle is ignored. */
  clearTimeout(handle: TimerHandle): void {
    if (!(handle instanceof VirtualTimer) || handle.owner !== this || !handle.pending) return;
    handle.pending = false;
    this.#pending--;
  }

  /**
   * Moves time forward by `ms`, running every timer that falls due on the way.
   *
   * @remarks See the class remarks for ordering. Throws `FENIX_ERR_RUNTIME_BAD_ARGUMENT` for a negative
   * or non-finite `ms`.
   */
  advance(ms: number): void {
    assertDelay(ms);
    const target = this.#now + ms;
    for (let timer = this.#peek(); timer !== undefined && timer.due <= target; timer = this.#peek()) {
      this.#fire(timer);
    }
    if (target > this.#now) this.#now = target;
  }

  /**
   * Jumps to the earliest pending timer and runs it.
   *
   * @returns `false` when no timer is pending (time does not move).
   */
  runNext(): boolean {
    const timer = this.#peek();
    if (timer === undefined) return false;
    this.#fire(timer);
    return true;
  }

  /** How many timers are scheduled and neither fired nor cleared. */
  pendingTimers(): number {
    return this.#pending;
  }

  /**
   * The time at which the earliest pending timer falls due, or `undefined` when none is pending.
   *
   * @remarks Lets a test move time in steps, one due timer at a time, and let processes handle each
   * timer's message before the next one fires (as `fenix/testing` does). Never earlier than `now()`.
   *
   * @example
   * ```ts
   * const clock = new VirtualClock();
   * clock.setTimeout(() => {}, 250);
   * clock.nextDue(); // 250
   * ```
   */
  nextDue(): number | undefined {
    return this.#peek()?.due;
  }

  #fire(timer: VirtualTimer): void {
    this.#pop();
    timer.pending = false;
    this.#pending--;
    if (timer.due > this.#now) this.#now = timer.due;
    timer.fn();
  }

  /** The earliest pending timer, discarding cleared ones found on top. */
  #peek(): VirtualTimer | undefined {
    let top = this.#heap[0];
    while (top !== undefined && !top.pending) {
      this.#pop();
      top = this.#heap[0];
    }
    return top;
  }

  #push(timer: VirtualTimer): void {
    const heap = this.#heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as VirtualTimer;
      if (!before(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const l = heap[left] as VirtualTimer;
      const r = heap[right];
      const child = r !== undefined && before(r, l) ? right : left;
      const c = heap[child] as VirtualTimer;
      if (!before(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
  }
}
