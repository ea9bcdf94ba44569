/**
 * A handle on one client push, to reply to it later and from anywhere (a timer, another process's answer).
 */
import type { AnyPayload, JsonObject, WireRef } from "../../protocol/message.js";
import type { ChannelContext } from "./channel-context.js";

/**
 * Answers a client push after `handleIn` has returned `noReply()`.
 *
 * @remarks
 * Replies go out as long as the channel lives; after it ends they are dropped. Replying more than once
 * sends every copy (the client uses the first).
 *
 * @example
 * ```ts
 * handleIn(event, payload) {
 *   const ref = this.socketRef();
 *   lookup(payload).then((result) => ref.reply("ok", result));
 *   return noReply();
 * }
 * ```
 */
export class SocketRef {
  readonly #ctx: ChannelContext;
  /** The ref of the push this answers. */
  readonly ref: WireRef | null;

  /** @internal */
  constructor(ctx: ChannelContext, ref: WireRef | null) {
    this.#ctx = ctx;
    this.ref = ref;
  }

  /** The topic of the push. */
  get topic(): string {
    return this.#ctx.topic;
  }

  /** Sends the reply. @returns false if the channel has ended and the reply was dropped. */
  reply(status: string, response: AnyPayload = {} as JsonObject): boolean {
    if (!this.#ctx.joined) return false;
    this.#ctx.reply(this.ref, status, response);
    return true;
  }
}
