/**
 * The lookup structures of a presence state: entries by topic (and key within the topic), by owner, and
 * the local replica's own entries by (owner, topic, key). Every operation is O(1) in the number of
 * entries, so tracking in a topic of 10,000 presences costs the same as in a topic of 10. It also counts,
 * per topic, the entries that are hidden because their replica is down, so sizes need no scan.
 */
import type { PresenceEntry } from "./entry.js";

/** The entries of one topic. */
interface TopicBucket {
  /** key → entries (several when several owners track the same key, or transiently after a merge). */
  readonly keys: Map<string, Set<PresenceEntry>>;
  /** All entries of the topic. */
  total: number;
  /** Entries of the topic whose replica is down. */
  hidden: number;
}

/** Indexes over the entries of a state. */
export class EntryIndex {
  readonly #topics = new Map<string, TopicBucket>();
  readonly #pids = new Map<string, Set<PresenceEntry>>();
  /** Own entries: pid → topic → key → entry (unique per triple). */
  readonly #own = new Map<string, Map<string, Map<string, PresenceEntry>>>();
  #total = 0;
  #hidden = 0;

  /** Entries, all replicas. */
  get total(): number {
    return this.#total;
  }

  /** Entries that are hidden. */
  get hidden(): number {
    return this.#hidden;
  }

  /** Adds an entry; `own` for the local replica's entries, `hidden` when its replica is down. */
  add(entry: PresenceEntry, own: boolean, hidden: boolean): void {
    let bucket = this.#topics.get(entry.topic);
    if (bucket === undefined) {
      bucket = { keys: new Map(), total: 0, hidden: 0 };
      this.#topics.set(entry.topic, bucket);
    }
    let sameKey = bucket.keys.get(entry.key);
    if (sameKey === undefined) {
      sameKey = new Set();
      bucket.keys.set(entry.key, sameKey);
    }
    sameKey.add(entry);
    bucket.total++;
    this.#total++;
    if (hidden) {
      bucket.hidden++;
      this.#hidden++;
    }
    let byPid = this.#pids.get(entry.pid);
    if (byPid === undefined) {
      byPid = new Set();
      this.#pids.set(entry.pid, byPid);
    }
    byPid.add(entry);
    if (own) {
      let topics = this.#own.get(entry.pid);
      if (topics === undefined) {
        topics = new Map();
        this.#own.set(entry.pid, topics);
      }
      let keys = topics.get(entry.topic);
      if (keys === undefined) {
        keys = new Map();
        topics.set(entry.topic, keys);
      }
      keys.set(entry.key, entry);
    }
  }

  /** Removes an entry added with the same `own` and current `hidden` flags. */
  remove(entry: PresenceEntry, own: boolean, hidden: boolean): void {
    const bucket = this.#topics.get(entry.topic);
    const sameKey = bucket?.keys.get(entry.key);
    if (bucket === undefined || sameKey === undefined || !sameKey.delete(entry)) return;
    if (sameKey.size === 0) bucket.keys.delete(entry.key);
    bucket.total--;
    this.#total--;
    if (hidden) {
      bucket.hidden--;
      this.#hidden--;
    }
    if (bucket.total === 0) this.#topics.delete(entry.topic);
    const byPid = this.#pids.get(entry.pid);
    if (byPid !== undefined && byPid.delete(entry) && byPid.size === 0) this.#pids.delete(entry.pid);
    if (own) {
      const topics = this.#own.get(entry.pid);
      const keys = topics?.get(entry.topic);
      if (topics !== undefined && keys !== undefined && keys.get(entry.key) === entry) {
        keys.delete(entry.key);
        if (keys.size === 0) topics.delete(entry.topic);
        if (topics.size === 0) this.#own.delete(entry.pid);
      }
    }
  }

  /** Marks an indexed entry hidden (`true`) or visible (`false`); the caller knows its current flag. */
  setHidden(entry: PresenceEntry, hidden: boolean): void {
    const bucket = this.#topics.get(entry.topic);
    if (bucket === undefined) return;
    const step = hidden ? 1 : -1;
    bucket.hidden += step;
    this.#hidden += step;
  }

  /** The local replica's entry for `(pid, topic, key)`. */
  own(pid: string, topic: string, key: string): PresenceEntry | undefined {
    return this.#own.get(pid)?.get(topic)?.get(key);
  }

  /** The local replica's entries owned by `pid`. */
  ownByPid(pid: string): PresenceEntry[] {
    const topics = this.#own.get(pid);
    const out: PresenceEntry[] = [];
    if (topics !== undefined) for (const keys of topics.values()) for (const entry of keys.values()) out.push(entry);
    return out;
  }

  /** Entries of a topic, grouped by key in first-seen order (hidden ones included). */
  topicGroups(topic: string): Iterable<ReadonlySet<PresenceEntry>> {
    return this.#topics.get(topic)?.keys.values() ?? [];
  }

  /** Entries of a topic under one key (hidden ones included). */
  topicKey(topic: string, key: string): ReadonlySet<PresenceEntry> | undefined {
    return this.#topics.get(topic)?.keys.get(key);
  }

  /** Entries of an owner, all replicas (hidden ones included). */
  pid(pid: string): ReadonlySet<PresenceEntry> | undefined {
    return this.#pids.get(pid);
  }

  /** Visible and hidden counts of a topic. */
  topicCounts(topic: string): { readonly total: number; readonly hidden: number } {
    return this.#topics.get(topic) ?? { total: 0, hidden: 0 };
  }

  /** Topics with at least one visible entry. */
  visibleTopics(): string[] {
    const out: string[] = [];
    for (const [topic, bucket] of this.#topics) if (bucket.total > bucket.hidden) out.push(topic);
    return out;
  }
}
