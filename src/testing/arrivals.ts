/**
 * What a test channel or topic subscription has received and not yet asserted, in arrival order, with
 * the two waits every assertion is made of: assert (take the first match, or fail listing what came
 * instead) and refute (fail if a match comes within the window).
 */
import type { Payload } from "../protocol/message.js";
import { describeValue } from "./describe-value.js";
import { TestingError, type TestingErrorCode } from "./errors.js";
import { matches, mismatch } from "./match.js";
import type { Settler } from "./settler.js";

/** One event received: a push to the test client, or a broadcast seen on a topic. */
export interface Arrival {
  readonly event: string;
  readonly payload: Payload;
}

/** How the failures of one queue are worded and coded. */
export interface ArrivalKind {
  /** `"push"` or `"broadcast"`. */
  readonly noun: string;
  /** Where they arrive, e.g. `on "room:1"`. */
  readonly place: string;
  /** The code of a failed assert. */
  readonly missing: TestingErrorCode;
  /** The code of a failed refute. */
  readonly unexpected: TestingErrorCode;
}

/** Longest list of arrivals shown in a failure message. */
const MAX_LISTED = 20;

function pattern(match: unknown): string {
  return match === undefined ? "" : ` matching ${describeValue(match)}`;
}

/**
 * A queue of arrivals that assertions consume.
 *
 * @example
 * ```ts
 * declare const settler: Settler;
 * const pushes = new Arrivals({ noun: "push", place: 'on "room:1"', missing: TestingErrorCode.PUSH_NOT_RECEIVED, unexpected: TestingErrorCode.UNEXPECTED_PUSH }, settler);
 * pushes.add({ event: "tick", payload: { n: 1 } });
 * await pushes.assert("tick", { n: 1 }, 100); // { n: 1 }
 * ```
 */
export class Arrivals {
  readonly #items: Arrival[] = [];
  readonly #kind: ArrivalKind;
  readonly #settler: Settler;

  constructor(kind: ArrivalKind, settler: Settler) {
    this.#kind = kind;
    this.#settler = settler;
  }

  /** What arrived and was not consumed by an assertion, oldest first. */
  get items(): readonly Arrival[] {
    return this.#items;
  }

  /** Records an arrival and wakes waits in real time. */
  add(arrival: Arrival): void {
    this.#items.push(arrival);
    this.#settler.notify();
  }

  /** The index of the first arrival of `event` matching `match`, or -1. */
  indexOf(event: string, match: unknown): number {
    return this.#items.findIndex((item) => item.event === event && matches(item.payload, match));
  }

  /**
   * Waits up to `windowMs` for an arrival of `event` matching `match`, removes it and returns its payload.
   * @throws TestingError with the kind's `missing` code, listing what arrived instead.
   */
  async assert(event: string, match: unknown, windowMs: number): Promise<Payload> {
    let index = -1;
    const found = await this.#settler.waitUntil(() => (index = this.indexOf(event, match)) !== -1, windowMs, "assert");
    if (!found) {
      const { noun, place, missing } = this.#kind;
      throw new TestingError(
        missing,
        `Expected a ${noun} "${event}"${pattern(match)} ${place} ${this.#settler.describeWindow(windowMs)}; none arrived.\n` +
          this.describe(event, match),
      );
    }
    return this.#items.splice(index, 1)[0]!.payload;
  }

  /**
   * Waits `windowMs` and fails if an arrival of `event` matching `match` is there (already, or by then).
   * @throws TestingError with the kind's `unexpected` code.
   */
  async refute(event: string, match: unknown, windowMs: number): Promise<void> {
    let index = -1;
    const found = await this.#settler.waitUntil(() => (index = this.indexOf(event, match)) !== -1, windowMs, "refute");
    if (found) {
      const { noun, place, unexpected } = this.#kind;
      const item = this.#items[index]!;
      throw new TestingError(
        unexpected,
        `Expected no ${noun} "${event}"${pattern(match)} ${place} ${this.#settler.describeWindow(windowMs)}, ` +
          `but one arrived: "${item.event}" ${describeValue(item.payload)}.`,
      );
    }
  }

  /** The unconsumed arrivals as failure messages list them; same-event ones say why they did not match. */
  describe(event?: string, match?: unknown): string {
    const { noun, place } = this.#kind;
    const items = this.#items;
    if (items.length === 0) return `No ${noun} ${place} is waiting to be asserted.`;
    const lines = items.slice(0, MAX_LISTED).map((item) => {
      const why = item.event === event && match !== undefined ? mismatch(item.payload, match) : null;
      return `  "${item.event}" ${describeValue(item.payload)}${why === null ? "" : `  (${why})`}`;
    });
    if (items.length > MAX_LISTED) lines.push(`  … and ${items.length - MAX_LISTED} more`);
    return `Received ${place} and not yet asserted (${items.length}):\n${lines.join("\n")}`;
  }
}
