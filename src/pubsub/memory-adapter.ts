/**
 * The in-memory adapter: several nodes inside one process, linked by a MemoryBus — for tests of
 * anything that spans nodes. Frames are the same bytes a network adapter carries, so what works here
 * works over Redis or between cluster workers. The bus also keeps the nodes' shared topic history (a
 * {@link HistoryStore}), which outlives any one node on it.
 */
import type { AdapterHost, PubSubAdapter } from "./adapter.js";
import { PubSubError, PubSubErrorCode } from "./errors.js";
import type { HistoryQuery, HistoryRetention, HistoryStore, StoredHistory } from "./history/history-store.js";
import { TopicStreams } from "./history/topic-streams.js";

/** Options of {@link MemoryBus}. */
export interface MemoryBusOptions {
  /** The time in ms, for the history's ttls (tests inject their own clock). @defaultValue `Date.now` */
  readonly now?: () => number;
  /**
   * How long the epoch and last offset of a topic nobody broadcasts to or reads are kept (ms).
   * @defaultValue 24 hours
   */
  readonly historyMetaTtlMs?: number;
  /**
   * How often expired history messages and unused topics are dropped (ms), while a node is on the bus.
   * @defaultValue 30000
   */
  readonly historySweepIntervalMs?: number;
}

/**
 * A message bus that links the {@link MemoryAdapter}s created on it, like a network between nodes.
 *
 * @remarks
 * Frames are delivered asynchronously (on a microtask), in send order per sender→receiver pair, which is
 * what adapters over a real network guarantee too. Each node receives the same bytes; the PubSub decodes
 * them into its own copy of the message.
 *
 * The bus keeps the history of history topics for all its nodes (see {@link MemoryAdapter.history}):
 * positions are given synchronously, in append order, and the positioned frames are delivered on a
 * microtask to every node, the appending one included. The streams belong to the bus: they survive the
 * nodes that appended to them leaving.
 */
export class MemoryBus {
  readonly #nodes = new Map<string, AdapterHost>();
  readonly #streams: TopicStreams<Uint8Array>;

  constructor(options: MemoryBusOptions = {}) {
    this.#streams = new TopicStreams({ now: options.now, metaTtlMs: options.historyMetaTtlMs, sweepIntervalMs: options.historySweepIntervalMs });
  }

  /** @internal */
  join(host: AdapterHost): void {
    if (this.#nodes.has(host.nodeName)) {
      throw new PubSubError(
        PubSubErrorCode.DUPLICATE_NODE,
        `A node named "${host.nodeName}" is already on this bus; give every node its own runtime node name.`,
      );
    }
    this.#nodes.set(host.nodeName, host);
    this.#streams.startSweeping();
  }

  /** @internal */
  leave(host: AdapterHost): void {
    if (this.#nodes.get(host.nodeName) === host) this.#nodes.delete(host.nodeName);
    if (this.#nodes.size === 0) this.#streams.stopSweeping();
  }

  /** @internal */
  send(from: string, to: string | null, frame: Uint8Array): void {
    queueMicrotask(() => {
      if (to !== null) {
        this.#nodes.get(to)?.deliver(frame);
        return;
      }
      for (const [name, host] of this.#nodes) {
        if (name !== from) host.deliver(frame);
      }
    });
  }

  /** @internal Gives the frame its position now, and delivers it to every node on a microtask. */
  append(topic: string, frame: Uint8Array, retention: HistoryRetention): void {
    const position = this.#streams.append(topic, frame, retention);
    queueMicrotask(() => {
      for (const host of this.#nodes.values()) host.deliverPositioned(frame, position);
    });
  }

  /** @internal */
  read(topic: string, query: HistoryQuery, retention: HistoryRetention): StoredHistory<Uint8Array> {
    return this.#streams.read(topic, query, retention);
  }

  /** The names of the nodes on this bus. */
  nodes(): string[] {
    return [...this.#nodes.keys()];
  }

  /**
   * The history streams the bus keeps for its nodes (how many messages and topics; `sweep()` drops
   * expired ones, which the bus does by itself every `historySweepIntervalMs` while a node is on it).
   */
  get streams(): TopicStreams<Uint8Array> {
    return this.#streams;
  }
}

/**
 * A {@link PubSubAdapter} over a {@link MemoryBus}.
 *
 * @example
 * ```ts
 * const bus = new MemoryBus();
 * const a = new PubSub({ runtime: new Runtime({ node: "a" }), adapter: new MemoryAdapter(bus) });
 * const b = new PubSub({ runtime: new Runtime({ node: "b" }), adapter: new MemoryAdapter(bus) });
 * ```
 */
export class MemoryAdapter implements PubSubAdapter {
  readonly #bus: MemoryBus;
  #host: AdapterHost | null = null;

  /**
   * The history the nodes of the bus share, kept by the bus.
   *
   * @remarks
   * `append` gives the frame its position at once and delivers it, on a microtask, to every node on the
   * bus (this one included); an adapter that is not started drops it. `read` answers from the bus's
   * streams whether or not this adapter is started.
   */
  readonly history: HistoryStore = {
    append: (topic, frame, retention) => {
      if (this.#host !== null) this.#bus.append(topic, frame, retention);
    },
    read: (topic, query, retention) => Promise.resolve(this.#bus.read(topic, query, retention)),
  };

  /** @param bus - the bus shared with the other nodes. @defaultValue a bus of its own (a single node). */
  constructor(bus: MemoryBus = new MemoryBus()) {
    this.#bus = bus;
  }

  start(host: AdapterHost): void {
    this.#bus.join(host);
    this.#host = host;
    host.reportStatus(true);
  }

  stop(): void {
    if (this.#host !== null) this.#bus.leave(this.#host);
    this.#host = null;
  }

  broadcast(frame: Uint8Array): void {
    if (this.#host !== null) this.#bus.send(this.#host.nodeName, null, frame);
  }

  directBroadcast(node: string, frame: Uint8Array): void {
    if (this.#host !== null) this.#bus.send(this.#host.nodeName, node, frame);
  }

  nodes(): readonly string[] {
    return this.#host === null ? [] : this.#bus.nodes();
  }
}
