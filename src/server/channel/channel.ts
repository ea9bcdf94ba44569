/**
 * The Channel users extend: authorize in `join`, answer client events in `handleIn`, react to process
 * messages in `handleInfo`, rewrite intercepted broadcasts in `handleOut`, clean up in `terminate`. One
 * instance runs per joined topic per connection, inside its own process.
 */
import { isAnyPayload, isBinaryPayload, isJsonObject, type AnyPayload, type Payload, type WireRef } from "../../protocol/message.js";
import type { ExitReason } from "../../runtime/process/exit-reason.js";
import type { Pid } from "../../runtime/process/pid.js";
import type { TimerHandle } from "../../runtime/clock/clock.js";
import { CHANNEL_CONTEXT, type ChannelContext } from "./channel-context.js";
import type { EndpointApi } from "../endpoint/endpoint-context.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import type { HandleInResult, HandleResult, JoinResult } from "./results.js";
import type {
  AnyPushReply,
  ChannelContract,
  JoinParams,
  JoinReply,
  PushArgs,
  ServerEvent,
  ServerEventArgs,
  ServerEventPayload,
  UntypedContract,
} from "../../protocol/contract.js";
import type { HistoryOptions, SlowConsumerPolicy } from "./channel-route.js";
import type { Socket } from "../socket/socket.js";
import { SocketRef } from "./socket-ref.js";
import type { TopicHistory } from "./topic-history.js";

/** The constructor of a {@link Channel} subclass, as used in a socket's routes. */
export interface ChannelClass {
  // Any contract: a route list holds channels of many contracts.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  new (): Channel<object, any>;
  /** Broadcast events that go through `handleOut` instead of the fastlane. */
  readonly intercept: readonly string[];
  /** What the connection of a client that reads too slowly does with this channel's pushes and broadcasts. */
  readonly slowConsumer?: SlowConsumerPolicy;
  /** The history kept for this channel's topics, unless a route says otherwise. */
  readonly history?: HistoryOptions;
}

/**
 * A conversation between one client and the server on one topic.
 *
 * @remarks
 * Each successful join runs in its own process, with its own ordered mailbox: client events, intercepted
 * broadcasts and process messages are handled one at a time, and an async callback is awaited before the
 * next message. A callback that throws ends only this channel: the client receives `phx_error` and
 * rejoins; the socket and its other channels carry on.
 *
 * Broadcasts on the topic reach the client without entering this process (the fastlane), unless the event
 * is listed in `static intercept`, in which case {@link Channel.handleOut} decides what to push.
 *
 * @example
 * ```ts
 * class RoomChannel extends Channel<{ name: string }> {
 *   override join(topic: string, payload: JsonObject) {
 *     if (typeof payload.name !== "string") return error({ reason: "invalid name" });
 *     this.assigns.name = payload.name;
 *     return ok();
 *   }
 *   override handleIn(event: string, payload: Payload) {
 *     if (event !== "new_msg") return reply("error", { reason: "unknown event" });
 *     this.broadcast("new_msg", { name: this.assigns.name, body: (payload as JsonObject).body });
 *     return reply("ok");
 *   }
 * }
 * ```
 */
export abstract class Channel<A extends object = Record<string, unknown>, C extends ChannelContract = UntypedContract> {
  /** Broadcast events this channel handles in {@link Channel.handleOut}. @defaultValue none */
  static intercept: readonly string[] = [];

  /**
   * What a connection does with this channel's pushes and broadcasts when its client reads more slowly
   * than the server writes: `"disconnect"` (close with 1013), `"dropOldest"` or `"keepLatest"` (per
   * event). A route's own `slowConsumer` option wins over it. See {@link SlowConsumerPolicy}.
   * @defaultValue "disconnect"
   */
  static slowConsumer: SlowConsumerPolicy = "disconnect";

  /**
   * Keep a history of this channel's topics (`{size, ttlMs}`): every broadcast gets a position, clients
   * that rejoin with `since` get what they missed, and {@link Channel.history} reads it. A route's own
   * `history` option wins over it. See docs/history.md.
   * @defaultValue none
   */
  static history?: HistoryOptions;

  /** State of this channel, starting as a copy of the socket's assigns. */
  assigns: A = {} as A;

  /** @internal */
  [CHANNEL_CONTEXT]!: ChannelContext;

  /** The topic this channel serves, such as `"room:lobby"`. */
  get topic(): string {
    return this[CHANNEL_CONTEXT].topic;
  }

  /** The join reference of this incarnation (every rejoin gets a new one), as the client sent it. */
  get joinRef(): WireRef {
    return this[CHANNEL_CONTEXT].joinRef;
  }

  /** This channel's process id: send it messages to reach {@link Channel.handleInfo}. */
  get pid(): Pid {
    return this[CHANNEL_CONTEXT].pid;
  }

  /** The connection this channel was joined over (its `assigns`, `id()`). */
  get socket(): Socket {
    return this[CHANNEL_CONTEXT].host.socket as Socket;
  }

  /** The endpoint, to broadcast on other topics. */
  get endpoint(): EndpointApi {
    return this[CHANNEL_CONTEXT].endpoint;
  }

  /**
   * Authorizes the client and sets up the channel.
   *
   * @returns `ok(response?)` or nothing to accept, `error(response)` to refuse. A throw refuses with
   * `{reason: "join crashed"}`. Pushing or broadcasting is not possible yet: send yourself a message
   * (`this.send(...)`) and push from `handleInfo`, which runs right after the join reply.
   * @param payload - the join params as the client sent them: a JSON object from the official clients, but
   *   any JSON value or bytes (a binary join frame) may arrive, so check before reading fields.
   */
  abstract join(topic: string, payload: JoinParams<C>): JoinResult<JoinReply<C>> | Promise<JoinResult<JoinReply<C>>>;

  /**
   * Handles an event pushed by the client.
   *
   * @returns `reply(status, response?)`, `noReply()` (or nothing), or `stop(reason, reply?)`.
   * @defaultValue ends the channel with `FENIX_ERR_SERVER_NO_HANDLE_IN`: a channel that receives client
   * events must implement this.
   */
  handleIn(...args: PushArgs<C>): HandleInResult<AnyPushReply<C>> | Promise<HandleInResult<AnyPushReply<C>>> {
    const event = (args as unknown[])[0] as string;
    throw new ServerError(
      ServerErrorCode.NO_HANDLE_IN,
      `${this.constructor.name} received event "${event}" on "${this.topic}" but does not implement handleIn().`,
    );
  }

  /**
   * Handles a message sent to this channel's process (by `this.send`, a timer, another process, or a
   * PubSub subscription of its own).
   *
   * @returns nothing to carry on, or `stop(reason)`.
   * @defaultValue ignores the message
   */
  handleInfo(message: unknown): HandleResult | Promise<HandleResult> {
    void message;
  }

  /**
   * Handles a broadcast of an event listed in `static intercept` before it reaches the client.
   *
   * @returns nothing to carry on (push a changed message, or nothing to drop it), or `stop(reason)`.
   * @defaultValue pushes the broadcast unchanged
   */
  handleOut(...args: ServerEventArgs<C>): HandleResult | Promise<HandleResult> {
    const [event, payload] = args as unknown as [string, Payload];
    this.#pushUnchecked(event, payload);
  }

  /**
   * Opts the channel in to presence: the key to track the client under (a user id, a name), or `null`
   * not to track. When it returns a key, every successful join tracks the channel under it on the
   * endpoint's presence ({@link Channel.presenceMeta} as its meta) and pushes `presence_state` right
   * after the join reply — rejoins included, as clients need. The presence leaves when the channel ends.
   * Use `this.endpoint.presence` for the rest (`update`, `untrack`, `list`).
   * @defaultValue `null`: not tracked
   */
  presenceKey(): string | number | null {
    return null;
  }

  /**
   * The meta tracked with {@link Channel.presenceKey}, read at each join.
   * @defaultValue `{ online_at: <ms since the epoch> }`
   */
  presenceMeta(): { [key: string]: unknown } {
    return { online_at: Date.now() };
  }

  /**
   * Called once when the channel ends after a successful join: on leave, on stop, when the client
   * disconnects (`{shutdown: "closed"}`), on a crash (the error). Errors thrown here are logged.
   */
  terminate(reason: ExitReason): void | Promise<void> {
    void reason;
  }

  /** Sends an event to this client only (an event of the contract's `events`, with its payload). */
  push<E extends ServerEvent<C>>(event: E, payload: ServerEventPayload<C, E> = EMPTY_PAYLOAD as ServerEventPayload<C, E>): void {
    this.#pushUnchecked(event, payload);
  }

  #pushUnchecked(event: string, payload: unknown): void {
    const ctx = this.#joined("push");
    assertPayload(payload, "push");
    const message = { joinRef: ctx.joinRef, ref: ctx.takePushRef(), topic: ctx.topic, event, payload };
    ctx.host.write(ctx.host.serializer.encodePush(message), ctx.topic, event);
  }

  /**
   * Reads the newest broadcasts kept for this channel's topic (its route must keep history), oldest first,
   * with the topic's position. Called in `join` (to send recent messages in the join reply), it also sets
   * where this client's catch-up starts: whatever is broadcast after the read reaches the client, once.
   * @throws ServerError `FENIX_ERR_SERVER_NO_HISTORY` (rejected) when the route keeps no history.
   * @example
   * ```ts
   * override async join() {
   *   const { messages } = await this.history({ limit: 50 });
   *   return ok({ messages: messages.map((m) => m.payload) });
   * }
   * ```
   */
  history(options: { readonly limit?: number } = {}): Promise<TopicHistory> {
    return this[CHANNEL_CONTEXT].readHistory(options.limit);
  }

  /** Sends an event to every client joined to this topic, on every node, this client included. */
  broadcast<E extends ServerEvent<C>>(event: E, payload: ServerEventPayload<C, E> = EMPTY_PAYLOAD as ServerEventPayload<C, E>): void {
    const ctx = this.#joined("broadcast");
    ctx.endpoint.broadcast(ctx.topic, event, payload as Payload);
  }

  /** Like {@link Channel.broadcast}, but not to this client. */
  broadcastFrom<E extends ServerEvent<C>>(event: E, payload: ServerEventPayload<C, E> = EMPTY_PAYLOAD as ServerEventPayload<C, E>): void {
    const ctx = this.#joined("broadcastFrom");
    ctx.endpoint.broadcastFrom(ctx.pid, ctx.topic, event, payload as Payload);
  }

  /** Like {@link Channel.broadcast}, but only to clients connected to this node. */
  localBroadcast<E extends ServerEvent<C>>(event: E, payload: ServerEventPayload<C, E> = EMPTY_PAYLOAD as ServerEventPayload<C, E>): void {
    const ctx = this.#joined("localBroadcast");
    ctx.endpoint.localBroadcast(ctx.topic, event, payload as Payload);
  }

  /**
   * Captures the push being handled so it can be answered later, from any code, with `ref.reply(...)`.
   * Only valid inside `handleIn`.
   */
  socketRef(): SocketRef {
    const ctx = this.#joined("socketRef");
    if (ctx.current === null) {
      throw new ServerError(
        ServerErrorCode.NOT_IN_HANDLE_IN,
        "socketRef() refers to the client push being handled, so it can only be called inside handleIn().",
      );
    }
    return new SocketRef(ctx, ctx.current.ref);
  }

  /** Sends a message to this channel's own process; it arrives in {@link Channel.handleInfo}. */
  send(message: unknown): void {
    const ctx = this[CHANNEL_CONTEXT];
    ctx.endpoint.runtime.send(ctx.pid, message);
  }

  /** Sends a message to this channel's own process after `ms` milliseconds (on the runtime's clock). */
  sendAfter(message: unknown, ms: number): TimerHandle {
    const ctx = this[CHANNEL_CONTEXT];
    return ctx.endpoint.runtime.sendAfter(ctx.pid, message, ms);
  }

  #joined(what: string): ChannelContext {
    const ctx = this[CHANNEL_CONTEXT];
    if (!ctx.joined) {
      throw new ServerError(
        ServerErrorCode.NOT_JOINED,
        `${what}() is not possible before the join has completed or after the channel ended; to push right ` +
          `after joining, call this.send(message) in join() and push from handleInfo().`,
      );
    }
    return ctx;
  }
}

const EMPTY_PAYLOAD: Payload = Object.freeze({});

/** Whether a channel class opts in to presence (overrides {@link Channel.presenceKey}). */
export function tracksPresence(channelClass: ChannelClass): boolean {
  const prototype = (channelClass as unknown as { prototype: Channel }).prototype;
  return prototype.presenceKey !== Channel.prototype.presenceKey;
}

/** @internal Replies may answer with any JSON value or bytes. */
export function assertReplyPayload(payload: unknown): asserts payload is AnyPayload {
  if (!isAnyPayload(payload)) {
    throw new ServerError(ServerErrorCode.BAD_PAYLOAD, `reply() takes a JSON value or a Uint8Array as response; got ${typeof payload}.`);
  }
}

/** @internal */
export function assertPayload(payload: unknown, what: string): asserts payload is Payload {
  if (!isJsonObject(payload) && !isBinaryPayload(payload)) {
    throw new ServerError(
      ServerErrorCode.BAD_PAYLOAD,
      `${what}() takes a JSON object or a Uint8Array as payload; got ${Array.isArray(payload) ? "an array" : typeof payload}.`,
    );
  }
}
