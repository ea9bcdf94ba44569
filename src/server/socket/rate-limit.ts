/**
 * The limits a connection applies to what its client sends: token buckets for messages, bytes and joins
 * per second (per connection, and per connection and topic), and the count of open connections per client
 * address of a mount. No timers: a bucket refills from the clock when it is asked.
 */
import type { MessageLimited } from "../../telemetry/events.js";

/** Rate limits of one connection, or of one topic of a connection (the `rateLimit` socket options). */
export interface RateLimitOptions {
  /** Client messages per second (heartbeats and leaves are never limited). @defaultValue no limit */
  messagesPerSec?: number;
  /** Bytes of client frames per second. @defaultValue no limit */
  bytesPerSec?: number;
  /** Joins per second (per connection only; ignored in `topicRateLimit`). @defaultValue no limit */
  joinsPerSec?: number;
  /** How many seconds of allowance a quiet client may spend at once (the bucket's size). @defaultValue 1 */
  burst?: number;
}

/** @internal Rate limits resolved: 0 means no limit. */
export interface RateLimit {
  readonly messagesPerSec: number;
  readonly bytesPerSec: number;
  readonly joinsPerSec: number;
  readonly burst: number;
}

/** Which limit refused a client message (the `limit` of the `fenix:socket:limited` telemetry event). */
export type LimitName = MessageLimited["limit"];

/** The default `maxTopicLength` and `maxEventLength` (bytes). */
export const DEFAULT_MAX_NAME_LENGTH = 255;

/** Tokens are counted in thousandths, so that a rate in units per second refills `rate` of them per ms. */
const SCALE = 1000;

/**
 * @internal A token bucket refilled at `rate` units per second up to `rate × burst` units (at least one).
 * A cost above the bucket's size is let through on a full bucket and paid for as a debt.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #capacity: number;
  #tokens: number;
  #last: number;

  constructor(rate: number, burst: number, now: number) {
    this.#rate = rate;
    this.#capacity = Math.max(SCALE, Math.round(rate * burst * SCALE));
    this.#tokens = this.#capacity;
    this.#last = now;
  }

  /** How long (ms) until `cost` units can be taken; 0 when they can be now. Takes nothing. */
  wait(cost: number, now: number): number {
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#rate);
      this.#last = now;
    }
    const need = Math.min(cost * SCALE, this.#capacity);
    return this.#tokens >= need ? 0 : Math.max(1, Math.ceil((need - this.#tokens) / this.#rate));
  }

  /** Takes `cost` units (after a {@link TokenBucket.wait} of 0). */
  take(cost: number): void {
    this.#tokens -= cost * SCALE;
  }
}

/** @internal The buckets of one connection, or of one topic of a connection; `null` for a limit that is off. */
export class RateBuckets {
  readonly messages: TokenBucket | null;
  readonly bytes: TokenBucket | null;
  readonly joins: TokenBucket | null;

  constructor(limit: RateLimit, now: number, joins: boolean) {
    this.messages = limit.messagesPerSec > 0 ? new TokenBucket(limit.messagesPerSec, limit.burst, now) : null;
    this.bytes = limit.bytesPerSec > 0 ? new TokenBucket(limit.bytesPerSec, limit.burst, now) : null;
    this.joins = joins && limit.joinsPerSec > 0 ? new TokenBucket(limit.joinsPerSec, limit.burst, now) : null;
  }
}

/**
 * @internal Counts the open connections of each client address on one mount (both transports). An address
 * leaves the map when its count falls to zero.
 */
export class AddressConnections {
  readonly max: number;
  readonly #open = new Map<string, number>();

  constructor(max: number) {
    this.max = max;
  }

  /** Takes a slot for `address`: a function that gives it back (idempotent), or `null` when the address is at the limit. */
  take(address: string): (() => void) | null {
    const count = this.#open.get(address) ?? 0;
    if (count >= this.max) return null;
    this.#open.set(address, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(address) ?? 1) - 1;
      if (left <= 0) this.#open.delete(address);
      else this.#open.set(address, left);
    };
  }

  /** Open connections of `address`. */
  count(address: string): number {
    return this.#open.get(address) ?? 0;
  }
}

/** The UTF-8 length of `text` exceeds `max` bytes (cheap for short text: UTF-8 takes at most 3 bytes per UTF-16 unit). */
export function longerThan(text: string, max: number): boolean {
  if (text.length * 3 <= max) return false;
  if (text.length > max) return true;
  return Buffer.byteLength(text) > max;
}
