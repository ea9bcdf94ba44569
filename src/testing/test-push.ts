/**
 * One push of a test client and its reply: await it for `{ status, response }`, or assert on the reply
 * directly. The frame is sent when the push is made; only the waiting is lazy.
 */
import type { Payload } from "../protocol/message.js";
import { describeValue } from "./describe-value.js";
import { TestingError, TestingErrorCode } from "./errors.js";
import { mismatch, type Match } from "./match.js";
import type { Settler, WaitMode } from "./settler.js";
import { windowOf, type AssertOptions, type RefuteOptions, type Timeouts } from "./timeouts.js";

/** A reply from the server: its status (`"ok"`, `"error"` or any string the channel chose) and response. */
export interface TestReply<R = Payload> {
  readonly status: string;
  readonly response: R;
}

/** @internal What a push needs from its socket and channel. */
export interface ReplyWaiter {
  /** Waits for the reply to `ref`; `null` when none came within the window. */
  waitReply(ref: string, windowMs: number, mode: WaitMode): Promise<TestReply | null>;
  /** Why no reply may have come: the channel's state and what it received, for failure messages. */
  describeNoReply(): string;
  readonly replyTimeoutMs: number;
  readonly refuteWithinMs: number;
  describeWindow(ms: number): string;
}

/**
 * @internal A {@link ReplyWaiter} over a socket's replies (`replyTo(ref)` is the reply once it has
 * arrived) that explains a missing reply with `describe()`.
 */
export function replyWaiter(settler: Settler, timeouts: Timeouts, replyTo: (ref: string) => TestReply | undefined, describe: () => string): ReplyWaiter {
  return {
    waitReply: async (ref, windowMs, mode) => {
      let reply: TestReply | undefined;
      await settler.waitUntil(() => (reply = replyTo(ref)) !== undefined, windowMs, mode);
      return reply ?? null;
    },
    describeNoReply: describe,
    replyTimeoutMs: timeouts.replyTimeoutMs,
    refuteWithinMs: timeouts.refuteWithinMs,
    describeWindow: (ms) => settler.describeWindow(ms),
  };
}

/** The response type `assertReply(status)` resolves with: the map's reply type for `"ok"`, any payload otherwise. */
export type ReplyResponse<R, S extends string> = S extends "ok" ? R : Payload;

/**
 * A push sent by a test channel; awaiting it waits for its reply.
 *
 * @remarks
 * `await room.push("ping")` resolves with the reply, whatever its status, or rejects with
 * `FENIX_ERR_TESTING_NO_REPLY` after the reply window (1 s by default). {@link TestPush.assertReply}
 * also checks the status and response. A push answered later (a socket ref) is waited for in the same
 * way: on a virtual clock, timers due within the window fire while it waits.
 *
 * @example
 * ```ts
 * declare const room: TestChannel;
 * const reply = await room.push("ping", { at: 1 }); // { status: "ok", response: { pong: 1 } }
 * await room.push("ping", { at: 2 }).assertReply("ok", { pong: 2 });
 * await room.push("forbidden").assertReply("error", { reason: "unauthorized" });
 * ```
 */
export class TestPush<R = Payload> implements PromiseLike<TestReply<R>> {
  /** The event pushed. */
  readonly event: string;
  /** The ref of the push, which its reply carries. */
  readonly ref: string;
  readonly #waiter: ReplyWaiter;
  #reply: Promise<TestReply<R>> | null = null;

  /** @internal Made by `TestChannel.push`. */
  constructor(event: string, ref: string, waiter: ReplyWaiter) {
    this.event = event;
    this.ref = ref;
    this.#waiter = waiter;
  }

  /**
   * Waits for the reply.
   * @throws TestingError `FENIX_ERR_TESTING_NO_REPLY` when none arrives within the window.
   */
  reply(options: AssertOptions = {}): Promise<TestReply<R>> {
    if (options.timeoutMs === undefined && this.#reply !== null) return this.#reply;
    const window = windowOf(options.timeoutMs, this.#waiter.replyTimeoutMs, "timeoutMs");
    const reply = this.#waitReply(window);
    if (options.timeoutMs === undefined) this.#reply = reply;
    return reply;
  }

  then<T1 = TestReply<R>, T2 = never>(
    onFulfilled?: ((value: TestReply<R>) => T1 | PromiseLike<T1>) | null,
    onRejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.reply().then(onFulfilled, onRejected);
  }

  /**
   * Waits for the reply and checks its status and, when given, its response (see `Match`).
   * @returns the response.
   * @throws TestingError `FENIX_ERR_TESTING_NO_REPLY` (no reply in the window) or
   *   `FENIX_ERR_TESTING_REPLY_MISMATCH` (another status, or a response that does not match).
   */
  async assertReply<S extends string>(status: S, match?: Match<ReplyResponse<R, S>>, options: AssertOptions = {}): Promise<ReplyResponse<R, S>> {
    const reply = await this.reply(options);
    const wrongStatus = reply.status !== status;
    const why = wrongStatus ? null : match === undefined ? null : mismatch(reply.response, match);
    if (wrongStatus || why !== null) {
      throw new TestingError(
        TestingErrorCode.REPLY_MISMATCH,
        `Expected the reply to push "${this.event}" (ref ${this.ref}) to be "${status}"` +
          `${match === undefined ? "" : ` matching ${describeValue(match)}`}; it was "${reply.status}" ${describeValue(reply.response)}` +
          `${why === null ? "" : ` (${why})`}.`,
      );
    }
    return reply.response as ReplyResponse<R, S>;
  }

  /**
   * Fails if a reply to this push arrives within the window (for events answered with `noReply()`).
   * @throws TestingError `FENIX_ERR_TESTING_UNEXPECTED_REPLY`.
   */
  async refuteReply(options: RefuteOptions = {}): Promise<void> {
    const window = windowOf(options.withinMs, this.#waiter.refuteWithinMs, "withinMs");
    const reply = await this.#waiter.waitReply(this.ref, window, "refute");
    if (reply !== null) {
      throw new TestingError(
        TestingErrorCode.UNEXPECTED_REPLY,
        `Expected no reply to push "${this.event}" (ref ${this.ref}) ${this.#waiter.describeWindow(window)}, ` +
          `but one arrived: "${reply.status}" ${describeValue(reply.response)}.`,
      );
    }
  }

  async #waitReply(window: number): Promise<TestReply<R>> {
    const reply = await this.#waiter.waitReply(this.ref, window, "assert");
    if (reply === null) {
      throw new TestingError(
        TestingErrorCode.NO_REPLY,
        `Expected a reply to push "${this.event}" (ref ${this.ref}) ${this.#waiter.describeWindow(window)}; none arrived.\n` +
          this.#waiter.describeNoReply(),
      );
    }
    return reply as TestReply<R>;
  }
}
