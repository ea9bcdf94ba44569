/**
 * The subscription index of the MQTT broker: a trie over the levels of topic filters, so that routing one
 * published topic visits only the branches that can match it (the exact level, `+` and `#` at each depth)
 * instead of testing every subscription. Each filter holds a map of entries by key (a session, say), compared
 * by identity. Pure data structure, no I/O.
 */
import { isValidTopicFilter } from "./topic.js";

/** One trie node: one filter level. */
interface Node<K, V> {
  /** Child levels by their text, `+` and `#` included; null when there are none. */
  children: Map<string, Node<K, V>> | null;
  /** The entries of the filter that ends at this node; null when there are none. */
  entries: Map<K, V> | null;
  /** That filter, set while `entries` is non-null. */
  filter: string;
}

function newNode<K, V>(): Node<K, V> {
  return { children: null, entries: null, filter: "" };
}

/**
 * Topic filters and, under each, entries by key. {@link match} calls back every entry whose filter matches a
 * topic, with the cost of the walk bounded by the topic's levels and the branching of the trie, not by the
 * number of subscriptions.
 *
 * @typeParam K - the key of an entry, compared by identity like a `Map` key.
 * @typeParam V - the value stored for the key (its subscription options, say).
 */
export class SubscriptionTree<K, V> {
  readonly #root: Node<K, V> = newNode();
  #size = 0;
  #filterCount = 0;

  /**
   * Adds or replaces the entry of `key` under `filter`.
   *
   * @returns true when the entry is new, false when it replaced one.
   * @throws RangeError if `filter` is not a valid topic filter (a shared filter must be split first).
   */
  set(filter: string, key: K, value: V): boolean {
    if (!isValidTopicFilter(filter)) throw new RangeError(`Invalid MQTT topic filter ${JSON.stringify(filter)}.`);
    let node = this.#root;
    let start = 0;
    for (;;) {
      const slash = filter.indexOf("/", start);
      const level = slash === -1 ? filter.slice(start) : filter.slice(start, slash);
      node.children ??= new Map();
      let child = node.children.get(level);
      if (child === undefined) {
        child = newNode();
        node.children.set(level, child);
      }
      node = child;
      if (slash === -1) break;
      start = slash + 1;
    }
    if (node.entries === null) {
      node.entries = new Map();
      node.filter = filter;
      this.#filterCount++;
    }
    const isNew = !node.entries.has(key);
    node.entries.set(key, value);
    if (isNew) this.#size++;
    return isNew;
  }

  /** The value of `key` under `filter`, or undefined. */
  get(filter: string, key: K): V | undefined {
    return this.#find(filter)?.entries?.get(key);
  }

  /** Whether `key` has an entry under `filter`. */
  has(filter: string, key: K): boolean {
    return this.#find(filter)?.entries?.has(key) ?? false;
  }

  /**
   * Removes the entry of `key` under `filter`, and the trie nodes left without entries or children.
   *
   * @returns true if there was such an entry.
   */
  delete(filter: string, key: K): boolean {
    const path: Array<Node<K, V>> = [this.#root];
    const levels = filter.split("/");
    let node = this.#root;
    for (const level of levels) {
      const child = node.children?.get(level);
      if (child === undefined) return false;
      path.push(child);
      node = child;
    }
    if (node.entries === null || !node.entries.delete(key)) return false;
    this.#size--;
    if (node.entries.size === 0) {
      node.entries = null;
      node.filter = "";
      this.#filterCount--;
    }
    // Prune from the leaf up while nodes are empty.
    for (let i = levels.length; i > 0; i--) {
      const current = path[i]!;
      if (current.entries !== null || current.children !== null) break;
      const parent = path[i - 1]!;
      parent.children!.delete(levels[i - 1]!);
      if (parent.children!.size === 0) parent.children = null;
    }
    return true;
  }

  /**
   * Calls `visit` once for every (filter, key) whose filter matches `topic`, in no particular order. A filter
   * whose first level is `+` or `#` does not match a topic whose first level starts with `$`.
   *
   * `topic` is assumed to be a valid topic name (without wildcards). `visit` must not modify this tree.
   */
  match(topic: string, visit: (key: K, value: V, filter: string) => void): void {
    if (this.#root.children === null) return;
    const levels = topic.split("/");
    this.#walk(this.#root, levels, 0, topic.charCodeAt(0) === 0x24 /* $ */, visit);
  }

  /** Entries in total, over all filters. */
  get size(): number {
    return this.#size;
  }

  /** Distinct filters with at least one entry. */
  get filterCount(): number {
    return this.#filterCount;
  }

  /**
   * Trie nodes below the root, for diagnostics and tests: 0 when the tree is empty, whatever was added and
   * deleted before. Walks the whole trie.
   */
  get nodeCount(): number {
    let count = 0;
    const stack: Array<Node<K, V>> = [this.#root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.children === null) continue;
      count += node.children.size;
      for (const child of node.children.values()) stack.push(child);
    }
    return count;
  }

  /** Every entry as `[filter, key, value]`, in no particular order. The tree must not change meanwhile. */
  *entries(): IterableIterator<[filter: string, key: K, value: V]> {
    const stack: Array<Node<K, V>> = [this.#root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.entries !== null) for (const [key, value] of node.entries) yield [node.filter, key, value];
      if (node.children !== null) for (const child of node.children.values()) stack.push(child);
    }
  }

  /** Removes every entry. */
  clear(): void {
    this.#root.children = null;
    this.#size = 0;
    this.#filterCount = 0;
  }

  /** The node of `filter`, if the trie has one, without creating any. */
  #find(filter: string): Node<K, V> | undefined {
    let node = this.#root;
    let start = 0;
    for (;;) {
      const slash = filter.indexOf("/", start);
      const level = slash === -1 ? filter.slice(start) : filter.slice(start, slash);
      const child = node.children?.get(level);
      if (child === undefined) return undefined;
      node = child;
      if (slash === -1) return node;
      start = slash + 1;
    }
  }

  /** Visits the matches below `node`, whose depth is `depth` (the number of topic levels already consumed). */
  #walk(node: Node<K, V>, levels: readonly string[], depth: number, dollar: boolean, visit: (key: K, value: V, filter: string) => void): void {
    const children = node.children;
    if (depth === levels.length) {
      emit(node, visit);
      // `a/#` matches `a` itself: the parent level of a `#`.
      const hash = children?.get("#");
      if (hash !== undefined) emit(hash, visit);
      return;
    }
    if (children === null) return;
    const wildcardsAllowed = depth !== 0 || !dollar;
    if (wildcardsAllowed) {
      const hash = children.get("#");
      if (hash !== undefined) emit(hash, visit);
      const plus = children.get("+");
      if (plus !== undefined) this.#walk(plus, levels, depth + 1, dollar, visit);
    }
    const level = levels[depth]!;
    // A literal `+` or `#` in the topic (not a valid name) must not reach the wildcard nodes twice.
    if (level === "+" || level === "#") return;
    const exact = children.get(level);
    if (exact !== undefined) this.#walk(exact, levels, depth + 1, dollar, visit);
  }
}

function emit<K, V>(node: Node<K, V>, visit: (key: K, value: V, filter: string) => void): void {
  if (node.entries === null) return;
  for (const [key, value] of node.entries) visit(key, value, node.filter);
}
