/**
 * Per-address quotas of a LongPoll mount: how many POST bodies one client address may have in flight at
 * once, and how many sessions it may open per window. They bound what one peer can make the server hold
 * (body buffers, session processes) before it has proved anything.
 */
import type { Clock } from "../../runtime/clock/clock.js";

/** @internal The limits of an {@link AddressQuota}. */
export interface AddressQuotaLimits {
  /** POST bodies one address may have being read at once. */
  readonly maxConcurrentPosts: number;
  /** Sessions one address may open per `newSessionsWindowMs`. */
  readonly maxNewSessions: number;
  readonly newSessionsWindowMs: number;
}

/** @internal Counts, per client address, the POST bodies being read and the sessions opened this window. */
export class AddressQuota {
  readonly #limits: AddressQuotaLimits;
  readonly #clock: Clock;
  /** Bodies being read, by address; an address leaves the map when its count falls to zero. */
  readonly #posts = new Map<string, number>();
  /** Sessions opened in the current fixed window, by address; the whole map is dropped when the window rolls. */
  #opened = new Map<string, number>();
  #windowStart: number;

  constructor(limits: AddressQuotaLimits, clock: Clock) {
    this.#limits = limits;
    this.#clock = clock;
    this.#windowStart = clock.now();
  }

  /**
   * Takes a body-read slot for `address`: a function that gives it back (call it exactly once), or `null`
   * when the address already has `maxConcurrentPosts` bodies in flight.
   */
  takePost(address: string): (() => void) | null {
    const count = this.#posts.get(address) ?? 0;
    if (count >= this.#limits.maxConcurrentPosts) return null;
    this.#posts.set(address, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#posts.get(address) ?? 1) - 1;
      if (left <= 0) this.#posts.delete(address);
      else this.#posts.set(address, left);
    };
  }

  /**
   * Counts one new session for `address`: `0` when it may open it, else the milliseconds until the
   * current window ends and it may try again.
   */
  takeSession(address: string): number {
    const now = this.#clock.now();
    const { maxNewSessions, newSessionsWindowMs } = this.#limits;
    if (now - this.#windowStart >= newSessionsWindowMs) {
      this.#windowStart = now;
      this.#opened = new Map();
    }
    const count = this.#opened.get(address) ?? 0;
    if (count >= maxNewSessions) return Math.max(1, this.#windowStart + newSessionsWindowMs - now);
    this.#opened.set(address, count + 1);
    return 0;
  }
}
