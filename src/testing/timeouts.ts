/**
 * The windows a channel test waits in, and the per-call options that change them. On a virtual clock a
 * window is virtual time: it costs no real time unless a process awaits real I/O.
 */
import { TestingError, TestingErrorCode } from "./errors.js";

/** The default windows of a channel test (ms); each can be changed per test and per call. */
export interface Timeouts {
  /** How long an assertion waits for a push, broadcast, close or presence. @defaultValue 100 */
  readonly assertTimeoutMs: number;
  /** How long a refutation watches for what it refutes. @defaultValue 100 */
  readonly refuteWithinMs: number;
  /** How long a join, a push's reply or a leave is waited for. @defaultValue 1000 */
  readonly replyTimeoutMs: number;
  /**
   * How long (real time) a wait follows processes that await something outside the virtual clock (a
   * database, a real timer) before failing with `FENIX_ERR_TESTING_PROCESS_BUSY`.
   * @defaultValue 2000
   */
  readonly ioTimeoutMs: number;
}

/**
 * The defaults: 100 ms to assert, 100 ms to refute (as in Phoenix's channel tests), 1 s for replies,
 * 2 s of real time for processes awaiting I/O.
 *
 * @example
 * ```ts
 * const kit = await channelTest(UserSocket, { timeouts: { ...DEFAULT_TIMEOUTS, assertTimeoutMs: 500 } });
 * ```
 */
export const DEFAULT_TIMEOUTS: Timeouts = Object.freeze({
  assertTimeoutMs: 100,
  refuteWithinMs: 100,
  replyTimeoutMs: 1_000,
  ioTimeoutMs: 2_000,
});

/** Options of an assertion. */
export interface AssertOptions {
  /** How long to wait. @defaultValue the test's `assertTimeoutMs` (100 ms), or `replyTimeoutMs` (1 s) for replies */
  readonly timeoutMs?: number;
}

/** Options of a refutation. */
export interface RefuteOptions {
  /** How long to watch. @defaultValue the test's `refuteWithinMs` (100 ms) */
  readonly withinMs?: number;
}

/**
 * The window of one call: `value`, or `fallback` when it is undefined.
 * @throws TestingError `FENIX_ERR_TESTING_BAD_ARGUMENT` for a negative or non-finite value.
 */
export function windowOf(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TestingError(TestingErrorCode.BAD_ARGUMENT, `${name} must be a finite number of milliseconds >= 0; got ${String(value)}.`);
  }
  return value;
}
