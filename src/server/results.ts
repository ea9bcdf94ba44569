/**
 * The values channel callbacks return: a join is accepted or refused; a client event gets a reply, no
 * reply, or stops the channel (optionally replying first).
 */
import type { AnyPayload, JsonObject } from "../protocol/message.js";
import type { ExitReason } from "../runtime/exit-reason.js";

/** A join accepted, with the response the client's join reply carries. */
export interface JoinOk {
  readonly kind: "ok";
  readonly response: AnyPayload;
}
/** A join refused; the client's join reply has status `"error"` and this response. */
export interface JoinError {
  readonly kind: "error";
  readonly response: AnyPayload;
}
/** A reply to the client's push, with any status (`"ok"`, `"error"` or your own). */
export interface ReplyResult {
  readonly kind: "reply";
  readonly status: string;
  readonly response: AnyPayload;
}
/** No reply now; the channel may answer later through a {@link SocketRef}, or let the push time out. */
export interface NoReplyResult {
  readonly kind: "noreply";
}
/** Ends the channel with `reason`, after sending `reply` if one is given. */
export interface StopResult {
  readonly kind: "stop";
  readonly reason: ExitReason;
  readonly reply: { readonly status: string; readonly response: AnyPayload } | undefined;
}

/** What `Channel.join` may return (nothing means {@link ok} with an empty response). */
export type JoinResult = JoinOk | JoinError | void;
/** What `Channel.handleIn` may return (nothing means {@link noReply}). */
export type HandleInResult = ReplyResult | NoReplyResult | StopResult | void;
/** What `handleInfo` and `handleOut` may return (nothing means carry on). */
export type HandleResult = NoReplyResult | StopResult | void;

const EMPTY: JsonObject = Object.freeze({}) as JsonObject;

/**
 * Accepts a join.
 * @example `join() { return ok({ history: [] }); }`
 */
export function ok(response: AnyPayload = EMPTY): JoinOk {
  return { kind: "ok", response };
}

/**
 * Refuses a join.
 * @example `join(_topic, payload) { return error({ reason: "unauthorized" }); }`
 */
export function error(response: AnyPayload = EMPTY): JoinError {
  return { kind: "error", response };
}

/**
 * Replies to the push being handled, with any status string.
 * @example `handleIn(event, payload) { return reply("ok", { id: 42 }); }`
 */
export function reply(status: string, response: AnyPayload = EMPTY): ReplyResult {
  return { kind: "reply", status, response };
}

/** Sends no reply (the same as returning nothing). */
export function noReply(): NoReplyResult {
  return NO_REPLY;
}
const NO_REPLY: NoReplyResult = Object.freeze({ kind: "noreply" });

/**
 * Ends the channel. `"normal"`, `"shutdown"` and `shutdown(detail)` close it (`phx_close`, no rejoin);
 * any other reason errors it (`phx_error`, the client rejoins).
 *
 * @param replyWith - a reply sent to the push before the channel ends.
 */
export function stop(reason: ExitReason = "normal", replyWith?: { status: string; response?: AnyPayload }): StopResult {
  return {
    kind: "stop",
    reason,
    reply: replyWith === undefined ? undefined : { status: replyWith.status, response: replyWith.response ?? EMPTY },
  };
}
