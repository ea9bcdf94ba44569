/**
 * The presence tracker: a pool of shard processes (one replica each of the presence CRDT), supervised,
 * replicated with the same pool on every node over PubSub. It tracks presences for owner processes,
 * removes them when their owner exits, answers reads from the local replica, and reports every change
 * of the visible presences per topic, in the order the shards produced them.
 */
import type { PubSub } from "../pubsub/pubsub.js";
import type { ChildSpec } from "../runtime/supervisor/child-spec.js";
import type { Pid } from "../runtime/process/pid.js";
import { Supervisor } from "../runtime/supervisor/supervisor.js";
import type { PresenceEntry, PresenceMeta } from "./entry.js";
import { PresenceError, PresenceErrorCode } from "./errors.js";
import type { PresenceChanges, PresenceUpdate } from "./state.js";
import { TrackerShard } from "./tracker-shard.js";
import { resolveTrackerOptions, shardOf, type ResolvedTrackerOptions, type TrackerOptions } from "./tracker-options.js";

/** The changes of one topic's visible presences. */
export interface TopicChanges {
  readonly topic: string;
  readonly joins: readonly PresenceEntry[];
  readonly leaves: readonly PresenceEntry[];
}

/** Receives the changes of every topic, in order. */
export type ChangesListener = (changes: TopicChanges) => void;

/**
 * Replicated presence tracking across the nodes that share a PubSub.
 *
 * @remarks
 * Start it in a supervision tree with {@link Tracker.childSpec} (for example in the endpoint's
 * `children`); every node must use the same `name` and `poolSize`. Reads and writes are synchronous
 * calls on the local replica; other nodes see a change on the next heartbeat (`broadcastPeriodMs`).
 *
 * @example
 * ```ts
 * const pubsub = new PubSub();
 * const tracker = new Tracker(pubsub, { broadcastPeriodMs: 1000 });
 * const endpoint = new Endpoint({ pubsub, children: [pubsub.childSpec(), tracker.childSpec()] });
 * ```
 */
export class Tracker {
  /** The options, defaults applied. */
  readonly options: ResolvedTrackerOptions;
  readonly pubsub: PubSub;
  readonly #shards: Array<TrackerShard | null>;
  readonly #listeners = new Set<ChangesListener>();

  /** @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` for an option out of range. */
  constructor(pubsub: PubSub, options: TrackerOptions = {}) {
    this.pubsub = pubsub;
    this.options = resolveTrackerOptions(options);
    this.#shards = Array.from({ length: this.options.poolSize }, () => null);
  }

  /**
   * A child spec of a supervisor (one for one) running the shards. A shard that crashes comes back as a
   * new replica: the other nodes drop the presences of the old one, and owners still alive must track
   * again (a channel does by rejoining).
   */
  childSpec(id = `presence:${this.options.name}`): ChildSpec {
    const runtime = this.pubsub.runtime;
    const children: ChildSpec[] = this.#shards.map((_, index) => ({
      id: `shard:${index}`,
      restart: "permanent",
      start: (parent: Pid) => {
        const shard = new TrackerShard({
          index,
          pubsub: this.pubsub,
          options: this.options,
          onChanges: (changes) => this.#dispatch(changes),
          link: parent,
        });
        this.#shards[index] = shard;
        runtime.watch(shard.pid, () => {
          if (this.#shards[index] === shard) this.#shards[index] = null;
        });
        return shard.pid;
      },
    }));
    return Supervisor.childSpec(id, { runtime, strategy: "oneForOne", children, maxRestarts: 3, maxSeconds: 5 });
  }

  /** Whether every shard is running. */
  get running(): boolean {
    return this.#shards.every((shard) => shard !== null && shard.alive);
  }

  /** Calls `listener` with every change of the visible presences of any topic; returns a function that stops it. */
  onChanges(listener: ChangesListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Tracks a presence of `owner` under `key` on `topic`; it is removed when `owner` exits.
   * @returns the new entry (its `ref` is the presence's `phx_ref`).
   * @throws PresenceError `FENIX_ERR_PRESENCE_ALREADY_TRACKED` when `owner` already tracks `key` on `topic`;
   *   `FENIX_ERR_PRESENCE_NOT_RUNNING` before the tracker is started.
   */
  track(owner: Pid, topic: string, key: string, meta: PresenceMeta): PresenceEntry {
    return this.#shard(topic).track(owner, topic, key, meta);
  }

  /** Stops tracking `key` of `owner` on `topic` (nothing happens if it is not tracked). */
  untrack(owner: Pid, topic: string, key: string): void {
    this.#shard(topic).untrack(owner, topic, key);
  }

  /** Stops tracking every presence of `owner`, on every topic. */
  untrackAll(owner: Pid): void {
    for (const shard of this.#running()) shard.untrackAll(owner);
  }

  /**
   * Replaces the meta of a tracked presence (or computes it from the current entry): a new `phx_ref`,
   * the old one as `phx_ref_prev`. `undefined` when `owner` does not track `key` on `topic`.
   */
  update(owner: Pid, topic: string, key: string, meta: PresenceMeta | ((current: PresenceEntry) => PresenceMeta)): PresenceUpdate | undefined {
    return this.#shard(topic).update(owner, topic, key, meta);
  }

  /** The visible presences of `topic`, on every node, as this node knows them. */
  list(topic: string): PresenceEntry[] {
    return this.#shard(topic).state.get(topic);
  }

  /** The visible presences of `key` on `topic`. */
  get(topic: string, key: string): PresenceEntry[] {
    return this.#shard(topic).state.getByKey(topic, key);
  }

  #shard(topic: string): TrackerShard {
    if (typeof topic !== "string" || topic === "") {
      throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, `topic must be a non-empty string; got ${JSON.stringify(topic)}.`);
    }
    const shard = this.#shards[shardOf(topic, this.options.poolSize)];
    if (shard === null || shard === undefined || !shard.alive) {
      throw new PresenceError(
        PresenceErrorCode.NOT_RUNNING,
        `The presence tracker "${this.options.name}" is not running: start tracker.childSpec() in a supervision tree (such as the endpoint's children) first.`,
      );
    }
    return shard;
  }

  #running(): TrackerShard[] {
    return this.#shards.filter((shard): shard is TrackerShard => shard !== null && shard.alive);
  }

  /** Splits a shard's changes by topic, keeping their order, and hands them to the listeners. */
  #dispatch(changes: PresenceChanges): void {
    if (this.#listeners.size === 0) return;
    const byTopic = new Map<string, { joins: PresenceEntry[]; leaves: PresenceEntry[] }>();
    const of = (topic: string) => {
      let bucket = byTopic.get(topic);
      if (bucket === undefined) byTopic.set(topic, (bucket = { joins: [], leaves: [] }));
      return bucket;
    };
    for (const entry of changes.joins) of(entry.topic).joins.push(entry);
    for (const entry of changes.leaves) of(entry.topic).leaves.push(entry);
    for (const [topic, { joins, leaves }] of byTopic) {
      for (const listener of this.#listeners) listener({ topic, joins, leaves });
    }
  }
}
