/**
 * The Clock seam: every timer in Fenix (heartbeats, call timeouts, presence gossip, `sendAfter`) goes
 * through a Clock, so tests swap in a VirtualClock and never sleep. `RealClock` is the production one.
 */
import { RuntimeError, RuntimeErrorCode } from "../errors.js";

/**
 * An opaque handle for a timer started with {@link Clock.setTimeout}; pass it to `clearTimeout`.
 *
 * @remarks Only the clock that created a handle can clear it; other clocks ignore it.
 *
 * @example
 * ```ts
 * const handle: TimerHandle = realClock.setTimeout(() => {}, 1000);
 * realClock.clearTimeout(handle);
 * ```
 */
export interface TimerHandle {
  readonly __timer: true;
}

/**
 * A source of time and one-shot timers, in milliseconds.
 *
 * @remarks
 * `setTimeout` runs `fn` once, no earlier than `ms` after `now()`; `clearTimeout` of a fired, cleared or
 * foreign handle does nothing. Implementations reject a negative or non-finite `ms` with
 * `FENIX_ERR_RUNTIME_BAD_ARGUMENT` (see {@link assertDelay}).
 *
 * @example
 * ```ts
 * function deadline(clock: Clock, ms: number): number {
 *   return clock.now() + ms;
 * }
 * ```
 */
export interface Clock {
  /** Current time in milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer that has not fired yet. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Throws `FENIX_ERR_RUNTIME_BAD_ARGUMENT` unless `ms` is a finite number ≥ 0.
 *
 * @remarks Shared by the clocks and `Runtime.sendAfter`, so every delay is checked the same way.
 *
 * @example
 * ```ts
 * assertDelay(250); // ok
 * ```
 */
export function assertDelay(ms: number, name = "ms"): void {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new RuntimeError(
      RuntimeErrorCode.BAD_ARGUMENT,
      `${name} must be a finite number of milliseconds >= 0, received ${String(ms)}.`,
    );
  }
}

/** Longest delay Node's timers accept; longer ones fire after 1 ms instead, so we wait in hops. */
const MAX_NODE_DELAY = 2_147_483_647;

/** Handle of a RealClock timer; module-private so only RealClock reads its state. */
class RealTimer implements TimerHandle {
  readonly __timer = true as const;
  timeout: ReturnType<typeof setTimeout> | undefined;
}

function fire(timer: RealTimer, fn: () => void): void {
  timer.timeout = undefined;
  fn();
}

function unref(timeout: ReturnType<typeof setTimeout>): void {
  // Node returns a Timeout with unref(); other hosts may return a number.
  if (typeof timeout === "object" && timeout !== null && "unref" in timeout) timeout.unref();
}

/**
 * The wall clock: `Date.now()` and the host's timers.
 *
 * @remarks
 * Timers are `unref()`'d, so a pending heartbeat or `sendAfter` never keeps Node alive on its own.
 * Delays longer than Node's limit (about 24.8 days) are waited in several hops instead of firing early.
 *
 * @example
 * ```ts
 * const clock = new RealClock();
 * const handle = clock.setTimeout(() => console.log("tick"), 1000);
 * clock.clearTimeout(handle);
 * ```
 */
export class RealClock implements Clock {
  /** `Date.now()`. */
  now(): number {
    return Date.now();
  }

  /** Runs `fn` once after `ms` milliseconds, without keeping Node alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    assertDelay(ms);
    const timer = new RealTimer();
    if (ms <= MAX_NODE_DELAY) {
      // The common case, without closures: every connection keeps a timer like this.
      timer.timeout = setTimeout(fire, ms, timer, fn);
      unref(timer.timeout);
      return timer;
    }
    const arm = (remaining: number): void => {
      const hop = Math.min(remaining, MAX_NODE_DELAY);
      timer.timeout = setTimeout(() => {
        if (remaining > hop) {
          arm(remaining - hop);
        } else {
          timer.timeout = undefined;
          fn();
        }
      }, hop);
      unref(timer.timeout);
    };
    arm(ms);
    return timer;
  }

  /** Cancels the timer; a fired, cleared or foreign handle is ignored. */
  clearTimeout(handle: TimerHandle): void {
    if (!(handle instanceof RealTimer) || handle.timeout === undefined) return;
    clearTimeout(handle.timeout);
    handle.timeout = undefined;
  }
}

/**
 * The shared {@link RealClock}, the default clock of every Runtime.
 *
 * @example
 * ```ts
 * const startedAt = realClock.now();
 * ```
 */
export const realClock: RealClock = new RealClock();
