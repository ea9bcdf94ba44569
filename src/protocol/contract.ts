/**
 * Channel contracts: one TypeScript type that declares what travels on a channel — the join params and
 * join reply, the events the client pushes (with their payloads and replies) and the events the server
 * pushes or broadcasts. `Channel<Assigns, Contract>` on the server and `socket.channel<Contract>()` in
 * `fenix/client` read the same type, so a wrong event name, payload field or reply field is a compile error
 * on both ends. Types only: nothing here exists at run time.
 */
import type { AnyPayload, Payload } from "./message.js";

/**
 * The shape of a channel contract. Every part is optional; a part left out is untyped (any event, any
 * JSON value or bytes).
 *
 * @example
 * ```ts
 * interface RoomContract {
 *   join: { params: { name: string }; reply: { history: Message[] } };
 *   pushes: {
 *     new_msg: { payload: { body: string }; reply: { id: string } };
 *     upload: { payload: Uint8Array; reply: { bytes: number } }; // a binary event
 *   };
 *   events: { new_msg: Message; typing: { name: string } };
 * }
 * ```
 */
export interface ChannelContract {
  /** The join: what the client sends as join params, and the response of an accepted join. */
  readonly join?: { readonly params?: unknown; readonly reply?: unknown };
  /** Events the client pushes: `{ [event]: { payload; reply } }` (`reply` is the response of an `"ok"` reply). */
  readonly pushes?: object;
  /** Events the server pushes or broadcasts: `{ [event]: payload }`. */
  readonly events?: object;
}

/** The contract of an untyped channel: any event, any payload, both ways. */
export interface UntypedContract {
  join: { params: AnyPayload; reply: AnyPayload };
  pushes: { [event: string]: { payload: AnyPayload; reply: AnyPayload } };
  events: { [event: string]: Payload };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- a channel of any contract, as in a route list */
/** The contract `any` stands for: every part open, so that channels of every contract fit one route list. */
interface AnyContract {
  join: { params: any; reply: any };
  pushes: { [event: string]: { payload: any; reply: any } };
  events: { [event: string]: any };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

type Resolved<C> = 0 extends 1 & C ? AnyContract : C;
type JoinOf<C> = Resolved<C> extends { join: infer J } ? J : UntypedContract["join"];
type PushesOf<C> = Resolved<C> extends { pushes: infer P } ? P : UntypedContract["pushes"];
type EventsOf<C> = Resolved<C> extends { events: infer V } ? V : UntypedContract["events"];

/** The join params of contract `C`. */
export type JoinParams<C extends ChannelContract> = JoinOf<C> extends { params: infer P } ? P : AnyPayload;

/** The response of an accepted join of contract `C`. */
export type JoinReply<C extends ChannelContract> = JoinOf<C> extends { reply: infer R } ? R : AnyPayload;

/** The names of the events the client pushes on a channel of contract `C`. */
export type PushEvent<C extends ChannelContract> = keyof PushesOf<C> & string;

/** The payload of pushed event `E`. */
export type PushPayload<C extends ChannelContract, E extends PushEvent<C>> = PushesOf<C>[E] extends { payload: infer P } ? P : never;

/** The response of an `"ok"` reply to pushed event `E`. */
export type PushReply<C extends ChannelContract, E extends PushEvent<C>> = PushesOf<C>[E] extends { reply: infer R } ? R : never;

/** The names of the events the server pushes or broadcasts on a channel of contract `C`. */
export type ServerEvent<C extends ChannelContract> = keyof EventsOf<C> & string;

/** The payload of server event `E`. */
export type ServerEventPayload<C extends ChannelContract, E extends ServerEvent<C>> = EventsOf<C>[E];

/**
 * The arguments of `handleIn` for contract `C`: one `[event, payload]` tuple per pushed event, so that
 * checking the event narrows the payload.
 *
 * @example
 * ```ts
 * override handleIn(...[event, payload]: PushArgs<RoomContract>) {
 *   if (event === "new_msg") payload.body; // string
 * }
 * ```
 */
export type PushArgs<C extends ChannelContract> = { [E in PushEvent<C>]: [event: E, payload: PushPayload<C, E>] }[PushEvent<C>];

/** The responses any `"ok"` reply of contract `C` may carry (the union over its pushed events). */
export type AnyPushReply<C extends ChannelContract> = { [E in PushEvent<C>]: PushReply<C, E> }[PushEvent<C>];

/** The arguments of `handleOut` for contract `C`: one `[event, payload]` tuple per server event. */
export type ServerEventArgs<C extends ChannelContract> = { [E in ServerEvent<C>]: [event: E, payload: ServerEventPayload<C, E>] }[ServerEvent<C>];
