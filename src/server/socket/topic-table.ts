/**
 * The channels of one connection, by topic, sized for what connections hold: most join one or a few
 * topics, so one entry is kept as is, a few in an array of exactly their number, and only many in a Map.
 * A Map costs ~180 bytes even for one entry, and there is one table per connection.
 */

/** Entries kept in an array (scanned) before they move to a Map. */
const SMALL = 8;

const NONE: readonly never[] = Object.freeze([]);

/**
 * A map from topic to entry, for a connection's channels.
 *
 * @example
 * ```ts
 * const table = new TopicTable<{ topic: string; joinRef: string }>();
 * table.set({ topic: "room:lobby", joinRef: "1" });
 * table.get("room:lobby")?.joinRef; // "1"
 * ```
 */
export class TopicTable<E extends { readonly topic: string }> {
  #entries: E | E[] | Map<string, E> | null = null;

  /** How many topics have an entry. */
  get size(): number {
    const entries = this.#entries;
    if (entries === null) return 0;
    if (entries instanceof Map) return entries.size;
    return Array.isArray(entries) ? entries.length : 1;
  }

  /** The entry of `topic`, if any. */
  get(topic: string): E | undefined {
    const entries = this.#entries;
    if (entries === null) return undefined;
    if (entries instanceof Map) return entries.get(topic);
    if (Array.isArray(entries)) {
      for (let i = 0; i < entries.length; i++) if (entries[i]!.topic === topic) return entries[i];
      return undefined;
    }
    return entries.topic === topic ? entries : undefined;
  }

  /** Sets the entry of `entry.topic`, replacing the one it had. */
  set(entry: E): void {
    const entries = this.#entries;
    if (entries === null) {
      this.#entries = entry;
    } else if (entries instanceof Map) {
      entries.set(entry.topic, entry);
    } else if (Array.isArray(entries)) {
      const at = entries.findIndex((e) => e.topic === entry.topic);
      if (at !== -1) entries[at] = entry;
      else if (entries.length < SMALL) this.#entries = [...entries, entry];
      else this.#entries = new Map([...entries, entry].map((e) => [e.topic, e]));
    } else {
      this.#entries = entries.topic === entry.topic ? entry : [entries, entry];
    }
  }

  /** Removes the entry of `topic`; whether there was one. */
  delete(topic: string): boolean {
    const entries = this.#entries;
    if (entries === null) return false;
    if (entries instanceof Map) return entries.delete(topic);
    if (Array.isArray(entries)) {
      const at = entries.findIndex((e) => e.topic === topic);
      if (at === -1) return false;
      this.#entries = entries.length === 2 ? entries[1 - at]! : entries.filter((_, i) => i !== at);
      return true;
    }
    if (entries.topic !== topic) return false;
    this.#entries = null;
    return true;
  }

  /** The entries, in the order their topics were first set (a copy when there are several: safe to delete while iterating). */
  values(): readonly E[] {
    const entries = this.#entries;
    if (entries === null) return NONE;
    if (entries instanceof Map) return Array.from(entries.values());
    if (Array.isArray(entries)) return entries.slice();
    return [entries];
  }
}
