/**
 * A test client's connection: its own connection process (the real `SocketServer`) behind an
 * in-process transport. It joins topics, routes what the server writes to the right test channel, and
 * can go away or be closed by the server, as a WebSocket client would.
 */
import type { JsonObject, Message, Payload } from "../protocol/message.js";
import { Reserved } from "../protocol/reserved.js";
import type { Pid } from "../runtime/process/pid.js";
import { ChannelServer } from "../server/channel/channel-server.js";
import type { Socket } from "../server/socket/socket.js";
import type { SocketServer } from "../server/socket/socket-server.js";
import { encodeClientFrame, type ServerMessage } from "./client-wire.js";
import { describeValue } from "./describe-value.js";
import { JoinRefusedError, TestingError, TestingErrorCode } from "./errors.js";
import type { EventMap, UntypedEvents } from "./event-map.js";
import type { Settler } from "./settler.js";
import { TestChannel, type SocketPort } from "./test-channel.js";
import type { TestEndpoint } from "./test-endpoint.js";
import { TestPush, replyWaiter, type TestReply } from "./test-push.js";
import type { CloseInfo, TestTransport, TestTransportSink } from "./test-transport.js";
import { windowOf, type AssertOptions, type Timeouts } from "./timeouts.js";
import type { TopicSubscription } from "./topic-subscription.js";

/** The close code a test client goes away with (a normal closure). */
const CLIENT_CLOSE_CODE = 1000;

/** @internal What a test socket needs from its channel test. */
export interface KitPort {
  readonly settler: Settler;
  readonly timeouts: Timeouts;
  readonly endpoint: TestEndpoint;
  subscribe<E extends EventMap>(topic: string): TopicSubscription<E>;
}

/** A join on the wire whose test channel does not exist yet. */
interface PendingJoin {
  readonly topic: string;
  /** Pushes and broadcasts that arrived for it, in order: `[event, payload]`. */
  readonly early: Array<[string, Payload]>;
}

/** The outcome of {@link TestSocket.tryJoin}: the joined channel, or the refusal's response. */
export type TestJoinResult<E extends EventMap = UntypedEvents> =
  | { readonly status: "ok"; readonly response: Payload; readonly channel: TestChannel<E> }
  | { readonly status: "error"; readonly response: Payload; readonly channel?: undefined };

/**
 * A client connected in process, with the Socket instance its `connect` ran on.
 *
 * @remarks
 * Made by `kit.connect(params)` (runs `connect` and `id` as the endpoint would) or
 * `kit.socketFor(assigns)` (skips them). Each join starts a real channel process linked to the
 * connection process; frames go through the V2 serializer both ways.
 *
 * @example
 * ```ts
 * declare const kit: ChannelTest<UserSocket>;
 * const socket = await kit.connect({ token: "ada-token" });
 * socket.socket.assigns.userId; // set by connect
 * const room = await socket.join("room:lobby");
 * await socket.close(); // the client goes away: the channels end with {shutdown: "closed"}
 * ```
 */
export class TestSocket<S extends Socket<object> = Socket<object>> {
  /** The user's Socket instance: `assigns` and `id()` as `connect` left them. */
  readonly socket: S;
  /** The connection's id (`socket.id()`), or `null` for an anonymous one. */
  readonly id: string | null;
  readonly #kit: KitPort;
  readonly #transport: TestTransport;
  #server: SocketServer | null = null;
  #ref = 0;
  readonly #replies = new Map<string, TestReply>();
  readonly #byJoinRef = new Map<string, TestChannel<EventMap>>();
  readonly #byTopic = new Map<string, TestChannel<EventMap>>();
  readonly #stray: string[] = [];
  #closeInfo: CloseInfo | null = null;
  #clientClosed = false;
  readonly #port: SocketPort;

  /** @internal Made by `ChannelTest`. */
  constructor(kit: KitPort, socket: S, id: string | null, transportFor: (sink: TestTransportSink) => TestTransport) {
    this.#kit = kit;
    this.socket = socket;
    this.id = id;
    this.#transport = transportFor({
      message: (message) => this.#message(message),
      closed: (info) => this.#closed(info),
      undecodable: (error) => this.#undecodable(error),
    });
    this.#port = {
      settler: kit.settler,
      timeouts: kit.timeouts,
      endpoint: kit.endpoint,
      nextRef: () => String(++this.#ref),
      send: (message) => this.#send(message),
      replyTo: (ref) => this.#replies.get(ref),
      describeState: () => this.#describeState(),
    };
  }

  /** @internal The transport the connection process writes to. */
  get transport(): TestTransport {
    return this.#transport;
  }

  /** @internal The connection process, once started. */
  attach(server: SocketServer): void {
    this.#server = server;
  }

  /** The pid of the connection process. */
  get pid(): Pid {
    return this.#server!.pid;
  }

  /** How the server closed the connection, or `null` while it has not (a client close is not counted). */
  get closed(): CloseInfo | null {
    return this.#closeInfo;
  }

  /** Whether frames can still be sent: neither side has closed the connection. */
  get open(): boolean {
    return !this.#transport.closed;
  }

  /**
   * Joins `topic` with `payload` (the channel's `join` receives it) and returns the joined channel.
   * @throws JoinRefusedError (`FENIX_ERR_TESTING_JOIN_REFUSED`) when the join is answered with an error;
   *   TestingError `FENIX_ERR_TESTING_NO_REPLY` when it is not answered in the reply window.
   */
  async join<E extends EventMap = UntypedEvents>(topic: string, payload: JsonObject = {}, options: AssertOptions = {}): Promise<TestChannel<E>> {
    const result = await this.tryJoin<E>(topic, payload, options);
    if (result.status === "ok") return result.channel;
    throw new JoinRefusedError(
      topic,
      result.response,
      `Expected to join "${topic}" with ${describeValue(payload)}, but the join was refused: ${describeValue(result.response)}.`,
    );
  }

  /**
   * Joins `topic` and returns the outcome without throwing on a refusal: `{ status: "ok", channel }` or
   * `{ status: "error", response }`.
   * @throws TestingError `FENIX_ERR_TESTING_NO_REPLY` when the join is not answered in the reply window.
   */
  async tryJoin<E extends EventMap = UntypedEvents>(topic: string, payload: JsonObject = {}, options: AssertOptions = {}): Promise<TestJoinResult<E>> {
    if (typeof topic !== "string" || topic === "") {
      throw new TestingError(TestingErrorCode.BAD_ARGUMENT, `A topic is a non-empty string; got ${describeValue(topic)}.`);
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload) || payload instanceof Uint8Array) {
      throw new TestingError(TestingErrorCode.BAD_ARGUMENT, `A join payload is a JSON object; got ${describeValue(payload)}.`);
    }
    // Subscribed before the join, so a broadcast the join causes is seen.
    const subscription = this.#kit.subscribe<E>(topic);
    const ref = this.#port.nextRef();
    const pending: PendingJoin = { topic, early: [] };
    this.#pendingJoins.set(ref, pending);
    try {
      this.#send({ joinRef: ref, ref, topic, event: Reserved.JOIN, payload });
      const waiter = replyWaiter(this.#kit.settler, this.#kit.timeouts, (r) => this.#replies.get(r), () => this.#describeState());
      const reply = await new TestPush(Reserved.JOIN, ref, waiter).reply(options);
      if (reply.status !== "ok") {
        subscription.close();
        return { status: "error", response: reply.response };
      }
      const channel = new TestChannel<E>(this.#port, topic, ref, reply.response, subscription, this.#channelServer(topic, ref));
      this.#byJoinRef.set(ref, channel as TestChannel<EventMap>);
      this.#byTopic.set(topic, channel as TestChannel<EventMap>);
      for (const [event, body] of pending.early) channel.receive(event, body);
      return { status: "ok", response: reply.response, channel };
    } catch (error) {
      subscription.close();
      throw error;
    } finally {
      this.#pendingJoins.delete(ref);
    }
  }

  /**
   * The client goes away (close code 1000): the connection process ends, and its channels with it
   * (their `terminate` gets `{shutdown: "closed"}`). Resolves once the connection process has ended and
   * the other processes have settled. Closing twice does nothing.
   */
  async close(): Promise<void> {
    if (this.#clientClosed || this.#server === null) return;
    this.#clientClosed = true;
    this.#transport.clientClose(CLIENT_CLOSE_CODE);
    const server = this.#server;
    const runtime = this.#kit.settler.runtime;
    await this.#kit.settler.waitUntil(() => !runtime.isAlive(server.pid), this.#kit.timeouts.replyTimeoutMs, "assert");
    for (const channel of this.#byJoinRef.values()) channel.disconnected();
    await this.#kit.settler.settle();
  }

  /**
   * Waits until the server closes the connection (`endpoint.disconnect(id)`, an idle timeout, a protocol
   * violation, the test stopping) and returns how; with `code`, the close code must be that one.
   * @throws TestingError `FENIX_ERR_TESTING_SOCKET_NOT_CLOSED`.
   */
  async assertClosed(code?: number, options: AssertOptions = {}): Promise<CloseInfo> {
    const window = windowOf(options.timeoutMs, this.#kit.timeouts.assertTimeoutMs, "timeoutMs");
    await this.#kit.settler.waitUntil(() => this.#closeInfo !== null, window, "assert");
    const info = this.#closeInfo;
    if (info === null || (code !== undefined && info.code !== code)) {
      throw new TestingError(
        TestingErrorCode.SOCKET_NOT_CLOSED,
        `Expected the server to close the socket${code === undefined ? "" : ` with code ${code}`} ${this.#kit.settler.describeWindow(window)}; ` +
          (info === null ? `it is still open${this.#clientClosed ? " (the client closed its side)" : ""}.` : `it closed it with ${info.code} "${info.reason}".`),
      );
    }
    return info;
  }

  // ## What the transport reports

  #message(message: ServerMessage): void {
    switch (message.kind) {
      case "reply":
        if (message.ref !== null) this.#replies.set(message.ref, { status: message.status, response: message.response });
        else this.#stray.push(`reply "${message.status}" ${describeValue(message.response)} on "${message.topic}" without a ref`);
        break;
      case "push":
        this.#route(message.joinRef, message.topic, message.event, message.payload);
        break;
      case "broadcast":
        this.#route(null, message.topic, message.event, message.payload);
        break;
    }
    this.#kit.settler.notify();
  }

  #closed(info: CloseInfo): void {
    this.#closeInfo = info;
    for (const channel of this.#byJoinRef.values()) channel.disconnected();
    this.#kit.settler.notify();
  }

  #undecodable(error: unknown): void {
    this.#stray.push(`an undecodable frame (${error instanceof Error ? error.message : String(error)})`);
    this.#kit.endpoint.logger.error("the test client could not decode a frame from the server", { error });
  }

  // ## Internals

  /**
   * Joins whose test channel does not exist yet, by join ref: what arrives for them between the join
   * reply and the moment the test sees it is kept for the channel.
   */
  readonly #pendingJoins = new Map<string, PendingJoin>();

  #route(joinRef: string | null, topic: string, event: string, payload: Payload): void {
    const pending = joinRef !== null ? this.#pendingJoins.get(joinRef) : this.#pendingFor(topic);
    if (pending !== undefined && pending.topic === topic) {
      pending.early.push([event, payload]);
      return;
    }
    const channel = joinRef !== null ? this.#byJoinRef.get(joinRef) : this.#byTopic.get(topic);
    if (channel !== undefined && channel.topic === topic) {
      channel.receive(event, payload);
      return;
    }
    this.#stray.push(`"${event}" ${describeValue(payload)} on "${topic}"${joinRef === null ? "" : ` (join ref ${joinRef})`}`);
  }

  /** The latest pending join of `topic` (a broadcast carries no join ref). */
  #pendingFor(topic: string): PendingJoin | undefined {
    let found: PendingJoin | undefined;
    for (const pending of this.#pendingJoins.values()) if (pending.topic === topic) found = pending;
    return found;
  }

  #send(message: Message): void {
    if (this.#transport.closed) {
      throw new TestingError(
        TestingErrorCode.BAD_STATE,
        `Cannot send "${message.event}" on "${message.topic}": ${this.#clientClosed ? "the test closed this socket" : "the server closed this socket"}` +
          `${this.#closeInfo === null ? "" : ` (code ${this.#closeInfo.code}, "${this.#closeInfo.reason}")`}.`,
      );
    }
    this.#transport.deliver(encodeClientFrame(message));
  }

  /** The channel process of the join `joinRef`: one of the processes linked to the connection. */
  #channelServer(topic: string, joinRef: string): ChannelServer | undefined {
    const runtime = this.#kit.settler.runtime;
    for (const pid of runtime.links(this.pid)) {
      const process = runtime.lookup(pid);
      if (process instanceof ChannelServer && process.topic === topic && process.joinRef === joinRef) return process;
    }
    return undefined;
  }

  #describeState(): string {
    const state =
      this.#closeInfo !== null
        ? `The server closed the socket (code ${this.#closeInfo.code}, "${this.#closeInfo.reason}").`
        : this.#clientClosed
          ? "The test closed the socket."
          : "The socket is open.";
    return this.#stray.length === 0 ? state : `${state} Frames that reached no test channel: ${this.#stray.slice(-10).join("; ")}.`;
  }
}
