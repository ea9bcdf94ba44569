/**
 * One presence entry and its identity. Every entry carries a dot (the replica that created it and that
 * replica's counter at the time), which never changes and is never reused; the short string `ref` derived
 * from the dot is what clients see as `phx_ref`.
 */
import { PresenceError, PresenceErrorCode } from "./errors.js";
import { describe, type ReplicaId } from "./replica.js";

/**
 * A dot: the replica that made an entry and the value of its counter for that operation. Unique across
 * the cluster for as long as replica versions are unique.
 */
export interface Dot {
  /** The replica that created the entry. */
  readonly replica: ReplicaId;
  /** That replica's counter for the operation, ≥ 1. */
  readonly counter: number;
}

/**
 * The metadata of a presence: a plain object that must survive `JSON.stringify` (it travels between
 * nodes). The state never reads nor changes it; treat it as immutable once tracked.
 */
export interface PresenceMeta {
  readonly [field: string]: unknown;
}

/**
 * A tracked presence. The objects handed out by the state are shared with it: never mutate them.
 */
export interface PresenceEntry {
  /** The topic the presence is tracked on. */
  readonly topic: string;
  /** The owner: an opaque key of the process that tracked it (its entries go when it exits). */
  readonly pid: string;
  /** The presence key (for example a user id); clients group metas by key. */
  readonly key: string;
  /** The metadata given when tracking or updating. */
  readonly meta: PresenceMeta;
  /** The dot that identifies this version of the presence. */
  readonly tag: Dot;
  /** A short string unique to the dot ({@link dotRef}); use it as `phx_ref`. */
  readonly ref: string;
}

const REF_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const REF_PREFIX_LENGTH = 11;
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;
const MAX_CACHED_PREFIXES = 4096;
const prefixes = new Map<ReplicaId, string>();
const utf8 = new TextEncoder();

/** 64-bit FNV-1a of the UTF-8 bytes of `text`, written as 11 URL-safe base64 characters. */
function replicaPrefix(replica: ReplicaId): string {
  const cached = prefixes.get(replica);
  if (cached !== undefined) return cached;
  let hash = FNV64_OFFSET;
  for (const byte of utf8.encode(replica)) hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  let prefix = "";
  for (let i = 0; i < REF_PREFIX_LENGTH; i++) {
    prefix += REF_ALPHABET[Number(hash & 63n)];
    hash >>= 6n;
  }
  if (prefixes.size >= MAX_CACHED_PREFIXES) prefixes.clear();
  prefixes.set(replica, prefix);
  return prefix;
}

/**
 * The stable string ref of a dot: 11 URL-safe characters derived from a 64-bit hash of the replica id,
 * followed by the counter in base 36 (so refs are short, reveal no node name, and the same dot always gives
 * the same ref on every node). Two different replicas share a prefix only on a 64-bit hash collision.
 *
 * @example
 * ```ts
 * dotRef({ replica: "node-a#1", counter: 7 }); // e.g. "xQ3…Zk7"
 * ```
 */
export function dotRef(dot: Dot): string {
  return replicaPrefix(dot.replica) + dot.counter.toString(36);
}

/** Builds an entry (the state and the wire decoder are the only callers). */
export function makeEntry(replica: ReplicaId, counter: number, topic: string, pid: string, key: string, meta: PresenceMeta): PresenceEntry {
  return { topic, pid, key, meta, tag: { replica, counter }, ref: replicaPrefix(replica) + counter.toString(36) };
}

/** True for a plain, non-null, non-array object. */
export function isMeta(value: unknown): value is PresenceMeta {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Throws `FENIX_ERR_PRESENCE_BAD_ARGUMENT` unless `value` is a non-empty string. */
export function assertNonEmpty(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string" || value === "") {
    throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, `${what} must be a non-empty string, received ${describe(value)}.`);
  }
}

/** Throws `FENIX_ERR_PRESENCE_BAD_ARGUMENT` unless `value` is a string (the empty string is a valid key). */
export function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string") {
    throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, `${what} must be a string, received ${describe(value)}.`);
  }
}

/** Throws `FENIX_ERR_PRESENCE_BAD_ARGUMENT` unless `value` is a plain object usable as meta. */
export function assertMeta(value: unknown): asserts value is PresenceMeta {
  if (!isMeta(value)) {
    throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, `meta must be a plain JSON object, received ${describe(value)}.`);
  }
}
