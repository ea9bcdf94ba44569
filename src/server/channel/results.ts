/**
 * The values channel callbacks return: a join is accepted or refused; a client event gets a reply, no
 * reply, or stops the channel (optionally replying first).
 */
import type { AnyPayload, JsonObject } from "../../protocol/message.js";
import type { ExitReason } from "../../runtime/process/exit-reason.js";

/** Marks `"ok"` replies apart from replies with other statuses, for the type checker only. */
declare const OK_REPLY: unique symbol;

/** A join accepted, with the response the client's join reply carries. */
export interface JoinOk<R = AnyPayload> {
  readonly kind: "ok";
  readonly response: R;
}
/** A join refused; the client's join reply has status `"error"` and this response. */
export interface JoinError {
  readonly kind: "error";
  readonly response: AnyPayload;
}
/** A reply with status `"ok"`: its response is what a typed channel's contract declares for the event. */
export interface OkReply<R = AnyPayload> {
  readonly kind: "reply";
  readonly status: "ok";
  readonly response: R;
  readonly [OK_REPLY]?: true;
}
/** A reply with any other status (`"error"` or your own), with any response. */
export interface StatusReply {
  readonly kind: "reply";
  readonly status: string;
  readonly response: AnyPayload;
  readonly [OK_REPLY]?: false;
}
/** A reply to the client's push, with any status (`"ok"`, `"error"` or your own). */
export type ReplyResult<R = AnyPayload> = OkReply<R> | StatusReply;
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

/**
 * What `Channel.join` may return: `ok(response)`, `error(response)`, or nothing (an empty ok) when the
 * contract's join reply may be empty. `R` is the contract's join reply.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{} extends R`: R has no required field
export type JoinResult<R = AnyPayload> = JoinOk<R> | JoinError | ({} extends R ? void : never);
/** What `Channel.handleIn` may return (nothing means {@link noReply}); `R` is the contract's ok replies. */
export type HandleInResult<R = AnyPayload> = ReplyResult<R> | NoReplyResult | StopResult | void;
/** What `handleInfo` and `handleOut` may return (nothing means carry on). */
export type HandleResult = NoReplyResult | StopResult | void;

const EMPTY: JsonObject = Object.freeze({}) as JsonObject;

/**
 * Accepts a join.
 * @example `join() { return ok({ history: [] }); }`
 */
export function ok<R extends AnyPayload = JsonObject>(response: R = EMPTY as R): JoinOk<R> {
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
export function reply<R extends AnyPayload = JsonObject>(status: "ok", response?: R): OkReply<R>;
export function reply(status: string, response?: AnyPayload): StatusReply;
export function reply(status: string, response: AnyPayload = EMPTY): ReplyResult {
  return { kind: "reply", status, response } as ReplyResult;
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
