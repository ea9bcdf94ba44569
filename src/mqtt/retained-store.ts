/**
 * The node-local store of MQTT retained messages: at most one per topic, an empty payload clears the topic,
 * messages past their expiry are dropped when met, and limits on the number of messages and on their total
 * payload bytes refuse new topics once reached. A trie over topic levels answers "every retained message
 * matching this filter" (sent on SUBSCRIBE) by walking only the branches the filter can reach. Pure data
 * structure, no I/O.
 */
import { isValidTopicFilter, isValidTopicName } from "./topic.js";

/** A retained message as stored. */
export interface RetainedMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1 | 2;
  /** MQTT 5 PUBLISH properties to send along (content type, user properties…). */
  readonly properties?: Readonly<Record<string, unknown>>;
  /** When it was stored, in ms since the epoch. */
  readonly storedAt: number;
  /** When it expires, in ms since the epoch (it is gone from that instant on); absent = never. */
  readonly expiresAt?: number;
}

/** Options of a {@link RetainedStore}. */
export interface RetainedStoreOptions {
  /** Most messages kept; default 100 000. */
  readonly maxMessages?: number;
  /** Most payload bytes kept, summed over all messages; default 256 MiB. */
  readonly maxBytes?: number;
  /** The clock, in ms since the epoch, against which `expiresAt` is checked; default `Date.now`. */
  readonly now?: () => number;
}

/** What {@link RetainedStore.set} did. */
export type RetainedSetResult = "stored" | "cleared" | "full";

/** One trie node: one topic level. */
interface Node {
  children: Map<string, Node> | null;
  message: RetainedMessage | null;
}

const DOLLAR = 0x24;

/** The retained messages of one node, by topic. */
export class RetainedStore {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #byTopic = new Map<string, RetainedMessage>();
  readonly #root: Node = { children: null, message: null };
  #bytes = 0;
  /** No message expires before this instant (a lower bound: removals do not raise it). */
  #nextExpiry = Infinity;

  constructor(options: RetainedStoreOptions = {}) {
    this.#maxMessages = options.maxMessages ?? 100_000;
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Stores `message` as the retained message of its topic, replacing any previous one; an empty payload
   * clears the topic instead.
   *
   * @returns `"cleared"` for an empty payload (whether or not the topic had a message); `"full"`, leaving the
   *   store unchanged, when a new topic would exceed `maxMessages` or `maxBytes`, or a replacement would exceed
   *   `maxBytes`; `"stored"` otherwise.
   * @throws RangeError if `message.topic` is not a valid topic name.
   */
  set(message: RetainedMessage): RetainedSetResult {
    const topic = message.topic;
    if (!isValidTopicName(topic)) throw new RangeError(`Invalid MQTT topic name ${JSON.stringify(topic)}.`);
    const length = message.payload.byteLength;
    if (length === 0) {
      this.delete(topic);
      return "cleared";
    }
    let previous = this.#byTopic.get(topic);
    if (previous !== undefined && this.#expired(previous)) {
      this.delete(topic);
      previous = undefined;
    }
    if (previous !== undefined) {
      const bytes = this.#bytes - previous.payload.byteLength + length;
      if (bytes > this.#maxBytes) return "full";
      this.#bytes = bytes;
      this.#noteExpiry(message);
      this.#byTopic.set(topic, message);
      this.#nodeOf(topic).message = message;
      return "stored";
    }
    if (!this.#fits(length)) {
      // Make room with expired messages, if any can be; each purge that finds none resets the lower bound.
      if (this.#nextExpiry > this.#now()) return "full";
      this.purgeExpired();
      if (!this.#fits(length)) return "full";
    }
    this.#bytes += length;
    this.#noteExpiry(message);
    this.#byTopic.set(topic, message);
    this.#nodeOf(topic).message = message;
    return "stored";
  }

  /** The retained message of `topic`, or undefined; an expired one is dropped and not returned. */
  get(topic: string): RetainedMessage | undefined {
    const message = this.#byTopic.get(topic);
    if (message === undefined) return undefined;
    if (this.#expired(message)) {
      this.delete(topic);
      return undefined;
    }
    return message;
  }

  /**
   * Every retained message whose topic matches `filter` (a plain filter: split a shared one first), in no
   * particular order. A filter whose first level is `+` or `#` skips topics that start with `$`. Expired
   * messages met on the way are dropped.
   *
   * @throws RangeError if `filter` is not a valid topic filter.
   */
  match(filter: string): RetainedMessage[] {
    if (!isValidTopicFilter(filter)) throw new RangeError(`Invalid MQTT topic filter ${JSON.stringify(filter)}.`);
    const found: RetainedMessage[] = [];
    if (this.#root.children === null) return found;
    const now = this.#now();
    const expired: string[] = [];
    const collect = (message: RetainedMessage | null): void => {
      if (message === null) return;
      if (message.expiresAt !== undefined && message.expiresAt <= now) expired.push(message.topic);
      else found.push(message);
    };
    const levels = filter.split("/");
    const walk = (node: Node, depth: number): void => {
      if (depth === levels.length) {
        collect(node.message);
        return;
      }
      const level = levels[depth]!;
      if (level === "#") {
        // The parent level itself (never the root, which holds no message), then everything below.
        collect(node.message);
        if (node.children !== null) {
          for (const [text, child] of node.children) if (depth !== 0 || text.charCodeAt(0) !== DOLLAR) collectAll(child, collect);
        }
        return;
      }
      if (node.children === null) return;
      if (level === "+") {
        for (const [text, child] of node.children) if (depth !== 0 || text.charCodeAt(0) !== DOLLAR) walk(child, depth + 1);
        return;
      }
      const child = node.children.get(level);
      if (child !== undefined) walk(child, depth + 1);
    };
    walk(this.#root, 0);
    for (const topic of expired) this.delete(topic);
    return found;
  }

  /**
   * Removes the retained message of `topic` and the trie nodes left empty.
   *
   * @returns true if there was one (expired or not).
   */
  delete(topic: string): boolean {
    const message = this.#byTopic.get(topic);
    if (message === undefined) return false;
    this.#byTopic.delete(topic);
    this.#bytes -= message.payload.byteLength;
    const levels = topic.split("/");
    const path: Node[] = [this.#root];
    let node = this.#root;
    for (const level of levels) {
      node = node.children!.get(level)!;
      path.push(node);
    }
    node.message = null;
    for (let i = levels.length; i > 0; i--) {
      const current = path[i]!;
      if (current.message !== null || current.children !== null) break;
      const parent = path[i - 1]!;
      parent.children!.delete(levels[i - 1]!);
      if (parent.children!.size === 0) parent.children = null;
    }
    return true;
  }

  /**
   * Drops every expired message now (they are otherwise dropped when met, or when a new topic finds the store
   * full). Walks every message.
   *
   * @returns how many were dropped.
   */
  purgeExpired(): number {
    const now = this.#now();
    const expired: string[] = [];
    let next = Infinity;
    for (const message of this.#byTopic.values()) {
      const at = message.expiresAt;
      if (at === undefined) continue;
      if (at <= now) expired.push(message.topic);
      else if (at < next) next = at;
    }
    for (const topic of expired) this.delete(topic);
    this.#nextExpiry = next;
    return expired.length;
  }

  /** Messages held, counting expired ones not dropped yet. */
  get size(): number {
    return this.#byTopic.size;
  }

  /** Payload bytes held, summed over {@link size} messages. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Trie nodes below the root, for diagnostics and tests: 0 when the store is empty, whatever was stored and
   * removed before. Walks the whole trie.
   */
  get nodeCount(): number {
    let count = 0;
    const stack: Node[] = [this.#root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.children === null) continue;
      count += node.children.size;
      for (const child of node.children.values()) stack.push(child);
    }
    return count;
  }

  /** Every message not expired, in no particular order; expired ones met are dropped. */
  *all(): IterableIterator<RetainedMessage> {
    for (const message of this.#byTopic.values()) {
      // Deleting the current entry of a Map while iterating it is safe.
      if (this.#expired(message)) this.delete(message.topic);
      else yield message;
    }
  }

  #fits(length: number): boolean {
    return this.#byTopic.size + 1 <= this.#maxMessages && this.#bytes + length <= this.#maxBytes;
  }

  #noteExpiry(message: RetainedMessage): void {
    if (message.expiresAt !== undefined && message.expiresAt < this.#nextExpiry) this.#nextExpiry = message.expiresAt;
  }

  #expired(message: RetainedMessage): boolean {
    return message.expiresAt !== undefined && message.expiresAt <= this.#now();
  }

  /** The trie node of `topic`, created as needed. */
  #nodeOf(topic: string): Node {
    let node = this.#root;
    let start = 0;
    for (;;) {
      const slash = topic.indexOf("/", start);
      const level = slash === -1 ? topic.slice(start) : topic.slice(start, slash);
      node.children ??= new Map();
      let child = node.children.get(level);
      if (child === undefined) {
        child = { children: null, message: null };
        node.children.set(level, child);
      }
      node = child;
      if (slash === -1) return node;
      start = slash + 1;
    }
  }
}

/** Calls `collect` with the message of `node` and of every node below it. */
function collectAll(node: Node, collect: (message: RetainedMessage | null) => void): void {
  collect(node.message);
  if (node.children !== null) for (const child of node.children.values()) collectAll(child, collect);
}
