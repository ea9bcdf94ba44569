/**
 * The PubSub core: local subscriptions per topic, broadcast to this node and (through the adapter) to the
 * others, with a named dispatcher choosing how each local subscriber receives a message.
 */
import { FenixError } from "../errors/fenix-error.js";
import { isDownMessage, isShutdownReason, type ExitReason } from "../runtime/process/exit-reason.js";
import type { Pid, Ref } from "../runtime/process/pid.js";
import type { ChildSpec } from "../runtime/supervisor/child-spec.js";
import { Process } from "../runtime/process/process.js";
import { defaultRuntime, type Runtime } from "../runtime/process/runtime.js";
import type { AdapterHost, PubSubAdapter } from "./adapter.js";
import { TelemetryEvent, telemetryChannels, type PubSubErrored, type PubSubStatusChanged } from "../telemetry/events.js";
import { PubSubError, PubSubErrorCode } from "./errors.js";
import { decodeNodeFrameHeader, decodeNodeMessage, encodeNodeFrame } from "./node-frame.js";
import type { HistoryQuery, HistoryRetention, StreamPosition } from "./history/history-store.js";
import { TopicStreams } from "./history/topic-streams.js";
import {
  DEFAULT_DISPATCHER,
  FASTLANE_DISPATCHER,
  defaultDispatcher,
  subscribeRecord,
  type DispatchContext,
  type Dispatcher,
  type Subscriber,
} from "./subscriber.js";

/** Options of {@link PubSub}. */
export interface PubSubOptions {
  /**
   * Carries broadcasts to other nodes: `RedisAdapter` from `fenix/redis`, the cluster workers' IPC
   * adapter, or a {@link MemoryAdapter} on a shared {@link MemoryBus} for several nodes in one process.
   * @defaultValue none: a single node, nothing is encoded and nothing leaves the process
   */
  adapter?: PubSubAdapter;
  /**
   * The runtime whose processes subscribe.
   * @defaultValue `defaultRuntime`
   */
  runtime?: Runtime;
  /**
   * Called when a dispatch could not serve some subscribers (for example a payload that one serializer
   * cannot encode), and for every problem of the link to other nodes the adapter reports (link down,
   * messages lost). The other subscribers are served regardless. More listeners can be added with
   * {@link PubSub.on}; an endpoint logs them.
   * @defaultValue none
   */
  onError?: (error: Error) => void;
}

/**
 * Whether other nodes can be reached: `"local"` without an adapter, `"connecting"` until the adapter
 * has started or said it is connected, then `"up"` or `"down"` as the adapter reports.
 */
export type PubSubStatus = "local" | "connecting" | "up" | "down";

/** Options of a broadcast. */
export interface BroadcastOptions {
  /**
   * The dispatcher that hands the message to local subscribers, by name.
   * @defaultValue `"default"` (to each subscriber's mailbox)
   */
  dispatcher?: string;
  /**
   * Keep the message in the topic's history, which gives it a position (see {@link PubSub.history}).
   * On a single node the PubSub keeps the stream itself; with an adapter, the adapter's history store
   * does, and the message reaches every node, this one included, only once the store has placed it.
   * While the link to the other nodes is not up, it reaches this node's subscribers only, unnumbered
   * and not kept (reported as `FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE`).
   * Not with `broadcastFrom` (whose sender would miss a position) nor `localBroadcast` (not kept).
   * @defaultValue none: not kept, no position
   */
  history?: HistoryRetention;
}

/** One message read from a topic's history. */
export interface HistoryMessage {
  /** Its offset in the epoch of {@link HistoryPage.position}. */
  readonly offset: number;
  /** The message as it was broadcast. */
  readonly message: unknown;
}

/** What {@link PubSub.history} read. */
export interface HistoryPage {
  /** The topic's epoch and last offset when it was read. */
  readonly position: StreamPosition;
  /** The messages the query asked for that are still kept, oldest first. */
  readonly messages: readonly HistoryMessage[];
}


interface PidEntry {
  readonly topics: Set<string>;
  readonly monitor: Ref;
}

/** Options of {@link PubSub.subscribe}. */
export interface SubscribeOptions {
  /**
   * Whether the PubSub watches the subscriber and drops its subscriptions when it exits. `false` leaves
   * that to the subscriber, which must then unsubscribe in its own `onExit` (channel processes do); it
   * saves a monitor per subscriber.
   * @defaultValue true
   */
  readonly watch?: boolean;
}

/**
 * Topic-based publish/subscribe between processes, on one node or across a cluster.
 *
 * @remarks
 * A process subscribes to a topic with optional metadata; a broadcast reaches every subscriber of the topic
 * on every node, once. `broadcastFrom` skips the sender (on the sender's node). Subscriptions end on
 * `unsubscribe` or, automatically, when the subscribed process exits. Delivery is at-most-once and ordered
 * per sender. A process subscribed twice to a topic is subscribed once, with the latest metadata.
 *
 * Messages are opaque to the PubSub. Local subscribers receive the very object that was broadcast; with an
 * adapter, each broadcast is also encoded once into a frame (JSON, with `Uint8Array`s as raw bytes) that
 * the adapter carries to the other nodes, where it is decoded only if the topic has subscribers there. A
 * message that JSON cannot carry is refused at once when the PubSub has an adapter (see
 * `FENIX_ERR_PUBSUB_BAD_MESSAGE`), so test multi-node code with a {@link MemoryBus}.
 *
 * @example
 * ```ts
 * const pubsub = new PubSub();
 * await pubsub.start();
 * pubsub.subscribe("room:lobby", myProcess.pid);
 * pubsub.broadcast("room:lobby", { hello: "world" });
 * ```
 */
export class PubSub {
  readonly runtime: Runtime;
  readonly #adapter: PubSubAdapter | null;
  /**
   * The local subscribers of each topic: a topic with one subscriber (a user's own topic, a socket id)
   * keeps it as is; a Map, which costs ~180 bytes even for one entry, is made for the second.
   */
  readonly #topics = new Map<string, Subscriber | Map<Pid, Subscriber>>();
  readonly #pids = new Map<Pid, PidEntry>();
  readonly #dispatchers = new Map<string, Dispatcher>([
    [DEFAULT_DISPATCHER, defaultDispatcher],
    // Until the server layer registers its fastlane, broadcasts naming it reach mailboxes: what the
    // fastlane does for every subscriber that is not a channel.
    [FASTLANE_DISPATCHER, defaultDispatcher],
  ]);
  readonly #context: DispatchContext;
  /** The same, for messages from other nodes. */
  readonly #remoteContext: DispatchContext;
  readonly #errorListeners: ((error: Error) => void)[] = [];
  readonly #statusListeners: ((status: PubSubStatus) => void)[] = [];
  #watcher: SubscriberWatcher;
  #state: "new" | "started" | "stopped" = "new";
  #stopped: Promise<void> | null = null;
  #status: PubSubStatus;
  #nodeName: string;
  /** This node's own streams (no adapter); created with the first message kept. */
  #streams: TopicStreams<unknown> | null = null;

  constructor(options: PubSubOptions = {}) {
    this.runtime = options.runtime ?? defaultRuntime;
    this.#adapter = options.adapter ?? null;
    this.#status = this.#adapter === null ? "local" : "connecting";
    this.#nodeName = this.runtime.node;
    if (options.onError !== undefined) this.#errorListeners.push(options.onError);
    const reportError = (error: Error) => this.#reportError(error);
    const nodeName = () => this.nodeName;
    const context = (remote: boolean): DispatchContext => ({
      runtime: this.runtime,
      source: this,
      get node() {
        return nodeName();
      },
      remote,
      reportError,
    });
    this.#context = context(false);
    this.#remoteContext = context(true);
    this.#watcher = this.#spawnWatcher(undefined);
  }

  /**
   * A child spec that puts this PubSub under a supervisor: starting it connects the adapter and runs the
   * process that removes the subscriptions of processes that exit. If that process crashes, the
   * supervisor restarts it and it watches every current subscriber again; nothing is lost.
   *
   * @example
   * ```ts
   * const tree = await Supervisor.start({ runtime, children: [pubsub.childSpec()] });
   * ```
   */
  childSpec(id = "pubsub"): ChildSpec {
    return {
      id,
      restart: "permanent",
      start: async (parent) => {
        await this.start();
        return this.#spawnWatcher(parent).pid;
      },
    };
  }

  /** Replaces the watcher process with a new one (linked to `parent`) that monitors every subscriber. */
  #spawnWatcher(parent: Pid | undefined): SubscriberWatcher {
    const previous = this.#watcher as SubscriberWatcher | undefined;
    const watcher = new SubscriberWatcher(this.runtime, (pid) => this.#forget(pid), parent, () => {
      if (this.#watcher === watcher) this.stop().catch((error: unknown) => this.#reportError(error instanceof Error ? error : new Error(String(error))));
    });
    this.#watcher = watcher;
    if (previous?.alive === true) previous.halt();
    for (const [pid, entry] of this.#pids) {
      this.#pids.set(pid, { topics: entry.topics, monitor: this.runtime.monitor(watcher.pid, pid) });
    }
    return watcher;
  }

  /** This node's name in the cluster (the runtime's node name). */
  get nodeName(): string {
    return this.#nodeName;
  }

  /** The names of the nodes the adapter knows, this one included. */
  nodes(): readonly string[] {
    return this.#adapter === null || this.#state !== "started" ? [this.#nodeName] : this.#adapter.nodes();
  }

  /** Whether other nodes can be reached now (see {@link PubSubStatus}). */
  get status(): PubSubStatus {
    return this.#status;
  }

  /**
   * Listens for problems (`"error"`: a dispatch that could not serve some subscribers, a frame that could
   * not be read, the adapter's reports) or for changes of {@link PubSub.status} (`"status"`).
   */
  on(event: "error", listener: (error: Error) => void): this;
  on(event: "status", listener: (status: PubSubStatus) => void): this;
  on(event: "error" | "status", listener: ((error: Error) => void) | ((status: PubSubStatus) => void)): this {
    if (event === "error") this.#errorListeners.push(listener as (error: Error) => void);
    else if (event === "status") this.#statusListeners.push(listener as (status: PubSubStatus) => void);
    return this;
  }

  /** Removes a listener added with {@link PubSub.on}. */
  off(event: "error" | "status", listener: ((error: Error) => void) | ((status: PubSubStatus) => void)): this {
    const list: unknown[] = event === "error" ? this.#errorListeners : this.#statusListeners;
    const i = list.indexOf(listener);
    if (i !== -1) list.splice(i, 1);
    return this;
  }

  /**
   * Connects the adapter. Local subscribe/broadcast work before this too; only other nodes wait for it.
   * @throws PubSubError `FENIX_ERR_PUBSUB_ADAPTER_FAILED` (or the adapter's own coded error) when the
   *   adapter cannot start at all.
   */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "started";
    const adapter = this.#adapter;
    if (adapter === null) return;
    const host: AdapterHost = {
      nodeName: this.#nodeName,
      deliver: (frame) => this.#deliver(frame),
      deliverPositioned: (frame, position) => this.#deliver(frame, position),
      reportError: (error) => this.#reportError(error),
      reportStatus: (connected) => this.#setStatus(connected ? "up" : "down"),
    };
    try {
      await adapter.start(host);
    } catch (cause) {
      this.#state = "stopped";
      if (cause instanceof FenixError) throw cause;
      throw new PubSubError(PubSubErrorCode.ADAPTER_FAILED, "The PubSub adapter failed to start.", { cause });
    }
    if (this.#status === "connecting") this.#setStatus("up");
  }

  /**
   * Disconnects the adapter and drops every subscription. Called again, resolves when the first call's
   * work is done. A PubSub run by a supervisor (see {@link PubSub.childSpec}) stops with it.
   */
  stop(): Promise<void> {
    if (this.#stopped !== null) return this.#stopped;
    const wasStarted = this.#state === "started";
    this.#state = "stopped";
    this.#topics.clear();
    this.#pids.clear();
    this.#watcher.halt();
    this.#streams?.stopSweeping();
    const adapter = this.#adapter;
    this.#stopped = wasStarted && adapter !== null ? Promise.resolve().then(() => adapter.stop()) : Promise.resolve();
    return this.#stopped;
  }

  /**
   * Registers a dispatcher under a name, so broadcasts (also from other nodes) can select it.
   *
   * @remarks Every node of a cluster must register the same dispatchers under the same names. The
   * `"fastlane"` name is the server layer's: an endpoint registers its channel dispatcher under it.
   */
  registerDispatcher(name: string, dispatcher: Dispatcher): void {
    this.#dispatchers.set(name, dispatcher);
  }

  /**
   * Subscribes `pid` to `topic`, with metadata a dispatcher may use (the fastlane target, for channels).
   * See {@link SubscribeOptions} to leave the cleanup to the subscriber.
   */
  subscribe(topic: string, pid: Pid, meta?: unknown, options?: SubscribeOptions): void {
    this[subscribeRecord](topic, { pid, meta }, options);
  }

  /**
   * Subscribes `subscriber.pid` to `topic` with `subscriber` itself as the record dispatchers see (not a
   * copy): what a channel process uses to be its own fastlane subscription.
   *
   * @internal
   */
  [subscribeRecord](topic: string, subscriber: Subscriber, options?: SubscribeOptions): void {
    assertTopic(topic);
    const pid = subscriber.pid;
    const subs = this.#topics.get(topic);
    if (subs === undefined || (!(subs instanceof Map) && subs.pid === pid)) this.#topics.set(topic, subscriber);
    else if (subs instanceof Map) subs.set(pid, subscriber);
    else this.#topics.set(topic, new Map([[subs.pid, subs], [pid, subscriber]]));
    if (options?.watch === false) return;
    let entry = this.#pids.get(pid);
    if (entry === undefined) {
      entry = { topics: new Set(), monitor: this.runtime.monitor(this.#watcher.pid, pid) };
      this.#pids.set(pid, entry);
    }
    entry.topics.add(topic);
  }

  /** Removes `pid`'s subscription to `topic` (no-op if there is none). */
  unsubscribe(topic: string, pid: Pid): void {
    if (!this.#remove(topic, pid)) return;
    const entry = this.#pids.get(pid);
    if (entry !== undefined) {
      entry.topics.delete(topic);
      if (entry.topics.size === 0) {
        this.#pids.delete(pid);
        this.runtime.demonitor(entry.monitor);
      }
    }
  }

  /** The local subscribers of a topic (a snapshot). */
  subscribers(topic: string): Subscriber[] {
    const subs = this.#topics.get(topic);
    if (subs === undefined) return [];
    return subs instanceof Map ? [...subs.values()] : [subs];
  }

  /** How many local subscribers the topic has. */
  subscriberCount(topic: string): number {
    const subs = this.#topics.get(topic);
    if (subs === undefined) return 0;
    return subs instanceof Map ? subs.size : 1;
  }

  /** Removes `pid`'s subscription to `topic` from the topic's subscribers; whether it had one. */
  #remove(topic: string, pid: Pid): boolean {
    const subs = this.#topics.get(topic);
    if (subs === undefined) return false;
    if (!(subs instanceof Map)) {
      if (subs.pid !== pid) return false;
      this.#topics.delete(topic);
      return true;
    }
    if (!subs.delete(pid)) return false;
    // Back to one subscriber: kept as is again.
    if (subs.size === 1) this.#topics.set(topic, subs.values().next().value!);
    return true;
  }

  /** The topics with at least one local subscriber. */
  topics(): IterableIterator<string> {
    return this.#topics.keys();
  }

  /**
   * Sends `message` to every subscriber of `topic` on every node.
   * @throws PubSubError `FENIX_ERR_PUBSUB_BAD_MESSAGE` (with an adapter) when JSON cannot carry the
   *   message; nothing is delivered then.
   */
  broadcast(topic: string, message: unknown, options?: BroadcastOptions): void {
    const history = options?.history;
    if (history !== undefined) this.#publishKept(topic, message, options?.dispatcher ?? DEFAULT_DISPATCHER, history);
    else this.#publish(topic, null, message, options?.dispatcher ?? DEFAULT_DISPATCHER, true);
  }

  /**
   * Like {@link PubSub.broadcast}, but skips `from` (it only lives on this node).
   * @throws PubSubError `FENIX_ERR_PUBSUB_HISTORY_UNSUPPORTED` with the `history` option.
   */
  broadcastFrom(from: Pid, topic: string, message: unknown, options?: BroadcastOptions): void {
    if (options?.history !== undefined) {
      throw new PubSubError(
        PubSubErrorCode.HISTORY_UNSUPPORTED,
        `broadcastFrom cannot keep a message in the history of "${topic}": the skipped subscriber would miss a position. Broadcast to everyone instead.`,
      );
    }
    this.#publish(topic, from, message, options?.dispatcher ?? DEFAULT_DISPATCHER, true);
  }

  /**
   * Reads a topic's history: the messages after an offset (`{after, limit}`, for a recovery: none when
   * more than `limit` are missing or `after` is past the last offset) or the newest ones (`{limit}`).
   * Creates the topic's epoch if it has none, so that the position returned can be recovered from later.
   * `retention` is the topic's (expired messages are left out).
   * @throws PubSubError `FENIX_ERR_PUBSUB_HISTORY_UNSUPPORTED` when the adapter keeps no history;
   *   rejects with `FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE` when its store cannot be reached.
   */
  async history(topic: string, query: HistoryQuery, retention: HistoryRetention): Promise<HistoryPage> {
    assertTopic(topic);
    this.#assertRunning();
    const adapter = this.#adapter;
    if (adapter === null) {
      const read = this.#localStreams().read(topic, query, retention);
      return { position: read.position, messages: read.entries.map((e) => ({ offset: e.offset, message: e.data })) };
    }
    const store = this.#historyStore(topic);
    const read = await store.read(topic, query, retention);
    const messages: HistoryMessage[] = [];
    for (const entry of read.entries) {
      try {
        messages.push({ offset: entry.offset, message: decodeNodeMessage(entry.data, decodeNodeFrameHeader(entry.data)) });
      } catch (error) {
        this.#reportError(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return { position: read.position, messages };
  }

  /** Whether this PubSub can keep history: on its own, or through an adapter that has a history store. */
  get keepsHistory(): boolean {
    return this.#adapter === null || this.#adapter.history !== undefined;
  }

  #publishKept(topic: string, message: unknown, dispatcher: string, retention: HistoryRetention): void {
    assertTopic(topic);
    this.#assertDispatcher(dispatcher);
    this.#assertRunning();
    const adapter = this.#adapter;
    if (adapter === null) {
      const position = this.#localStreams().append(topic, message, retention);
      this.#dispatch(topic, null, message, dispatcher, false, position);
      return;
    }
    const store = this.#historyStore(topic);
    const frame = encodeNodeFrame(topic, dispatcher, message);
    if (this.#state !== "started" || this.#status !== "up") {
      // The store cannot be reached: this node's subscribers still get it, unnumbered and not kept, as
      // every broadcast reaches only this node while the link is down.
      if (this.#unkept++ === 0) {
        this.#reportError(
          new PubSubError(
            PubSubErrorCode.HISTORY_UNAVAILABLE,
            `The history store cannot be reached: broadcasts on topics with history (first "${topic}") reach this node's subscribers only, without a position, and are not kept, until the link is back.`,
          ),
        );
      }
      this.#dispatch(topic, null, message, dispatcher, false);
      return;
    }
    this.#remote(() => store.append(topic, frame, retention));
  }

  /** Broadcasts on history topics delivered on this node only while the link was down (reported when back). */
  #unkept = 0;

  #historyStore(topic: string): NonNullable<PubSubAdapter["history"]> {
    const store = this.#adapter?.history;
    if (store === undefined) {
      throw new PubSubError(
        PubSubErrorCode.HISTORY_UNSUPPORTED,
        `"${topic}" keeps history, but this PubSub's adapter has no history store; use the memory, Redis or cluster adapter.`,
      );
    }
    return store;
  }

  #localStreams(): TopicStreams<unknown> {
    if (this.#streams === null) {
      const clock = this.runtime.clock;
      this.#streams = new TopicStreams({ now: () => clock.now() });
      if (this.#state !== "stopped") this.#streams.startSweeping();
    }
    return this.#streams;
  }

  /** Sends `message` to the subscribers of `topic` on this node only. */
  localBroadcast(topic: string, message: unknown, options?: BroadcastOptions): void {
    this.#publish(topic, null, message, options?.dispatcher ?? DEFAULT_DISPATCHER, false);
  }

  /** Like {@link PubSub.localBroadcast}, but skips `from`. */
  localBroadcastFrom(from: Pid, topic: string, message: unknown, options?: BroadcastOptions): void {
    this.#publish(topic, from, message, options?.dispatcher ?? DEFAULT_DISPATCHER, false);
  }

  /** Sends `message` to the subscribers of `topic` on one node, this one or another. */
  directBroadcast(node: string, topic: string, message: unknown, options?: BroadcastOptions): void {
    assertTopic(topic);
    const dispatcher = options?.dispatcher ?? DEFAULT_DISPATCHER;
    this.#assertDispatcher(dispatcher);
    if (node === this.#nodeName) {
      this.#dispatch(topic, null, message, dispatcher);
      return;
    }
    this.#assertRunning();
    const adapter = this.#adapter;
    if (adapter === null) return;
    const frame = encodeNodeFrame(topic, dispatcher, message);
    if (this.#state === "started") this.#remote(() => adapter.directBroadcast(node, frame));
  }

  #publish(topic: string, from: Pid | null, message: unknown, dispatcher: string, remote: boolean): void {
    assertTopic(topic);
    this.#assertDispatcher(dispatcher);
    this.#assertRunning();
    const adapter = remote ? this.#adapter : null;
    if (adapter === null) {
      this.#dispatch(topic, from, message, dispatcher);
      return;
    }
    // Encoded first, so a message other nodes could not receive reaches nobody: the same on one node as on many.
    const frame = encodeNodeFrame(topic, dispatcher, message);
    this.#dispatch(topic, from, message, dispatcher);
    if (this.#state === "started") this.#remote(() => adapter.broadcast(frame));
  }

  #dispatch(topic: string, from: Pid | null, message: unknown, dispatcherName: string, remote = false, position?: StreamPosition): void {
    const subs = this.#topics.get(topic);
    if (subs === undefined) return;
    const dispatcher = this.#dispatchers.get(dispatcherName);
    if (dispatcher === undefined) {
      this.#reportError(unknownDispatcher(dispatcherName));
      return;
    }
    dispatcher(subs instanceof Map ? subs.values() : [subs], from, message, remote ? this.#remoteContext : this.#context, position);
  }

  /**
   * A frame from another node (or, with a position, from the history store, this node's own included):
   * decoded only if its topic has subscribers here.
   */
  #deliver(frame: Uint8Array, position?: StreamPosition): void {
    if (this.#state !== "started") return;
    try {
      const header = decodeNodeFrameHeader(frame);
      if (!this.#topics.has(header.topic)) return;
      if (!this.#dispatchers.has(header.dispatcher)) {
        this.#reportError(unknownDispatcher(header.dispatcher));
        return;
      }
      this.#dispatch(header.topic, null, decodeNodeMessage(frame, header), header.dispatcher, true, position);
    } catch (error) {
      // Never into the adapter: a bad frame (or a dispatcher bug) is reported, the link goes on.
      this.#reportError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #remote(send: () => void): void {
    try {
      send();
    } catch (cause) {
      this.#reportError(new PubSubError(PubSubErrorCode.ADAPTER_FAILED, "The adapter failed to send to other nodes.", { cause }));
    }
  }

  #reportError(error: Error): void {
    const ch = telemetryChannels[TelemetryEvent.PUBSUB_ERROR];
    if (ch.hasSubscribers) {
      const code = (error as { code?: unknown }).code;
      ch.publish({ source: this, node: this.nodeName, code: typeof code === "string" ? code : "UNKNOWN", message: error.message, error } satisfies PubSubErrored);
    }
    for (const listener of this.#errorListeners) {
      try {
        listener(error);
      } catch {
        // A listener that throws must not stop the dispatch or the adapter that reported.
      }
    }
  }

  #setStatus(status: PubSubStatus): void {
    if (this.#status === status || this.#status === "local") return;
    this.#status = status;
    const now = this.runtime.clock.now();
    const downMs = status === "up" && this.#downSince !== null ? now - this.#downSince : undefined;
    if (status === "down") this.#downSince ??= now;
    else if (status === "up") this.#downSince = null;
    if (status === "up" && this.#unkept > 0) {
      this.#reportError(
        new PubSubError(PubSubErrorCode.HISTORY_UNAVAILABLE, `${this.#unkept} broadcast(s) on topics with history reached this node only, unnumbered and not kept, while the link was down.`),
      );
      this.#unkept = 0;
    }
    const ch = telemetryChannels[TelemetryEvent.PUBSUB_STATUS];
    if (ch.hasSubscribers) {
      ch.publish({ source: this, node: this.nodeName, status, downMs, nodes: this.#nodesOrNone() } satisfies PubSubStatusChanged);
    }
    for (const listener of this.#statusListeners) {
      try {
        listener(status);
      } catch {
        // As above: status listeners are observers.
      }
    }
  }

  /** When the link went down (runtime clock ms), to say how long it lasted. */
  #downSince: number | null = null;

  #nodesOrNone(): readonly string[] {
    try {
      return this.nodes();
    } catch {
      return [this.#nodeName];
    }
  }

  #assertDispatcher(name: string): void {
    if (!this.#dispatchers.has(name)) throw unknownDispatcher(name);
  }

  #assertRunning(): void {
    if (this.#state === "stopped") {
      throw new PubSubError(PubSubErrorCode.STOPPED, "This PubSub is stopped; create a new one to broadcast again.");
    }
  }

  #forget(pid: Pid): void {
    const entry = this.#pids.get(pid);
    if (entry === undefined) return;
    this.#pids.delete(pid);
    for (const topic of entry.topics) this.#remove(topic, pid);
  }
}

/**
 * Watches subscribers and removes every subscription of one that exits. Under a supervisor it is the
 * PubSub's process: when the supervisor shuts it down (the endpoint stops), the PubSub stops with it, and
 * its adapter leaves the cluster.
 */
class SubscriberWatcher extends Process {
  readonly #onDown: (pid: Pid) => void;
  readonly #onShutdown: () => void;
  #halting = false;

  constructor(runtime: Runtime, onDown: (pid: Pid) => void, parent: Pid | undefined, onShutdown: () => void) {
    super(runtime, parent === undefined ? {} : { link: parent });
    this.#onDown = onDown;
    this.#onShutdown = onShutdown;
  }

  protected handleMessage(message: unknown): void {
    if (isDownMessage(message)) this.#onDown(message.pid);
  }

  protected override onExit(reason: ExitReason): void {
    // A crash (or a kill) is the supervisor's to restart; a shutdown from it ends the PubSub too.
    if (!this.#halting && isShutdownReason(reason)) this.#onShutdown();
  }

  /** Ends the watcher (its PubSub stopped, or a new watcher replaces it). */
  halt(): void {
    this.#halting = true;
    this.stop("shutdown");
  }
}

function assertTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== "string" || topic.length === 0) {
    throw new PubSubError(
      PubSubErrorCode.BAD_TOPIC,
      `A topic must be a non-empty string; got ${typeof topic === "string" ? '""' : typeof topic}.`,
    );
  }
}

function unknownDispatcher(name: string): PubSubError {
  return new PubSubError(
    PubSubErrorCode.UNKNOWN_DISPATCHER,
    `No dispatcher named "${name}" is registered; register it with pubsub.registerDispatcher("${name}", fn) on every node.`,
  );
}
