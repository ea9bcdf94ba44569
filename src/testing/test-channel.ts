/**
 * One joined topic of a test socket, seen from the client: push and await replies, assert the pushes,
 * broadcasts, close and crash the server sends, follow the presence list, leave. What the channel sends
 * arrives through the real serializer, in order; assertions consume what they match.
 */
import type { JsonObject, Message, Payload } from "../protocol/message.js";
import { Reserved } from "../protocol/reserved.js";
import type { PresenceGroup, Presences } from "../presence/payload.js";
import type { Pid } from "../runtime/process/pid.js";
import type { Channel } from "../server/channel/channel.js";
import type { ChannelServer } from "../server/channel/channel-server.js";
import { Arrivals, type Arrival } from "./arrivals.js";
import { describeValue } from "./describe-value.js";
import { TestingError, TestingErrorCode } from "./errors.js";
import type { EventMap, JoinReply, PushEvent, PushPayload, PushReply, ServerEvent, ServerEventPayload, TestPayload, UntypedEvents } from "./event-map.js";
import { matches, mismatch, type Match } from "./match.js";
import { PresenceSync } from "./presence-sync.js";
import type { Settler } from "./settler.js";
import type { TestEndpoint } from "./test-endpoint.js";
import { TestPush, replyWaiter, type ReplyWaiter, type TestReply } from "./test-push.js";
import { windowOf, type AssertOptions, type RefuteOptions, type Timeouts } from "./timeouts.js";
import type { TopicSubscription } from "./topic-subscription.js";

/**
 * Where a test channel is: joined, closed by the server (`phx_close`: it stopped or the client left),
 * crashed (`phx_error`), or cut off because its socket closed.
 */
export type TestChannelState = "joined" | "closed" | "crashed" | "disconnected";

/** @internal What a test channel needs from its socket. */
export interface SocketPort {
  readonly settler: Settler;
  readonly timeouts: Timeouts;
  readonly endpoint: TestEndpoint;
  /** A new ref for a message of this socket. */
  nextRef(): string;
  /** Sends a client message. @throws TestingError `FENIX_ERR_TESTING_BAD_STATE` once the socket is closed. */
  send(message: Message): void;
  /** The reply to `ref`, once it has arrived. */
  replyTo(ref: string): TestReply | undefined;
  /** The socket's state, for failure messages (e.g. "the server closed the socket with 1001"). */
  describeState(): string;
}

function toPayload(payload: TestPayload): Payload {
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (payload instanceof Uint8Array || (typeof payload === "object" && payload !== null && !Array.isArray(payload))) return payload;
  throw new TestingError(
    TestingErrorCode.BAD_ARGUMENT,
    `A payload is a JSON object, a Uint8Array or an ArrayBuffer; got ${Array.isArray(payload) ? "an array" : typeof payload}.`,
  );
}

/**
 * A topic joined by a test socket.
 *
 * @remarks
 * Everything the server sends on the topic arrives here in order: pushes (`this.push`), broadcasts that
 * reached the client (through the fastlane or `handleOut`), `presence_state` / `presence_diff`, and
 * `phx_close` / `phx_error`. `assertPush` takes the first unconsumed push that matches; `refutePush`
 * fails if one is there or comes within its window. Broadcasts on the topic's PubSub are also recorded
 * on their own, from just before the join (`assertBroadcast`), whoever they reach.
 *
 * @example
 * ```ts
 * declare const socket: TestSocket;
 * const room = await socket.join("room:lobby", { name: "ada" });
 * await room.push("new_msg", { body: "hi" }).assertReply("ok");
 * await room.assertBroadcast("new_msg", { name: "ada", body: "hi" });
 * await room.assertPush("new_msg", { body: "hi" });
 * await room.leave();
 * await room.assertClose();
 * ```
 */
export class TestChannel<E extends EventMap = UntypedEvents> {
  /** The topic joined. */
  readonly topic: string;
  /** The join ref of this incarnation (it is also the ref of the join message). */
  readonly joinRef: string;
  /** The response of the ok join reply. */
  readonly joinResponse: JoinReply<E>;
  readonly #port: SocketPort;
  readonly #subscription: TopicSubscription<E>;
  readonly #server: ChannelServer | undefined;
  readonly #pushes: Arrivals;
  readonly #presence = new PresenceSync();
  #state: TestChannelState = "joined";
  readonly #waiter: ReplyWaiter;

  /** @internal Made by `TestSocket.join`. */
  constructor(port: SocketPort, topic: string, joinRef: string, joinResponse: Payload, subscription: TopicSubscription<E>, server: ChannelServer | undefined) {
    this.topic = topic;
    this.joinRef = joinRef;
    this.joinResponse = joinResponse as JoinReply<E>;
    this.#port = port;
    this.#subscription = subscription;
    this.#server = server;
    this.#pushes = new Arrivals(
      { noun: "push", place: `on "${topic}"`, missing: TestingErrorCode.PUSH_NOT_RECEIVED, unexpected: TestingErrorCode.UNEXPECTED_PUSH },
      port.settler,
    );
    this.#waiter = replyWaiter(port.settler, port.timeouts, port.replyTo, () => this.#describe());
  }

  /** Where the channel is (see {@link TestChannelState}). */
  get state(): TestChannelState {
    return this.#state;
  }

  /**
   * The pid of the channel's process (also after it ended).
   * @throws TestingError `FENIX_ERR_TESTING_BAD_STATE` when the process had ended before the test saw the join reply.
   */
  get pid(): Pid {
    return this.#channelServer().pid;
  }

  /**
   * The user's Channel instance serving this topic: read its `assigns`, or call its methods.
   * @example
   * ```ts
   * declare const room: TestChannel;
   * room.channel.assigns; // { user: "ada", … }
   * ```
   */
  get channel(): Channel {
    return this.#channelServer().channel as Channel;
  }

  /** Pushes received and not yet consumed by an assertion, oldest first. */
  get pushes(): readonly Arrival[] {
    return this.#pushes.items;
  }

  /** Broadcasts seen on the topic since the join and not yet asserted, oldest first. */
  get broadcasts(): readonly Arrival[] {
    return this.#subscription.broadcasts;
  }

  /**
   * Pushes an event to the channel (its `handleIn`), through the serializer — a `Uint8Array` or
   * `ArrayBuffer` goes as a binary frame. Await the result for the reply.
   * @throws TestingError `FENIX_ERR_TESTING_BAD_STATE` when the socket is closed.
   */
  push<K extends PushEvent<E>>(event: K, payload?: PushPayload<E, K>): TestPush<PushReply<E, K>> {
    const body = toPayload((payload ?? {}) as TestPayload);
    const ref = this.#port.nextRef();
    this.#port.send({ joinRef: this.joinRef, ref, topic: this.topic, event, payload: body });
    return new TestPush<PushReply<E, K>>(event, ref, this.#waiter);
  }

  /**
   * Waits for a push of `event` whose payload matches `match` (see `Match`), consumes it and returns its
   * payload.
   * @throws TestingError `FENIX_ERR_TESTING_PUSH_NOT_RECEIVED`, listing the pushes received instead.
   */
  async assertPush<K extends ServerEvent<E>>(event: K, match?: Match<ServerEventPayload<E, K>>, options: AssertOptions = {}): Promise<ServerEventPayload<E, K>> {
    return (await this.#assert(event, match, options)) as ServerEventPayload<E, K>;
  }

  /**
   * Fails if a push of `event` matching `match` is received within the window, or was received and not
   * yet consumed.
   * @throws TestingError `FENIX_ERR_TESTING_UNEXPECTED_PUSH`.
   */
  async refutePush<K extends ServerEvent<E>>(event: K, match?: Match<ServerEventPayload<E, K>>, options: RefuteOptions = {}): Promise<void> {
    await this.#pushes.refute(event, match, windowOf(options.withinMs, this.#port.timeouts.refuteWithinMs, "withinMs"));
  }

  /**
   * Waits for a broadcast of `event` on the topic's PubSub (whoever it reached), consumes it and returns
   * its payload.
   * @throws TestingError `FENIX_ERR_TESTING_BROADCAST_NOT_RECEIVED`.
   */
  assertBroadcast<K extends ServerEvent<E>>(event: K, match?: Match<ServerEventPayload<E, K>>, options?: AssertOptions): Promise<ServerEventPayload<E, K>> {
    return this.#subscription.assertBroadcast(event, match, options);
  }

  /**
   * Fails if a broadcast of `event` matching `match` goes over the topic within the window.
   * @throws TestingError `FENIX_ERR_TESTING_UNEXPECTED_BROADCAST`.
   */
  refuteBroadcast<K extends ServerEvent<E>>(event: K, match?: Match<ServerEventPayload<E, K>>, options?: RefuteOptions): Promise<void> {
    return this.#subscription.refuteBroadcast(event, match, options);
  }

  /**
   * Waits for the `phx_close` that says the channel ended cleanly (it stopped with `"normal"`, `"shutdown"`
   * or `shutdown(…)`, or the client left) and returns its payload.
   * @throws TestingError `FENIX_ERR_TESTING_PUSH_NOT_RECEIVED`.
   */
  async assertClose(options: AssertOptions = {}): Promise<JsonObject> {
    return (await this.#assert(Reserved.CLOSE, undefined, options)) as JsonObject;
  }

  /**
   * Waits for the `phx_error` that says the channel crashed (a callback threw, or it stopped with another
   * reason) and returns its payload, `{ reason: "channel_crash" }`.
   * @throws TestingError `FENIX_ERR_TESTING_PUSH_NOT_RECEIVED`.
   */
  async assertCrash(options: AssertOptions = {}): Promise<JsonObject> {
    return (await this.#assert(Reserved.ERROR, undefined, options)) as JsonObject;
  }

  /**
   * Leaves the topic and waits for the reply; the `phx_close` that follows stays to be asserted with
   * {@link TestChannel.assertClose}.
   * @throws TestingError `FENIX_ERR_TESTING_NO_REPLY`.
   */
  async leave(options: AssertOptions = {}): Promise<TestReply> {
    const ref = this.#port.nextRef();
    this.#port.send({ joinRef: this.joinRef, ref, topic: this.topic, event: Reserved.LEAVE, payload: {} });
    const reply = await new TestPush(Reserved.LEAVE, ref, this.#waiter).reply(options);
    await this.#port.settler.settle();
    return reply;
  }

  /**
   * Broadcasts on the topic as this channel's process would (`this.broadcastFrom` in the channel): every
   * subscriber but this channel receives it.
   */
  broadcastFrom(event: string, payload: Payload = {}): void {
    this.#port.endpoint.broadcastFrom(this.pid, this.topic, event, payload);
  }

  /** The presence list of the topic as a client keeps it from the presence pushes received so far. */
  presence(): Presences {
    return this.#presence.list();
  }

  /**
   * Waits until the presence list has `key`, matching `match` when given (matched against
   * `{ metas: [...] }`, so `{ metas: [{ name: "ada" }] }` asks for exactly one meta), and returns it.
   * @throws TestingError `FENIX_ERR_TESTING_PRESENCE_MISMATCH`.
   */
  async assertPresence(key: string, match?: Match<PresenceGroup>, options: AssertOptions = {}): Promise<PresenceGroup> {
    const window = windowOf(options.timeoutMs, this.#port.timeouts.assertTimeoutMs, "timeoutMs");
    const found = await this.#port.settler.waitUntil(() => {
      const group = this.#presence.get(key);
      return group !== undefined && matches(group, match);
    }, window, "assert");
    const group = this.#presence.get(key);
    if (!found || group === undefined) {
      const why = group === undefined ? "it is not there" : `it is ${describeValue(group)} (${mismatch(group, match) ?? "?"})`;
      throw new TestingError(
        TestingErrorCode.PRESENCE_MISMATCH,
        `Expected presence "${key}"${match === undefined ? "" : ` matching ${describeValue(match)}`} on "${this.topic}" ` +
          `${this.#port.settler.describeWindow(window)}; ${why}.\n${this.#describePresence()}`,
      );
    }
    return structuredClone(group);
  }

  /**
   * Waits until the presence list no longer has `key` (it left, or never came).
   * @throws TestingError `FENIX_ERR_TESTING_PRESENCE_MISMATCH` when it is still there at the end of the window.
   */
  async refutePresence(key: string, options: AssertOptions = {}): Promise<void> {
    const window = windowOf(options.timeoutMs, this.#port.timeouts.assertTimeoutMs, "timeoutMs");
    const gone = await this.#port.settler.waitUntil(() => this.#presence.get(key) === undefined, window, "assert");
    if (!gone) {
      throw new TestingError(
        TestingErrorCode.PRESENCE_MISMATCH,
        `Expected presence "${key}" to be gone from "${this.topic}" ${this.#port.settler.describeWindow(window)}; ` +
          `it is still there: ${describeValue(this.#presence.get(key))}.\n${this.#describePresence()}`,
      );
    }
  }

  /** @internal A push (or a broadcast that reached the client) for this incarnation. */
  receive(event: string, payload: Payload): void {
    if (event === Reserved.CLOSE) this.#state = "closed";
    else if (event === Reserved.ERROR) this.#state = "crashed";
    else if (event === "presence_state") this.#presence.state(payload);
    else if (event === "presence_diff") this.#presence.diff(payload);
    this.#pushes.add({ event, payload });
  }

  /** @internal The socket closed under the channel. */
  disconnected(): void {
    if (this.#state === "joined") this.#state = "disconnected";
  }

  async #assert(event: string, match: unknown, options: AssertOptions): Promise<Payload> {
    return this.#pushes.assert(event, match, windowOf(options.timeoutMs, this.#port.timeouts.assertTimeoutMs, "timeoutMs"));
  }

  #channelServer(): ChannelServer {
    if (this.#server === undefined) {
      throw new TestingError(TestingErrorCode.BAD_STATE, `The process of channel "${this.topic}" had ended before the test saw its join reply.`);
    }
    return this.#server;
  }

  #describe(): string {
    const state = this.#state === "joined" ? "" : `The channel is ${this.#state}. `;
    return `${state}${this.#port.describeState()}\n${this.#pushes.describe()}`;
  }

  #describePresence(): string {
    const keys = Object.keys(this.#presence.list());
    if (!this.#presence.synced) return `No "presence_state" has arrived on "${this.topic}": does the channel push it after its join?`;
    return keys.length === 0 ? "The presence list is empty." : `The presence list has: ${keys.map((k) => JSON.stringify(k)).join(", ")}.`;
  }
}
