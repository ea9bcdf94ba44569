/**
 * The presence totals of one node's view, kept from presence diffs alone: the last size of every topic,
 * per tracker, so the total and the number of topics are known at scrape time without asking the
 * trackers. Memory grows with the topics that have presences, never with the keys.
 */

/** Last known size of each topic, per tracker. */
export class PresenceTally {
  readonly #sizes = new Map<object, Map<string, number>>();
  #presences = 0;
  #topics = 0;

  /** Records that `topic` of `tracker` has `size` keys after a diff. */
  update(tracker: object, topic: string, size: number): void {
    let topics = this.#sizes.get(tracker);
    const before = topics?.get(topic) ?? 0;
    if (size > 0) {
      if (topics === undefined) this.#sizes.set(tracker, (topics = new Map()));
      if (before === 0) this.#topics++;
      topics.set(topic, size);
    } else if (topics !== undefined && before > 0) {
      this.#topics--;
      topics.delete(topic);
      if (topics.size === 0) this.#sizes.delete(tracker);
    }
    this.#presences += Math.max(size, 0) - before;
  }

  /** Presence keys summed over every topic seen. */
  get presences(): number {
    return this.#presences;
  }

  /** Topics with at least one key. */
  get topics(): number {
    return this.#topics;
  }
}
