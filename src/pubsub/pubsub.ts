/**
 * The PubSub core: local subscriptions per topic, broadcast to this node and (through the adapter) to the
 * others, with a named dispatcher choosing how each local subscriber receives a message.
 */
import { FenixError } from "../errors/fenix-error.js";
import { isDownMessage } from "../runtime/exit-reason.js";
import type { Pid, Ref } from "../runtime/pid.js";
import type { ChildSpec } from "../runtime/child-spec.js";
import { Process } from "../runtime/process.js";
import { defaultRuntime, type Runtime } from "../runtime/runtime.js";
import type { AdapterHost, PubSubAdapter } from "./adapter.js";
import { PubSubError, PubSubErrorCode } from "./errors.js";
import { FASTLANE_DISPATCHER, fastlaneDispatcher } from "./fastlane.js";
import { MemoryAdapter } from "./memory-adapter.js";
import {
  DEFAULT_DISPATCHER,
  defaultDispatcher,
  type DispatchContext,
  type Dispatcher,
  type Subscriber,
} from "./subscriber.js";

/** Options of {@link PubSub}. */
export interface PubSubOptions {
  /**
   * Carries broadcasts to other nodes.
   * @defaultValue a {@link MemoryAdapter} of its own: a single node, nothing leaves the process.
   */
  adapter?: PubSubAdapter;
  /**
   * The runtime whose processes subscribe.
   * @defaultValue `defaultRuntime`
   */
  runtime?: Runtime;
  /**
   * Called when a dispatch could not serve some subscribers (for example a payload that one serializer
   * cannot encode). The other subscribers are served regardless.
   * @defaultValue ignore
   */
  onError?: (error: Error) => void;
}

/** Options of a broadcast. */
export interface BroadcastOptions {
  /**
   * The dispatcher that hands the message to local subscribers, by name.
   * @defaultValue `"default"` (to each subscriber's mailbox)
   */
  dispatcher?: string;
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
  readonly #adapter: PubSubAdapter;
  readonly #topics = new Map<string, Map<Pid, Subscriber>>();
  readonly #pids = new Map<Pid, PidEntry>();
  readonly #dispatchers = new Map<string, Dispatcher>([
    [DEFAULT_DISPATCHER, defaultDispatcher],
    [FASTLANE_DISPATCHER, fastlaneDispatcher],
  ]);
  readonly #context: DispatchContext;
  #watcher: SubscriberWatcher;
  #state: "new" | "started" | "stopped" = "new";
  #nodeName: string;

  constructor(options: PubSubOptions = {}) {
    this.runtime = options.runtime ?? defaultRuntime;
    this.#adapter = options.adapter ?? new MemoryAdapter();
    this.#nodeName = this.runtime.node;
    const onError = options.onError ?? (() => {});
    this.#context = { runtime: this.runtime, reportError: onError };
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
    const watcher = new SubscriberWatcher(this.runtime, (pid) => this.#forget(pid), parent);
    this.#watcher = watcher;
    if (previous?.alive === true) previous.halt();
    for (const [pid, entry] of this.#pids) {
      this.#pids.set(pid, { topics: entry.topics, monitor: this.runtime.monitor(watcher.pid, pid) });
    }
    return watcher;
  }

  /** This node's name in the cluster (the adapter's, once started). */
  get nodeName(): string {
    return this.#nodeName;
  }

  /** The names of the nodes the adapter knows, this one included. */
  nodes(): readonly string[] {
    return this.#adapter.nodes();
  }

  /** Connects the adapter. Local subscribe/broadcast work before this too; only other nodes wait for it. */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "started";
    const host: AdapterHost = {
      nodeName: this.#nodeName,
      deliver: (topic, message, dispatcher) => this.#dispatch(topic, null, message, dispatcher),
    };
    try {
      await this.#adapter.start(host);
    } catch (cause) {
      this.#state = "stopped";
      if (cause instanceof FenixError) throw cause;
      throw new PubSubError(PubSubErrorCode.ADAPTER_FAILED, "The PubSub adapter failed to start.", { cause });
    }
  }

  /** Disconnects the adapter and drops every subscription. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    const wasStarted = this.#state === "started";
    this.#state = "stopped";
    this.#topics.clear();
    this.#pids.clear();
    this.#watcher.halt();
    if (wasStarted) await this.#adapter.stop();
  }

  /**
   * Registers a dispatcher under a name, so broadcasts (also from other nodes) can select it.
   *
   * @remarks Every node of a cluster must register the same dispatchers under the same names.
   */
  registerDispatcher(name: string, dispatcher: Dispatcher): void {
    this.#dispatchers.set(name, dispatcher);
  }

  /**
   * Subscribes `pid` to `topic`, with metadata a dispatcher may use (the fastlane target, for channels).
   * See {@link SubscribeOptions} to leave the cleanup to the subscriber.
   */
  subscribe(topic: string, pid: Pid, meta?: unknown, options?: SubscribeOptions): void {
    assertTopic(topic);
    let subs = this.#topics.get(topic);
    if (subs === undefined) this.#topics.set(topic, (subs = new Map()));
    subs.set(pid, { pid, meta });
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
    const subs = this.#topics.get(topic);
    if (subs === undefined || !subs.delete(pid)) return;
    if (subs.size === 0) this.#topics.delete(topic);
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
    return [...(this.#topics.get(topic)?.values() ?? [])];
  }

  /** How many local subscribers the topic has. */
  subscriberCount(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  /** The topics with at least one local subscriber. */
  topics(): IterableIterator<string> {
    return this.#topics.keys();
  }

  /** Sends `message` to every subscriber of `topic` on every node. */
  broadcast(topic: string, message: unknown, options?: BroadcastOptions): void {
    this.#publish(topic, null, message, options?.dispatcher ?? DEFAULT_DISPATCHER, true);
  }

  /** Like {@link PubSub.broadcast}, but skips `from` (it only lives on this node). */
  broadcastFrom(from: Pid, topic: string, message: unknown, options?: BroadcastOptions): void {
    this.#publish(topic, from, message, options?.dispatcher ?? DEFAULT_DISPATCHER, true);
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
    this.#remote(() => this.#adapter.directBroadcast(node, topic, message, dispatcher));
  }

  #publish(topic: string, from: Pid | null, message: unknown, dispatcher: string, remote: boolean): void {
    assertTopic(topic);
    this.#assertDispatcher(dispatcher);
    this.#assertRunning();
    this.#dispatch(topic, from, message, dispatcher);
    if (remote && this.#state === "started") {
      this.#remote(() => this.#adapter.broadcast(topic, message, dispatcher));
    }
  }

  #dispatch(topic: string, from: Pid | null, message: unknown, dispatcherName: string): void {
    const subs = this.#topics.get(topic);
    if (subs === undefined) return;
    const dispatcher = this.#dispatchers.get(dispatcherName);
    if (dispatcher === undefined) {
      this.#context.reportError(unknownDispatcher(dispatcherName));
      return;
    }
    dispatcher(subs.values(), from, message, this.#context);
  }

  #remote(send: () => void | Promise<void>): void {
    const onFailure = (cause: unknown) =>
      this.#context.reportError(
        new PubSubError(PubSubErrorCode.ADAPTER_FAILED, "The adapter failed to send to other nodes.", { cause }),
      );
    try {
      const result = send();
      if (result !== undefined) result.then(undefined, onFailure);
    } catch (cause) {
      onFailure(cause);
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
    for (const topic of entry.topics) {
      const subs = this.#topics.get(topic);
      if (subs !== undefined && subs.delete(pid) && subs.size === 0) this.#topics.delete(topic);
    }
  }
}

/** Watches subscribers and removes every subscription of one that exits. */
class SubscriberWatcher extends Process {
  readonly #onDown: (pid: Pid) => void;

  constructor(runtime: Runtime, onDown: (pid: Pid) => void, parent: Pid | undefined) {
    super(runtime, parent === undefined ? {} : { link: parent });
    this.#onDown = onDown;
  }

  protected handleMessage(message: unknown): void {
    if (isDownMessage(message)) this.#onDown(message.pid);
  }

  /** Ends the watcher (its PubSub stopped). */
  halt(): void {
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
