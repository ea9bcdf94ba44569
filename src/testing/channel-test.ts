/**
 * `channelTest(UserSocket)`: a socket's channels under test without a port. It runs what an endpoint
 * runs for them — a supervision tree, the PubSub with the fastlane, one real connection process per test
 * client — on a virtual clock by default, and hands out test sockets that connect, join and assert.
 */
import type { Payload } from "../protocol/message.js";
import { V2JsonSerializer } from "../protocol/v2-json.js";
import { PubSub } from "../pubsub/pubsub.js";
import type { ChildSpec } from "../runtime/supervisor/child-spec.js";
import type { Clock } from "../runtime/clock/clock.js";
import type { Pid } from "../runtime/process/pid.js";
import { Runtime } from "../runtime/process/runtime.js";
import { Supervisor } from "../runtime/supervisor/supervisor.js";
import { VirtualClock } from "../runtime/clock/virtual-clock.js";
import type { ConnectInfo } from "../server/socket/connect-info.js";
import { connectionSupervisorSpec, startConnection, type SocketMount } from "../server/socket/connect-pipeline.js";
import type { ClientErrorContext, EndpointApi } from "../server/endpoint/endpoint-context.js";
import type { Logger } from "../server/endpoint/logger.js";
import type { ChannelRoute, Socket, SocketClass } from "../server/socket/socket.js";
import { DEFAULT_MAX_NAME_LENGTH } from "../server/socket/rate-limit.js";
import { channelRouter } from "../server/channel/channel-route.js";
import { tracksPresence } from "../server/channel/channel.js";
import type { ConnectParams } from "./connect-params.js";
import { TestingError, TestingErrorCode } from "./errors.js";
import type { EventMap, UntypedEvents } from "./event-map.js";
import { LogCollector, type LogRecord } from "./log-collector.js";
import { Settler } from "./settler.js";
import { runConnect, TEST_PATH } from "./run-connect.js";
import { TestEndpoint, type ReportedClientError } from "./test-endpoint.js";
import { TestSocket, type KitPort } from "./test-socket.js";
import { TestTransport } from "./test-transport.js";
import { DEFAULT_TIMEOUTS, windowOf, type Timeouts } from "./timeouts.js";
import { TopicSubscription } from "./topic-subscription.js";

/** The socket class under test: a `Socket` subclass with its `static channels` routes. */
export type TestedSocketClass<S extends Socket<object>> = (new () => S) & { readonly channels: readonly ChannelRoute[] };

/** Options of {@link channelTest}. */
export interface ChannelTestOptions {
  /**
   * The clock of the runtime the test creates. Pass a `VirtualClock` you keep, or `realClock` to run
   * in real time. Not allowed with `runtime` or `pubsub`, which bring their own.
   * @defaultValue a new `VirtualClock` (time moves only through the waits and `advance`)
   */
  readonly clock?: Clock;
  /** The runtime the processes run on (a PubSub is created on it). @defaultValue a new Runtime on `clock` */
  readonly runtime?: Runtime;
  /**
   * An existing PubSub, such as the application's own (the one its Presence is built on); its runtime and
   * that runtime's clock are used — with the real clock of `defaultRuntime`, waits are real. The test does
   * not start or stop it: put `pubsub.childSpec()` in `children` to have it started, knowing that a
   * stopped PubSub cannot start again (a PubSub without an adapter works unstarted).
   * @defaultValue a new PubSub on the runtime, started and stopped by the test
   */
  readonly pubsub?: PubSub;
  /**
   * Child specs started before the first connection and stopped after the last, in a supervisor, as an
   * endpoint's `children` (e.g. `[presence.childSpec()]`).
   * @defaultValue none
   */
  readonly children?: readonly ChildSpec[];
  /** Most channels one test socket may have at once. @defaultValue 100 */
  readonly maxChannels?: number;
  /**
   * Close a test socket that sent nothing for this long (ms), with 1001. Test clients send no heartbeats.
   * @defaultValue 0 (never)
   */
  readonly idleTimeoutMs?: number;
  /**
   * Where the server's log lines go besides `kit.logs` (e.g. `consoleLogger("debug")` while debugging).
   * @defaultValue none: lines are only collected
   */
  readonly logger?: Logger;
  /** The windows of the waits (see {@link DEFAULT_TIMEOUTS}). @defaultValue {@link DEFAULT_TIMEOUTS} */
  readonly timeouts?: Partial<Timeouts>;
}

const MiB = 1024 * 1024;

/**
 * Runs a socket's channels in process for a test.
 *
 * @remarks
 * Create one with {@link channelTest}; every test socket it connects runs a real connection process,
 * and every join a real channel process, on the test's runtime. By default that runtime has a fresh
 * `VirtualClock`: assertions let the processes settle, then move the clock from one due timer to the next
 * within their window, so `sendAfter` timers fire in order and a refute costs no real time. `advance(ms)`
 * moves the clock explicitly. `stop()` stops everything the test started.
 *
 * @example
 * ```ts
 * const kit = await channelTest(UserSocket);
 * const socket = await kit.connect({ token: "ada-token" });
 * const room = await socket.join("room:lobby");
 * await room.push("ping", { at: 1 }).assertReply("ok", { pong: 1 });
 * await kit.stop();
 * ```
 */
export class ChannelTest<S extends Socket<object> = Socket<object>> {
  /** The runtime every process of the test runs on. */
  readonly runtime: Runtime;
  /** The PubSub broadcasts go through. */
  readonly pubsub: PubSub;
  /** The windows the waits use. */
  readonly timeouts: Timeouts;
  readonly #socketClass: TestedSocketClass<S>;
  readonly #endpoint: TestEndpoint;
  readonly #settler: Settler;
  readonly #mount: SocketMount;
  readonly #kit: KitPort;
  readonly #supervisor: Pid;
  readonly #subscriptions = new Set<TopicSubscription<EventMap>>();
  #stopped: Promise<void> | null = null;

  private constructor(
    socketClass: TestedSocketClass<S>,
    endpoint: TestEndpoint,
    settler: Settler,
    mount: SocketMount,
    supervisor: Pid,
    timeouts: Timeouts,
  ) {
    this.#socketClass = socketClass;
    this.#endpoint = endpoint;
    this.#settler = settler;
    this.#mount = mount;
    this.#supervisor = supervisor;
    this.runtime = endpoint.runtime;
    this.pubsub = endpoint.pubsub;
    this.timeouts = timeouts;
    this.#kit = {
      settler,
      timeouts,
      endpoint,
      subscribe: <E extends EventMap>(topic: string) => this.subscribe<E>(topic),
    };
  }

  /** Same as {@link channelTest}. */
  static async start<S extends Socket<object>>(socketClass: TestedSocketClass<S>, options: ChannelTestOptions = {}): Promise<ChannelTest<S>> {
    if (typeof socketClass !== "function") {
      throw new TestingError(TestingErrorCode.BAD_ARGUMENT, `channelTest() takes a Socket class; got ${typeof socketClass}.`);
    }
    const { runtime, pubsub, owned } = resolveRuntime(options);
    const timeouts = resolveTimeouts(options.timeouts);
    const endpoint = new TestEndpoint(pubsub, new LogCollector(options.logger));
    const settler = new Settler(runtime, timeouts.ioTimeoutMs);
    const router = channelRouter(socketClass.channels ?? []);
    // Broadcasts on topics of routes with history are kept and numbered, as an endpoint does.
    endpoint.historyOf = (topic) => router.match(topic)?.history ?? null;
    const mount: SocketMount = {
      path: TEST_PATH,
      // Only its name and routes are read here: the test creates the Socket instances itself.
      socketClass: socketClass as unknown as SocketClass,
      router,
      limits: {
        maxChannels: positive(options.maxChannels ?? 100, "maxChannels"),
        idleTimeoutMs: windowOf(options.idleTimeoutMs, 0, "idleTimeoutMs"),
        maxTopicLength: DEFAULT_MAX_NAME_LENGTH,
        maxEventLength: DEFAULT_MAX_NAME_LENGTH,
        rateLimit: null,
        topicRateLimit: null,
        maxBufferedBytes: 8 * MiB,
      },
      authToken: true,
      maxBufferedBytes: 8 * MiB,
      maxFrameBytes: MiB,
      checkOrigin: () => true,
      connections: null,
      supervisor: null,
    };
    const children: ChildSpec[] = [];
    if (owned) children.push(pubsub.childSpec("pubsub"));
    children.push(...(options.children ?? []));
    // As an endpoint does: channels that track presence get the tracker.
    if ((socketClass.channels ?? []).some(([, channel]) => tracksPresence(channel))) children.push(endpoint.presence.childSpec("presence"));
    children.push(connectionSupervisorSpec("connections", runtime, mount));
    const supervisor = await settler.drive(Supervisor.start({ runtime, strategy: "oneForOne", children, maxRestarts: 3, maxSeconds: 5 }));
    return new ChannelTest(socketClass, endpoint, settler, mount, supervisor, timeouts);
  }

  /** The runtime's clock: a `VirtualClock` unless the test runs in real time. */
  get clock(): Clock {
    return this.runtime.clock;
  }

  /** Whether the clock is virtual (waits cost no real time, and `advance` works). */
  get virtual(): boolean {
    return this.#settler.clock !== null;
  }

  /** Broadcasting to any topic, as a channel's `this.endpoint` does (`broadcastFrom`, `localBroadcast`…). */
  get endpoint(): EndpointApi {
    return this.#endpoint;
  }

  /** Every line the server logged (channel crashes, refused connects…), oldest first. */
  get logs(): readonly LogRecord[] {
    return this.#endpoint.logger.records;
  }

  /** Every client error the server reported (what an endpoint's `clientError` event would carry), oldest first. */
  get clientErrors(): readonly ReportedClientError[] {
    return this.#endpoint.clientErrors;
  }

  /**
   * Connects a test client: runs the socket's `connect(params, info)` and `id()` as the endpoint does,
   * then starts its connection process.
   *
   * @param params - the connect params; values arrive in `connect` as strings, as from a URL (with `vsn`).
   * @param info - what `connect` sees besides params. @defaultValue peer `127.0.0.1:0`, the URI of the
   *   params, no user agent, no `x-*` headers, no auth token, transport `"websocket"`
   * @throws ConnectRefusedError (`FENIX_ERR_TESTING_CONNECT_REFUSED`) when `connect` refuses (status 403),
   *   throws or `id()` is invalid (status 500); the server's log and `clientErrors` say the same as an
   *   endpoint's would.
   */
  async connect(params: ConnectParams = {}, info: Partial<ConnectInfo> = {}): Promise<TestSocket<S>> {
    this.#assertRunning("connect");
    const connected = await runConnect(this.#socketClass, this.#endpoint, params, info);
    return this.#open(connected.socket, connected.id, connected.context);
  }

  /**
   * A test client connected without running `connect`: a new Socket instance with `assigns` and, for
   * `endpoint.disconnect`, an `id`.
   */
  async socketFor(assigns: Partial<S["assigns"]> = {}, id: string | null = null): Promise<TestSocket<S>> {
    this.#assertRunning("socketFor");
    const socket = new this.#socketClass();
    Object.assign(socket.assigns, assigns);
    return this.#open(socket, id, { path: TEST_PATH, transport: "websocket", address: "127.0.0.1", socketId: null });
  }

  /**
   * Subscribes the test to `topic`: every channel broadcast on it is recorded, for `assertBroadcast` and
   * `refuteBroadcast`.
   */
  subscribe<E extends EventMap = UntypedEvents>(topic: string): TopicSubscription<E> {
    this.#assertRunning("subscribe");
    const subscription = new TopicSubscription<E>(this.pubsub, this.#settler, this.timeouts, topic);
    this.#subscriptions.add(subscription as TopicSubscription<EventMap>);
    return subscription;
  }

  /** Broadcasts `event` to every client joined to `topic`, as `endpoint.broadcast` does. */
  broadcast(topic: string, event: string, payload: Payload = {}): void {
    this.#endpoint.broadcast(topic, event, payload);
  }

  /** Closes every test socket whose id is `socketId` with 1001, as `endpoint.disconnect` does. */
  disconnect(socketId: string): void {
    this.#endpoint.broadcast(socketId, "disconnect", {});
  }

  /**
   * Moves the virtual clock `ms` forward, one due timer at a time, letting every process handle what each
   * timer caused before the next fires.
   * @throws TestingError `FENIX_ERR_TESTING_BAD_STATE` on a real clock; `FENIX_ERR_TESTING_PROCESS_BUSY`.
   */
  async advance(ms: number): Promise<void> {
    await this.#settler.advance(windowOf(ms, 0, "ms"));
  }

  /**
   * Lets the processes handle what they have queued, without moving the clock; processes awaiting
   * promises (I/O, timers) are not waited for.
   */
  async settle(): Promise<void> {
    await this.#settler.settle();
  }

  /**
   * Stops everything the test started: the connections (closed with 1012, their channels' `terminate`
   * run), the children, the PubSub it created, the topic subscriptions. Calling it again returns the
   * same promise.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    if (this.runtime.isAlive(this.#supervisor)) await this.#settler.drive(Supervisor.stop(this.#supervisor, "shutdown"));
    for (const subscription of this.#subscriptions) subscription.close();
    this.#subscriptions.clear();
    await this.#settler.settle();
    this.#endpoint.dispose();
  }

  async #open(socket: S, id: string | null, context: ClientErrorContext): Promise<TestSocket<S>> {
    const testSocket = new TestSocket<S>(this.#kit, socket, id, (sink) => new TestTransport(context.transport, sink));
    const server = startConnection(
      this.#endpoint,
      this.#mount,
      testSocket.transport,
      { serializer: V2JsonSerializer, socket: socket as Socket<object> as Socket, socketId: id },
      context,
    );
    if (server === null) {
      throw new TestingError(TestingErrorCode.BAD_STATE, "The test's connection supervisor is not running; was the test stopped?");
    }
    testSocket.attach(server);
    await this.#settler.settle();
    return testSocket;
  }

  #assertRunning(what: string): void {
    if (this.#stopped !== null) throw new TestingError(TestingErrorCode.BAD_STATE, `${what}() was called after stop(); start a new channel test.`);
  }
}

/**
 * Starts a channel test of `socketClass`: a supervisor with the PubSub (unless one is given), the
 * `children`, and the supervisor of the test connections.
 *
 * @throws TestingError `FENIX_ERR_TESTING_BAD_ARGUMENT` for a bad option or conflicting `clock` /
 *   `runtime` / `pubsub`; a child that fails to start rejects as with `Supervisor.start`.
 *
 * @example
 * ```ts
 * import { channelTest } from "fenix/testing";
 *
 * const kit = await channelTest(UserSocket);
 * const socket = await kit.socketFor({ userId: "ada" });
 * const room = await socket.join("room:lobby");
 * await room.assertPush("welcome", { user: "ada" });
 * await kit.stop();
 * ```
 */
export function channelTest<S extends Socket<object>>(socketClass: TestedSocketClass<S>, options: ChannelTestOptions = {}): Promise<ChannelTest<S>> {
  return ChannelTest.start(socketClass, options);
}

function resolveRuntime(options: ChannelTestOptions): { runtime: Runtime; pubsub: PubSub; owned: boolean } {
  const { clock, runtime, pubsub } = options;
  if (pubsub !== undefined) {
    if (!(pubsub instanceof PubSub)) throw new TestingError(TestingErrorCode.BAD_ARGUMENT, "Option pubsub must be a PubSub.");
    if (runtime !== undefined && runtime !== pubsub.runtime) {
      throw new TestingError(TestingErrorCode.BAD_ARGUMENT, "Options runtime and pubsub disagree: the test runs on the PubSub's runtime; pass one of them.");
    }
    if (clock !== undefined && clock !== pubsub.runtime.clock) {
      throw new TestingError(TestingErrorCode.BAD_ARGUMENT, "Option clock cannot be given with pubsub: the test uses the clock of the PubSub's runtime.");
    }
    return { runtime: pubsub.runtime, pubsub, owned: false };
  }
  if (runtime !== undefined) {
    if (!(runtime instanceof Runtime)) throw new TestingError(TestingErrorCode.BAD_ARGUMENT, "Option runtime must be a Runtime.");
    if (clock !== undefined && clock !== runtime.clock) {
      throw new TestingError(TestingErrorCode.BAD_ARGUMENT, "Option clock cannot be given with runtime: the test uses the runtime's clock.");
    }
    return { runtime, pubsub: new PubSub({ runtime }), owned: true };
  }
  const created = new Runtime({ clock: clock ?? new VirtualClock() });
  return { runtime: created, pubsub: new PubSub({ runtime: created }), owned: true };
}

function resolveTimeouts(timeouts: Partial<Timeouts> = {}): Timeouts {
  return Object.freeze({
    assertTimeoutMs: windowOf(timeouts.assertTimeoutMs, DEFAULT_TIMEOUTS.assertTimeoutMs, "timeouts.assertTimeoutMs"),
    refuteWithinMs: windowOf(timeouts.refuteWithinMs, DEFAULT_TIMEOUTS.refuteWithinMs, "timeouts.refuteWithinMs"),
    replyTimeoutMs: windowOf(timeouts.replyTimeoutMs, DEFAULT_TIMEOUTS.replyTimeoutMs, "timeouts.replyTimeoutMs"),
    ioTimeoutMs: windowOf(timeouts.ioTimeoutMs, DEFAULT_TIMEOUTS.ioTimeoutMs, "timeouts.ioTimeoutMs"),
  });
}

function positive(value: number, name: string): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw new TestingError(TestingErrorCode.BAD_ARGUMENT, `Option ${name} must be a positive number; got ${String(value)}.`);
  }
  return value;
}
