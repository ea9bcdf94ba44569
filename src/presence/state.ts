/**
 * The pure presence state of one replica: an observed-remove set of presence entries with a causal
 * context, as a presence tracker replicates it. Synchronous and free of I/O and timers: the tracker shard
 * process owns one, applies local tracks and untracks to it, ships its deltas and full states over PubSub,
 * merges what other replicas send, and turns the returned joins and leaves into `presence_diff`s.
 *
 * Model. Only the replica that created an entry ever removes it. Every local operation takes the next
 * value of the replica's counter, so each entry has a unique dot and each replica's counters form one
 * gap-free range; a leave also takes a counter, so other replicas can see from clocks alone that something
 * changed. A state (or delta) says, per replica, which counters it has observed and which of those are
 * live entries. Merging keeps an entry when both sides hold it or the other side has not observed its dot,
 * and unites the observed sets — a join of a lattice, hence commutative, associative and idempotent.
 *
 * Replicas. Data about a replica is taken in only once that replica is known (see {@link
 * PresenceCrdt.replicaUp}): a tracker marks a replica up when it hears from it directly, which keeps
 * entries of long-gone replicas from coming back through third parties. Entries of a replica marked down
 * stay in the state but are hidden from every read and diff; {@link PresenceCrdt.removeDown} drops them
 * for good and ignores that replica version from then on.
 */
import { clockOf, type VersionVector } from "./clock.js";
import { assertMeta, assertNonEmpty, assertString, makeEntry, type PresenceEntry, type PresenceMeta } from "./entry.js";
import { EntryIndex } from "./entry-index.js";
import { PresenceError, PresenceErrorCode } from "./errors.js";
import { addedBy, emptyPart, removedBy, type Fragment, type Part } from "./fragment.js";
import { DEFAULT_MAX_DELTA_SIZES, DeltaGenerations } from "./generations.js";
import { assertReplicaId, describe, type ReplicaId } from "./replica.js";
import { CounterSet } from "./counter-set.js";
import { decodeWire, encodeFragment, type PresenceWire } from "./wire.js";

/** Options of a {@link PresenceCrdt}. */
export interface PresenceCrdtOptions {
  /** The id of this replica ({@link replicaId}); new at every start of the node. */
  readonly replica: ReplicaId;
  /**
   * Size caps (entries plus observed ranges) of the delta generations kept for catch-up, smallest first.
   * Default `[100, 1000, 10000]`; `[]` keeps none, so every catch-up is a full state.
   */
  readonly maxDeltaSizes?: readonly number[];
}

/** The entries that became visible (`joins`) and stopped being visible (`leaves`) through one operation. */
export interface PresenceChanges {
  readonly joins: readonly PresenceEntry[];
  readonly leaves: readonly PresenceEntry[];
}

/** The result of {@link PresenceCrdt.update}: the new entry and the one it replaced. */
export interface PresenceUpdate {
  /** The entry with the new meta and a new dot (its `ref` is the new `phx_ref`). */
  readonly joined: PresenceEntry;
  /** The replaced entry (its `ref` is the `phx_ref_prev`). */
  readonly left: PresenceEntry;
}

/** Whether a known remote replica's entries are shown (`"up"`) or hidden (`"down"`). */
export type ReplicaStatus = "up" | "down";

/** What a state knows of a replica: see {@link PresenceCrdt.status}. */
export type ReplicaKnowledge = ReplicaStatus | "self" | "removed" | "unknown";

/** A known remote replica and its status. */
export interface ReplicaInfo {
  readonly replica: ReplicaId;
  readonly status: ReplicaStatus;
}

/** Options of {@link PresenceCrdt.extract}. */
export interface ExtractOptions {
  /** Only these replicas' parts (default: every known replica, this one included). */
  readonly replicas?: Iterable<ReplicaId>;
}

const NO_CHANGE: PresenceChanges = Object.freeze({ joins: Object.freeze([]), leaves: Object.freeze([]) });

/**
 * One replica's presence state.
 *
 * @example
 * ```ts
 * const a = new PresenceCrdt({ replica: replicaId("node-a", 1) });
 * const b = new PresenceCrdt({ replica: replicaId("node-b", 7) });
 * a.replicaUp(b.replica);
 * b.replicaUp(a.replica);
 *
 * a.join("chan-1", "room:lobby", "alice", { online_at: 1 });
 * const delta = a.extractDelta();            // send on the next heartbeat
 * const diff = b.merge(delta!);              // { joins: [alice], leaves: [] } → presence_diff on node-b
 * b.get("room:lobby").map((e) => e.key);     // ["alice"]
 * ```
 */
export class PresenceCrdt {
  /** This replica's id. */
  readonly replica: ReplicaId;
  /** Per known replica (this one included): observed counters and live entries. */
  readonly #parts: Fragment = new Map();
  /** This replica's own part. */
  readonly #self: Part;
  /** Known remote replicas. */
  readonly #status = new Map<ReplicaId, ReplicaStatus>();
  /** Remote replica versions dropped for good by {@link removeDown}. */
  readonly #removed = new Set<ReplicaId>();
  readonly #index = new EntryIndex();
  readonly #generations: DeltaGenerations;
  /** This replica's counter: the dot of its last operation. */
  #clock = 0;
  /** The counter when the pending delta was last extracted. */
  #pendingFrom = 0;
  /** Own dots at or below {@link #pendingFrom} removed since the last extraction. */
  readonly #pendingRemoved: number[] = [];

  /**
   * @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` for a malformed replica id or size caps.
   */
  constructor(options: PresenceCrdtOptions) {
    assertReplicaId(options?.replica, "options.replica");
    const caps = options.maxDeltaSizes ?? DEFAULT_MAX_DELTA_SIZES;
    if (!Array.isArray(caps) || !caps.every((cap) => Number.isSafeInteger(cap) && cap > 0)) {
      throw new PresenceError(
        PresenceErrorCode.BAD_ARGUMENT,
        `options.maxDeltaSizes must be an array of positive integers, received ${describe(caps)}.`,
      );
    }
    this.replica = options.replica;
    this.#self = emptyPart();
    this.#parts.set(this.replica, this.#self);
    this.#generations = new DeltaGenerations([...caps]);
  }

  // ---------------------------------------------------------------------------------------------------
  // Local operations (entries owned by this replica)
  // ---------------------------------------------------------------------------------------------------

  /**
   * Tracks a presence of the local owner `pid` under `key` on `topic`, with a new dot.
   *
   * @returns The new entry (a join; its `ref` is the `phx_ref`).
   * @throws PresenceError `FENIX_ERR_PRESENCE_ALREADY_TRACKED` when this replica already tracks
   *   `(pid, topic, key)` (use {@link update}, or check with {@link has}); `FENIX_ERR_PRESENCE_BAD_ARGUMENT`
   *   for an empty `pid` or `topic`, a non-string `key` or a meta that is not a plain object.
   */
  join(pid: string, topic: string, key: string, meta: PresenceMeta): PresenceEntry {
    assertTriple(pid, topic, key);
    assertMeta(meta);
    if (this.#index.own(pid, topic, key) !== undefined) {
      throw new PresenceError(
        PresenceErrorCode.ALREADY_TRACKED,
        `${describe(pid)} already tracks key ${describe(key)} on topic ${describe(topic)}; use update() to change its meta.`,
      );
    }
    return this.#addOwn(pid, topic, key, meta);
  }

  /**
   * Untracks the local owner `pid`'s presence under `key` on `topic`.
   *
   * @returns The removed entry (a leave), or `undefined` when nothing was tracked (no change).
   * @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` for malformed arguments.
   */
  leave(pid: string, topic: string, key: string): PresenceEntry | undefined {
    assertTriple(pid, topic, key);
    const entry = this.#index.own(pid, topic, key);
    if (entry === undefined) return undefined;
    this.#removeOwn(entry);
    this.#tick();
    return entry;
  }

  /**
   * Untracks every presence of the local owner `pid` (it exited).
   *
   * @returns The removed entries (leaves); empty when it tracked nothing.
   * @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` for an empty `pid`.
   */
  leaveAll(pid: string): PresenceEntry[] {
    assertNonEmpty(pid, "pid");
    const entries = this.#index.ownByPid(pid);
    if (entries.length === 0) return entries;
    for (const entry of entries) this.#removeOwn(entry);
    this.#tick();
    return entries;
  }

  /**
   * Replaces the meta of a local presence: a leave of the old entry and a join of a new one with a new
   * dot, in one step. `meta` may be a function of the current entry (to keep fields, or to store its `ref`
   * as `phx_ref_prev`).
   *
   * @returns The new and the replaced entry, or `undefined` when nothing was tracked (no change).
   * @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` for malformed arguments or when `meta` (or what
   *   it returns) is not a plain object.
   */
  update(
    pid: string,
    topic: string,
    key: string,
    meta: PresenceMeta | ((current: PresenceEntry) => PresenceMeta),
  ): PresenceUpdate | undefined {
    assertTriple(pid, topic, key);
    const left = this.#index.own(pid, topic, key);
    if (left === undefined) return undefined;
    const next = typeof meta === "function" ? meta(left) : meta;
    assertMeta(next);
    this.#removeOwn(left);
    return { joined: this.#addOwn(pid, topic, key, next), left };
  }

  // ---------------------------------------------------------------------------------------------------
  // Queries (only entries of this replica and of replicas that are up)
  // ---------------------------------------------------------------------------------------------------

  /**
   * True when this replica tracks `(pid, topic, key)` for a local owner.
   */
  has(pid: string, topic: string, key: string): boolean {
    return this.#index.own(pid, topic, key) !== undefined;
  }

  /**
   * The visible presences of a topic, grouped by key (keys in first-seen order). O(size of the topic).
   *
   * @returns Entries (each with `key`, `meta` and `ref`); a new array, of shared, immutable entries.
   */
  get(topic: string): PresenceEntry[] {
    assertString(topic, "topic");
    const out: PresenceEntry[] = [];
    const all = this.#index.topicCounts(topic).hidden === 0;
    for (const group of this.#index.topicGroups(topic)) {
      for (const entry of group) if (all || this.#visible(entry)) out.push(entry);
    }
    return out;
  }

  /** The visible presences of one key on a topic. O(presences of that key). */
  getByKey(topic: string, key: string): PresenceEntry[] {
    assertString(topic, "topic");
    assertString(key, "key");
    return this.#visibleOf(this.#index.topicKey(topic, key));
  }

  /** The visible presences owned by `pid`, on every topic and replica. O(presences of that owner). */
  getByPid(pid: string): PresenceEntry[] {
    assertString(pid, "pid");
    return this.#visibleOf(this.#index.pid(pid));
  }

  /** Topics with at least one visible presence. O(topics). */
  topics(): string[] {
    return this.#index.visibleTopics();
  }

  /** Number of visible presences on a topic. O(1). */
  topicSize(topic: string): number {
    const { total, hidden } = this.#index.topicCounts(topic);
    return total - hidden;
  }

  /** Number of visible presences. O(1). */
  get size(): number {
    return this.#index.total - this.#index.hidden;
  }

  /** Every visible presence (this replica's first, then by replica). O(entries). */
  entries(): PresenceEntry[] {
    const out: PresenceEntry[] = [];
    for (const [replica, part] of this.#parts) {
      if (replica === this.replica || this.#status.get(replica) === "up") for (const entry of part.entries.values()) out.push(entry);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------------
  // Replicas
  // ---------------------------------------------------------------------------------------------------

  /**
   * What this state knows of `replica`: `"self"`, `"up"`, `"down"`, `"removed"` (dropped for good by
   * {@link removeDown}) or `"unknown"` (never marked up; its data is ignored by {@link merge}).
   */
  status(replica: ReplicaId): ReplicaKnowledge {
    if (replica === this.replica) return "self";
    return this.#status.get(replica) ?? (this.#removed.has(replica) ? "removed" : "unknown");
  }

  /** The known remote replicas and their status. */
  replicas(): ReplicaInfo[] {
    return [...this.#status].map(([replica, status]) => ({ replica, status }));
  }

  /**
   * Marks a remote replica up: first sight (it becomes known, and later merges take in its data), or back
   * after {@link replicaDown} (its entries are visible again). A removed replica stays removed.
   *
   * @returns The entries that became visible (joins); none for first sight or a replica already up.
   * @throws PresenceError `FENIX_ERR_PRESENCE_SELF_REPLICA` for this replica's own id;
   *   `FENIX_ERR_PRESENCE_BAD_ARGUMENT` for a malformed id.
   */
  replicaUp(replica: ReplicaId): PresenceChanges {
    this.#assertRemote(replica, "replicaUp");
    if (this.#removed.has(replica)) return NO_CHANGE;
    const status = this.#status.get(replica);
    if (status === undefined) {
      this.#status.set(replica, "up");
      this.#parts.set(replica, emptyPart());
      return NO_CHANGE;
    }
    if (status === "up") return NO_CHANGE;
    this.#status.set(replica, "up");
    const joins = [...this.#parts.get(replica)!.entries.values()];
    for (const entry of joins) this.#index.setHidden(entry, false);
    return { joins, leaves: [] };
  }

  /**
   * Marks a known remote replica down (it went silent): its entries stay, but are hidden from reads and
   * diffs until {@link replicaUp} or dropped by {@link removeDown}. Merges keep updating them meanwhile.
   *
   * @returns The entries that stopped being visible (leaves); none when the replica was not up.
   * @throws PresenceError `FENIX_ERR_PRESENCE_SELF_REPLICA` for this replica's own id;
   *   `FENIX_ERR_PRESENCE_BAD_ARGUMENT` for a malformed id.
   */
  replicaDown(replica: ReplicaId): PresenceChanges {
    this.#assertRemote(replica, "replicaDown");
    if (this.#status.get(replica) !== "up") return NO_CHANGE;
    this.#status.set(replica, "down");
    const leaves = [...this.#parts.get(replica)!.entries.values()];
    for (const entry of leaves) this.#index.setHidden(entry, true);
    return { joins: [], leaves };
  }

  /**
   * Drops a remote replica for good (permdown): its entries, observed counters and delta-generation parts
   * are deleted, and any later data about this replica version — a late delta, a full state from a
   * replica that still holds it — is ignored, as is a later {@link replicaUp}. Works on a replica that is
   * up, down or even unknown (so data about it is never taken in).
   *
   * @returns The entries that stopped being visible (leaves): the replica's entries if it was up, else none.
   * @throws PresenceError `FENIX_ERR_PRESENCE_SELF_REPLICA` for this replica's own id;
   *   `FENIX_ERR_PRESENCE_BAD_ARGUMENT` for a malformed id.
   */
  removeDown(replica: ReplicaId): PresenceChanges {
    this.#assertRemote(replica, "removeDown");
    if (this.#removed.has(replica)) return NO_CHANGE;
    this.#removed.add(replica);
    const status = this.#status.get(replica);
    if (status === undefined) return NO_CHANGE;
    const entries = [...this.#parts.get(replica)!.entries.values()];
    for (const entry of entries) this.#index.remove(entry, false, status === "down");
    this.#parts.delete(replica);
    this.#status.delete(replica);
    this.#generations.drop(replica);
    return status === "up" ? { joins: [], leaves: entries } : NO_CHANGE;
  }

  // ---------------------------------------------------------------------------------------------------
  // Clocks
  // ---------------------------------------------------------------------------------------------------

  /**
   * The version vector to advertise on heartbeats: for this replica and every replica that is up, the
   * counter up to which all its dots have been seen. Down replicas are left out, so a newly started
   * replica is not made to ask for data about a replica it will never hear from.
   */
  clock(): VersionVector {
    const out: Record<ReplicaId, number> = {};
    for (const [replica, part] of this.#parts) {
      if (replica === this.replica || this.#status.get(replica) === "up") out[replica] = part.seen.contiguousEnd;
    }
    return out;
  }

  /** Like {@link clock}, but with every known replica, down ones included. */
  context(): VersionVector {
    const out: Record<ReplicaId, number> = {};
    for (const [replica, part] of this.#parts) out[replica] = part.seen.contiguousEnd;
    return out;
  }

  /**
   * Folds observed counters that have become contiguous into the version vector. Merges already do this
   * as they go, so calling it is never required; it exists to re-normalise after bulk work.
   */
  compact(): void {
    for (const part of this.#parts.values()) part.seen.compact();
  }

  // ---------------------------------------------------------------------------------------------------
  // Replication
  // ---------------------------------------------------------------------------------------------------

  /**
   * The local changes since the previous extraction, as a delta to broadcast on the next heartbeat, or
   * `null` when there were none. The delta is also recorded in the delta generations.
   */
  extractDelta(): PresenceWire | null {
    if (this.#clock === this.#pendingFrom) return null;
    const from = this.#pendingFrom;
    const seen = new CounterSet();
    seen.addRange(this.#pendingFrom, this.#clock);
    for (const counter of this.#pendingRemoved) seen.add(counter);
    const entries = new Map<number, PresenceEntry>();
    for (let counter = this.#pendingFrom + 1; counter <= this.#clock; counter++) {
      const entry = this.#self.entries.get(counter);
      if (entry !== undefined) entries.set(counter, entry);
    }
    this.#pendingFrom = this.#clock;
    this.#pendingRemoved.length = 0;
    const delta: Fragment = new Map([[this.replica, { seen, entries }]]);
    this.#generations.push(delta, new Map([[this.replica, from]]));
    return encodeFragment("delta", this.replica, delta);
  }

  /**
   * The full state (every entry of every known replica, down ones included, with the observed counters),
   * for a replica too far behind for a delta. Does not touch the pending delta.
   */
  extract(options: ExtractOptions = {}): PresenceWire {
    let fragment: Fragment = this.#parts;
    if (options.replicas !== undefined) {
      fragment = new Map();
      for (const replica of options.replicas) {
        const part = this.#parts.get(replica);
        if (part !== undefined) fragment.set(replica, part);
      }
    }
    return encodeFragment("state", this.replica, fragment);
  }

  /**
   * What to send a replica that asked for a transfer with its `clock` (`requester` is its id, if known):
   * an empty delta when it lacks nothing this state holds; else the smallest delta generation that
   * continues, for every replica it lacks, from where its clock stops; else the full state limited to the
   * replicas its clock names (the others it would ignore).
   *
   * @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` when `clock` is not an object.
   */
  extractFor(clock: VersionVector, requester?: ReplicaId): PresenceWire {
    if (typeof clock !== "object" || clock === null || Array.isArray(clock)) {
      throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, `clock must be a version vector object, received ${describe(clock)}.`);
    }
    const wanted = Object.keys(clock).filter((replica) => replica !== requester && this.#parts.has(replica));
    const lacking = wanted.filter((replica) => this.#parts.get(replica)!.seen.max > clockOf(clock, replica));
    if (lacking.length === 0) return encodeFragment("delta", this.replica, new Map());
    const generation = this.#generations.select(clock, lacking);
    if (generation !== undefined) {
      const fragment: Fragment = new Map();
      for (const replica of wanted) {
        const part = generation.get(replica);
        if (part !== undefined) fragment.set(replica, part);
      }
      return encodeFragment("delta", this.replica, fragment);
    }
    return this.extract({ replicas: wanted });
  }

  /**
   * Merges a full state or a delta from another replica (any order, any number of times). Data about
   * this replica itself, about unknown replicas and about removed ones is ignored. A delta is also
   * recorded in the delta generations.
   *
   * @param wire - A {@link PresenceWire} as produced by {@link extract}, {@link extractDelta} or
   *   {@link extractFor} on another replica, possibly after a JSON round trip. It is validated first;
   *   on error nothing is merged.
   * @returns The entries that became visible (joins) and stopped being visible (leaves) here; merging the
   *   same data again returns no change.
   * @throws PresenceError `FENIX_ERR_PRESENCE_BAD_WIRE` for a malformed object,
   *   `FENIX_ERR_PRESENCE_WIRE_VERSION` for an unsupported wire version.
   */
  merge(wire: PresenceWire): PresenceChanges {
    const { kind, fragment } = decodeWire(wire);
    const joins: PresenceEntry[] = [];
    const leaves: PresenceEntry[] = [];
    const accepted: Fragment = new Map();
    const bases = new Map<ReplicaId, number>();
    for (const [replica, remote] of fragment) {
      const status = this.#status.get(replica);
      if (status === undefined) continue; // this replica, unknown or removed
      const local = this.#parts.get(replica)!;
      const hidden = status === "down";
      for (const entry of removedBy(local.entries, remote)) {
        local.entries.delete(entry.tag.counter);
        this.#index.remove(entry, false, hidden);
        if (!hidden) leaves.push(entry);
      }
      for (const entry of addedBy(local, remote)) {
        local.entries.set(entry.tag.counter, entry);
        this.#index.add(entry, false, hidden);
        if (!hidden) joins.push(entry);
      }
      bases.set(replica, local.seen.max);
      local.seen.addAll(remote.seen);
      accepted.set(replica, remote);
    }
    if (kind === "delta" && accepted.size > 0) this.#generations.push(accepted, bases);
    return joins.length === 0 && leaves.length === 0 ? NO_CHANGE : { joins, leaves };
  }

  /** The sizes of the delta generations, smallest first (introspection). */
  generationSizes(): number[] {
    return this.#generations.sizes();
  }

  // ---------------------------------------------------------------------------------------------------

  #tick(): number {
    const counter = ++this.#clock;
    this.#self.seen.add(counter);
    return counter;
  }

  #addOwn(pid: string, topic: string, key: string, meta: PresenceMeta): PresenceEntry {
    const entry = makeEntry(this.replica, this.#tick(), topic, pid, key, meta);
    this.#self.entries.set(entry.tag.counter, entry);
    this.#index.add(entry, true, false);
    return entry;
  }

  #removeOwn(entry: PresenceEntry): void {
    this.#self.entries.delete(entry.tag.counter);
    this.#index.remove(entry, true, false);
    if (entry.tag.counter <= this.#pendingFrom) this.#pendingRemoved.push(entry.tag.counter);
  }

  #visible(entry: PresenceEntry): boolean {
    return entry.tag.replica === this.replica || this.#status.get(entry.tag.replica) === "up";
  }

  #visibleOf(entries: ReadonlySet<PresenceEntry> | undefined): PresenceEntry[] {
    const out: PresenceEntry[] = [];
    if (entries !== undefined) for (const entry of entries) if (this.#visible(entry)) out.push(entry);
    return out;
  }

  #assertRemote(replica: ReplicaId, method: string): void {
    assertReplicaId(replica, "replica");
    if (replica === this.replica) {
      throw new PresenceError(
        PresenceErrorCode.SELF_REPLICA,
        `${method}() was given this state's own replica ${describe(replica)}; it applies to other replicas only.`,
      );
    }
  }
}

function assertTriple(pid: unknown, topic: unknown, key: unknown): void {
  assertNonEmpty(pid, "pid");
  assertNonEmpty(topic, "topic");
  assertString(key, "key");
}
