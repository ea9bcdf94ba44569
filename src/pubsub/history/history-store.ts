/**
 * The history contract: how a topic's bounded stream of broadcasts is kept and read. The PubSub core keeps
 * single-node streams itself; an adapter that links nodes brings a {@link HistoryStore} shared by all of
 * them (the Redis adapter keeps streams in Redis, the cluster workers' primary in its memory), so that any
 * node can serve a recovery after the node that served a client has died.
 */
import type { StreamPosition } from "../../protocol/position.js";

export type { StreamPosition } from "../../protocol/position.js";

/** How much of a topic's stream is kept: the newest `size` messages, none older than `ttlMs`. */
export interface HistoryRetention {
  /** Most messages kept per topic (at least 1). */
  readonly size: number;
  /** Longest a message is kept (ms). */
  readonly ttlMs: number;
}

/** What a read asks for. */
export interface HistoryQuery {
  /**
   * Read the messages after this offset (a recovery). When the stream's last offset is more than `limit`
   * past it, or below it, nothing is returned: the caller sees that it cannot recover. Without `after`,
   * the newest `limit` messages are returned.
   */
  readonly after?: number;
  /** Most messages to return. */
  readonly limit: number;
}

/** One kept message. */
export interface StoredEntry<T> {
  readonly offset: number;
  /** What was appended: the node frame (adapters), or the message itself (a single node). */
  readonly data: T;
}

/** What a read found. */
export interface StoredHistory<T> {
  /** The stream's epoch (created by the read if the topic had none) and its last offset (0: none yet). */
  readonly position: StreamPosition;
  /** Kept messages matching the query, oldest first; expired ones (older than `ttlMs`) are left out. */
  readonly entries: readonly StoredEntry<T>[];
}

/**
 * A cluster-wide store of topic streams, brought by an adapter as {@link PubSubAdapter.history}.
 *
 * @remarks
 * `append` gives the message the next offset of its topic and delivers it, with its position, to every node
 * of the cluster **including this one**, through `AdapterHost.deliverPositioned`: that is the only way a
 * broadcast on a history topic reaches subscribers, so that every node sees one topic's messages in offset
 * order. A store that cannot append (its link is down) drops the message and reports it through
 * `AdapterHost.reportError`; it never throws from `append`.
 *
 * `read` creates the topic's epoch when the topic has none, so that a client told "position E:0" can later
 * recover the first messages of E.
 */
export interface HistoryStore {
  /** Appends a node frame to the topic's stream and delivers it everywhere with its position. */
  append(topic: string, frame: Uint8Array, retention: HistoryRetention): void;
  /** Reads the topic's stream. Rejects (with a coded error) when the store cannot be reached. */
  read(topic: string, query: HistoryQuery, retention: HistoryRetention): Promise<StoredHistory<Uint8Array>>;
}
