/**
 * The client's source of time: every delay of `fenix/client` (heartbeats, push, join and leave timeouts,
 * rejoin and reconnect backoff, the LongPoll fallback and request timeouts) is a timer of a
 * {@link ClientClock}. Tests pass a virtual clock and move time themselves instead of sleeping. Browser-safe:
 * it uses only the host's `setTimeout`, `clearTimeout` and `Date.now`.
 */

/**
 * An opaque timer handle: whatever the clock's `setTimeout` returns, given back to its `clearTimeout`.
 *
 * @example
 * ```ts
 * const handle: ClientTimerHandle = systemClock.setTimeout(() => {}, 1000);
 * systemClock.clearTimeout(handle);
 * ```
 */
export type ClientTimerHandle = unknown;

/**
 * Time and one-shot timers, in milliseconds, as `fenix/client` uses them.
 *
 * @remarks
 * `setTimeout` runs `fn` once, no earlier than `ms` after `now()`; `clearTimeout` of a fired, cleared or
 * foreign handle (or `undefined`) does nothing. The server's `VirtualClock` (exported by `fenix`) has this
 * shape, so a test can hand the same clock to a `Runtime` and to a client `Socket`. Zero-delay hops that
 * only order work after the current task (the LongPoll transport delivering each frame in its own task, a
 * callback's error rethrown from a fresh task) use the host's task queue, not the clock: they are not waits.
 *
 * @example
 * ```ts
 * const deadline = (clock: ClientClock, ms: number): number => clock.now() + ms;
 * ```
 */
export interface ClientClock {
  /** Current time in milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): ClientTimerHandle;
  /** Cancels a timer that has not fired yet; ignores `undefined` and handles it does not know. */
  clearTimeout(handle: ClientTimerHandle): void;
}

/**
 * The host's clock: `Date.now()` and the global `setTimeout` / `clearTimeout` (looked up at each call).
 * The default `clock` of a client `Socket`.
 *
 * @example
 * ```ts
 * const socket = new Socket("wss://example.com/socket", { clock: systemClock }); // the default
 * ```
 */
export const systemClock: ClientClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => {
    if (handle !== undefined) globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * Runs `fn` in a later task of the host's event loop (a zero-delay host timer, not a wait on the clock);
 * {@link cancelTask} cancels it.
 *
 * @example
 * ```ts
 * const task = nextTask(() => console.log("after the current task"));
 * cancelTask(task);
 * ```
 */
export function nextTask(fn: () => void): ReturnType<typeof setTimeout> {
  return globalThis.setTimeout(fn, 0);
}

/** Cancels a task scheduled with {@link nextTask} that has not run yet. */
export function cancelTask(task: ReturnType<typeof setTimeout> | undefined): void {
  if (task !== undefined) globalThis.clearTimeout(task);
}
