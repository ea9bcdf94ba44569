/**
 * Event maps: how a channel is declared with the events it may push (with their payload and reply types)
 * and the events it receives, so that `push` and `on` are checked at compile time. An untyped channel
 * accepts any event.
 */
import type { ChannelContract } from "../protocol/contract.js";
import type { JsonObject } from "../protocol/message.js";

/** What a push may carry: a JSON object, or bytes (sent as a binary frame). */
export type ClientPayload = JsonObject | ArrayBuffer | Uint8Array;

/** What the server may send: a JSON object, or bytes (`Uint8Array`) from a binary frame. */
export type ServerPayload = JsonObject | Uint8Array;

/**
 * The shape of an event map: the channel contract shared with the server (`Channel<Assigns, Contract>`).
 * `pushes` names the events the client pushes (each with `payload` and `reply`), `events` the events the
 * server sends, each with its payload type, and `join` the join params and join reply.
 *
 * @example
 * ```ts
 * interface ChatEvents {
 *   join: { params: { name: string }; reply: { history: string[] } };
 *   pushes: { new_msg: { payload: { body: string }; reply: {} } };
 *   events: { new_msg: { name: string; body: string; at: number } };
 * }
 * const channel = socket.channel<ChatEvents>("room:lobby", { name: "ada" });
 * ```
 */
export type EventMap = ChannelContract;

/** The event map of an untyped channel: any event, JSON or bytes both ways. */
export interface UntypedEvents {
  pushes: { [event: string]: { payload: ClientPayload; reply: ServerPayload } };
  events: { [event: string]: ServerPayload };
}

type PushesOf<E extends EventMap> = E extends { pushes: infer P } ? P : object;
type EventsOf<E extends EventMap> = E extends { events: infer V } ? V : object;

/** The names of the events a channel of map `E` may push. */
export type PushEvent<E extends EventMap> = keyof PushesOf<E> & string;

/** The payload type of pushed event `K`. */
export type PushPayload<E extends EventMap, K extends PushEvent<E>> = PushesOf<E>[K] extends { payload: infer P } ? P : never;

/** The reply type of pushed event `K` (the `response` of an `"ok"` reply). */
export type PushReply<E extends EventMap, K extends PushEvent<E>> = PushesOf<E>[K] extends { reply: infer R } ? R : never;

/** The names of the events a channel of map `E` receives. */
export type ServerEvent<E extends EventMap> = keyof EventsOf<E> & string;

/** The payload type of received event `K`. */
export type ServerEventPayload<E extends EventMap, K extends ServerEvent<E>> = EventsOf<E>[K];
