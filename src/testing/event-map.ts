/**
 * Event maps for typed channel tests: the same shape as `fenix/client`'s, so one interface declares a
 * channel's join reply, the events a client pushes (with their payload and reply) and the events the
 * server sends, and types both the browser code and its tests.
 */
import type { JsonObject, Payload } from "../protocol/message.js";

/** What a test may push: a JSON object, or bytes (sent as a binary frame). */
export type TestPayload = JsonObject | Uint8Array | ArrayBuffer;

/**
 * The shape of an event map: `join.reply` is the response of an ok join, `pushes` names the events the
 * client pushes (each with `payload` and `reply`, the response of an ok reply), `events` the events the
 * server sends, each with its payload type.
 *
 * @example
 * ```ts
 * interface RoomEvents {
 *   join: { reply: { name: string } };
 *   pushes: { new_msg: { payload: { body: string }; reply: Record<string, never> } };
 *   events: { new_msg: { name: string; body: string; at: number } };
 * }
 * declare const socket: TestSocket;
 * const room = await socket.join<RoomEvents>("room:lobby", { name: "ada" });
 * ```
 */
export interface EventMap {
  readonly join?: { readonly reply?: unknown };
  readonly pushes?: object;
  readonly events?: object;
}

/** The event map of an untyped test channel: any event, JSON or bytes both ways. */
export interface UntypedEvents {
  pushes: { [event: string]: { payload: TestPayload; reply: Payload } };
  events: { [event: string]: Payload };
}

type PushesOf<E extends EventMap> = E extends { pushes: infer P } ? P : UntypedEvents["pushes"];
type EventsOf<E extends EventMap> = E extends { events: infer V } ? V : UntypedEvents["events"];

/** The response of an ok join: `E["join"]["reply"]` when the map declares it. */
export type JoinReply<E extends EventMap> = E extends { join: { reply: infer R } } ? R : Payload;

/** The names of the events a channel of map `E` may push. */
export type PushEvent<E extends EventMap> = keyof PushesOf<E> & string;

/** The payload type of pushed event `K`. */
export type PushPayload<E extends EventMap, K extends PushEvent<E>> = PushesOf<E>[K] extends { payload: infer P } ? P : TestPayload;

/** The response type of an ok reply to pushed event `K`. */
export type PushReply<E extends EventMap, K extends PushEvent<E>> = PushesOf<E>[K] extends { reply: infer R } ? R : Payload;

/** The names of the events a channel of map `E` receives. */
export type ServerEvent<E extends EventMap> = keyof EventsOf<E> & string;

/** The payload type of received event `K`. */
export type ServerEventPayload<E extends EventMap, K extends ServerEvent<E>> = EventsOf<E>[K];
