/**
 * The ordered message queue of a process: an array with a moving head index, compacted now and then, so
 * taking a message is O(1) (no `Array.prototype.shift`) and memory is returned as the queue drains.
 */

/** Compact only once this many slots at the front are spent, so small queues never copy. */
const COMPACT_AFTER = 1024;

/**
 * A first-in first-out queue of messages.
 *
 * @remarks
 * Internal to the runtime (each Process owns one); exported for tests and for processes built later on
 * the same primitive. `take` requires a non-empty queue: messages may themselves be `undefined`, so
 * emptiness is read from `size`, never from the value taken. Taken slots are cleared at once so handled
 * messages can be garbage-collected; when at least half the array is spent (and at least 1024 slots), the
 * live part is copied to a fresh array, which keeps the cost amortised O(1) per message.
 *
 * @example
 * ```ts
 * const mailbox = new Mailbox<string>();
 * mailbox.push("a");
 * mailbox.push("b");
 * while (mailbox.size > 0) console.log(mailbox.take()); // "a", then "b"
 * ```
 */
export class Mailbox<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Number of queued messages. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Appends a message at the back. */
  push(message: T): void {
    this.#items.push(message);
  }

  /** Removes and returns the front message. Call only when `size > 0`. */
  take(): T {
    const items = this.#items;
    const message = items[this.#head] as T;
    items[this.#head] = undefined;
    this.#head++;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return message;
  }

  /** Drops every queued message. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
