/**
 * Topic streams kept in memory: per topic an epoch, the last offset and a ring of the newest messages.
 * Serves a single node (the PubSub core keeps message objects), a MemoryBus (frames) and the cluster
 * workers' primary (frames from every worker).
 */
import { randomBytes } from "node:crypto";
import type { StreamPosition } from "../../protocol/position.js";
import type { HistoryQuery, HistoryRetention, StoredEntry, StoredHistory } from "./history-store.js";

const EPOCH_BYTES = 6;
/** Random bytes for the next epochs, drawn in blocks: the Redis store asks for one candidate per broadcast. */
let epochPool = Buffer.alloc(0);
let epochAt = 0;

/** A fresh epoch: 8 URL-safe random characters (48 bits), never containing `:`. */
export function newEpoch(): string {
  if (epochAt + EPOCH_BYTES > epochPool.length) {
    epochPool = randomBytes(EPOCH_BYTES * 512);
    epochAt = 0;
  }
  epochAt += EPOCH_BYTES;
  return epochPool.toString("base64url", epochAt - EPOCH_BYTES, epochAt);
}

/** How long the epoch and last offset of a topic nobody broadcasts to or reads are kept (ms). */
export const DEFAULT_META_TTL_MS = 24 * 60 * 60 * 1000;

interface Stream<T> {
  readonly epoch: string;
  offset: number;
  /** Most entries kept (the retention's size when last appended). */
  size: number;
  /** Ring of the newest entries, grown as needed up to `size`: `count` of them, the oldest at `start`. */
  ring: (Kept<T> | undefined)[];
  start: number;
  count: number;
  /** When the stream was last appended to or read (ms). */
  usedAt: number;
  /** The ttl of the last append or read (ms): what a sweep expires its messages by. */
  ttlMs: number;
}

interface Kept<T> extends StoredEntry<T> {
  readonly at: number;
}

/** Options of {@link TopicStreams}. */
export interface TopicStreamsOptions {
  /** The time in ms. @defaultValue `Date.now` */
  readonly now?: () => number;
  /** How long an unused topic's epoch and offset are kept (ms). @defaultValue 24 hours */
  readonly metaTtlMs?: number;
  /** How often {@link TopicStreams.startSweeping} sweeps (ms). @defaultValue 30000 */
  readonly sweepIntervalMs?: number;
}

/** How often streams are swept by default (ms). */
export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

/**
 * In-memory streams of many topics.
 *
 * @remarks
 * Appends and reads cost O(1) and O(messages returned). Expired messages are dropped as appends and reads
 * meet them, and by {@link TopicStreams.sweep} (each topic by the ttl of its last append or read), which
 * also forgets topics unused for `metaTtlMs` (their next message starts a new epoch).
 */
export class TopicStreams<T> {
  readonly #streams = new Map<string, Stream<T>>();
  readonly #now: () => number;
  readonly #metaTtlMs: number;
  readonly #sweepIntervalMs: number;
  #sweeper: ReturnType<typeof setInterval> | null = null;
  #retained = 0;

  constructor(options: TopicStreamsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#metaTtlMs = options.metaTtlMs ?? DEFAULT_META_TTL_MS;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  }

  /** Sweeps every `sweepIntervalMs` until {@link TopicStreams.stopSweeping} (an unref'd timer; idempotent). */
  startSweeping(): void {
    if (this.#sweeper !== null) return;
    this.#sweeper = setInterval(() => this.sweep(), this.#sweepIntervalMs);
    this.#sweeper.unref();
  }

  /** Stops the sweeps {@link TopicStreams.startSweeping} started. */
  stopSweeping(): void {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
  }

  /** Number of topics with a stream. */
  get topics(): number {
    return this.#streams.size;
  }

  /** Number of messages kept over all topics. */
  get retained(): number {
    return this.#retained;
  }

  /** Gives `data` the next offset of the topic and keeps it; returns its position. */
  append(topic: string, data: T, retention: HistoryRetention): StreamPosition {
    const now = this.#now();
    const stream = this.#stream(topic, now, retention.ttlMs);
    this.#expire(stream, now - retention.ttlMs);
    const offset = ++stream.offset;
    const size = Math.max(1, Math.floor(retention.size));
    if (stream.size !== size) this.#resize(stream, size);
    const entry: Kept<T> = { offset, data, at: now };
    const ring = stream.ring;
    if (stream.count < ring.length) {
      ring[(stream.start + stream.count) % ring.length] = entry;
      stream.count++;
      this.#retained++;
    } else if (stream.count < size) {
      if (stream.start !== 0) this.#compact(stream);
      stream.ring.push(entry);
      stream.count++;
      this.#retained++;
    } else {
      ring[stream.start] = entry;
      stream.start = (stream.start + 1) % ring.length;
    }
    return { epoch: stream.epoch, offset };
  }

  /** Reads a topic's stream (creating its epoch if it has none), as {@link HistoryQuery} says. */
  read(topic: string, query: HistoryQuery, retention: HistoryRetention): StoredHistory<T> {
    const now = this.#now();
    const stream = this.#stream(topic, now, retention.ttlMs);
    this.#expire(stream, now - retention.ttlMs);
    const position = { epoch: stream.epoch, offset: stream.offset };
    const limit = Math.max(0, query.limit);
    let first: number;
    if (query.after === undefined) {
      first = stream.offset - limit + 1;
    } else {
      if (query.after > stream.offset || stream.offset - query.after > limit) return { position, entries: [] };
      first = query.after + 1;
    }
    const entries: StoredEntry<T>[] = [];
    const capacity = stream.ring.length;
    for (let i = 0; i < stream.count; i++) {
      const entry = stream.ring[(stream.start + i) % capacity]!;
      if (entry.offset >= first) entries.push({ offset: entry.offset, data: entry.data });
    }
    return { position, entries };
  }

  /** Drops expired messages (older than the ttl of their topic's last append or read) and unused topics. */
  sweep(): void {
    const now = this.#now();
    for (const [topic, stream] of this.#streams) {
      this.#expire(stream, now - stream.ttlMs);
      if (stream.count === 0 && now - stream.usedAt >= this.#metaTtlMs) this.#streams.delete(topic);
    }
  }

  /** Forgets every stream: the next message of each topic starts a new epoch. */
  clear(): void {
    this.#streams.clear();
    this.#retained = 0;
  }

  #stream(topic: string, now: number, ttlMs: number): Stream<T> {
    let stream = this.#streams.get(topic);
    if (stream === undefined || (stream.count === 0 && now - stream.usedAt >= this.#metaTtlMs)) {
      stream = { epoch: newEpoch(), offset: 0, size: 0, ring: [], start: 0, count: 0, usedAt: now, ttlMs };
      this.#streams.set(topic, stream);
    }
    stream.usedAt = now;
    stream.ttlMs = ttlMs;
    return stream;
  }

  #expire(stream: Stream<T>, oldest: number): void {
    const size = stream.ring.length;
    while (stream.count > 0) {
      const entry = stream.ring[stream.start]!;
      if (entry.at >= oldest) return;
      stream.ring[stream.start] = undefined;
      stream.start = (stream.start + 1) % size;
      stream.count--;
      this.#retained--;
    }
  }

  /** The retention's size changed (a redeploy, another node's route): keep the newest that fit. */
  #resize(stream: Stream<T>, size: number): void {
    this.#compact(stream);
    if (stream.count > size) {
      stream.ring = stream.ring.slice(stream.count - size);
      this.#retained -= stream.count - size;
      stream.count = size;
    }
    stream.size = size;
  }

  /** Lays the ring out oldest first from index 0, exactly `count` long. */
  #compact(stream: Stream<T>): void {
    const ring = stream.ring;
    const kept: (Kept<T> | undefined)[] = [];
    for (let i = 0; i < stream.count; i++) kept.push(ring[(stream.start + i) % ring.length]);
    stream.ring = kept;
    stream.start = 0;
  }
}
