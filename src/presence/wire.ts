/**
 * The wire shape of replicated presence data: full states and deltas as plain JSON-able objects (they
 * travel over a PubSub adapter, possibly Redis), with a version number so the shape can evolve. This
 * module turns fragments into that shape and validates and decodes it back, all or nothing.
 *
 * Shape, version 1:
 *
 * ```json
 * { "v": 1, "kind": "delta", "from": "node-a#17",
 *   "parts": [ { "replica": "node-a#17", "seen": [[1, 2], [4, 6]],
 *                "entries": [[5, "room:1", "pid-9", "u1", { "online_at": 1 }]] } ] }
 * ```
 *
 * For each replica a part says: every counter in the ranges of `seen` (each `[lo, hi]` meaning counters
 * `lo+1 … hi`) has been observed, and of those exactly the dots listed in `entries` are live; every other
 * observed dot is known to be gone. In the example, node-a#17 says that of its dots 2, 5 and 6 only 5 is
 * live. A full state's `seen` usually starts with `[0, n]`.
 */
import { CounterSet } from "./counter-set.js";
import { isMeta, makeEntry, type PresenceEntry, type PresenceMeta } from "./entry.js";
import { PresenceError, PresenceErrorCode } from "./errors.js";
import type { Fragment, Part } from "./fragment.js";
import { describe, isReplicaId, type ReplicaId } from "./replica.js";

/** The wire version this build writes, and the only one it reads. */
export const PRESENCE_WIRE_VERSION = 1;

/** One live entry on the wire: `[counter, topic, pid, key, meta]`; its replica is the part's. */
export type WireEntry = readonly [counter: number, topic: string, pid: string, key: string, meta: PresenceMeta];

/** What a state or delta knows about one replica. */
export interface WirePart {
  /** The replica the counters and entries belong to. */
  readonly replica: ReplicaId;
  /** The observed counters: ranges `[lo, hi]` meaning `lo+1 … hi`, ascending, disjoint and not touching. */
  readonly seen: readonly (readonly [lo: number, hi: number])[];
  /** The observed dots that are live entries, ascending by counter. */
  readonly entries: readonly WireEntry[];
}

/**
 * A full state (`kind: "state"`) or a delta (`kind: "delta"`) as sent between replicas. Plain JSON:
 * `JSON.parse(JSON.stringify(wire))` merges exactly like `wire`.
 */
export interface PresenceWire {
  /** Wire version ({@link PRESENCE_WIRE_VERSION}). */
  readonly v: typeof PRESENCE_WIRE_VERSION;
  /** `"state"`: everything the sender knows about the listed replicas; `"delta"`: a recent slice. */
  readonly kind: "state" | "delta";
  /** The replica that produced this object. */
  readonly from: ReplicaId;
  /** One part per replica, ordered by replica id. */
  readonly parts: readonly WirePart[];
}

/** A decoded {@link PresenceWire}. */
export interface DecodedWire {
  readonly kind: PresenceWire["kind"];
  readonly from: ReplicaId;
  readonly fragment: Fragment;
}

/** Turns a fragment into its wire shape (deterministic: parts by replica id, dots and entries ascending). */
export function encodeFragment(kind: PresenceWire["kind"], from: ReplicaId, fragment: Fragment): PresenceWire {
  const parts: WirePart[] = [];
  for (const replica of [...fragment.keys()].sort()) parts.push(encodePart(replica, fragment.get(replica)!));
  return { v: PRESENCE_WIRE_VERSION, kind, from, parts };
}

/** One part on the wire. */
export function encodePart(replica: ReplicaId, part: Part): WirePart {
  const counters = [...part.entries.keys()].sort((a, b) => a - b);
  const entries = counters.map((counter): WireEntry => {
    const entry = part.entries.get(counter)!;
    return [counter, entry.topic, entry.pid, entry.key, entry.meta];
  });
  return { replica, seen: part.seen.ranges(), entries };
}

/**
 * Validates and decodes a wire object. Nothing is shared with the input except the meta objects.
 *
 * @throws PresenceError `FENIX_ERR_PRESENCE_WIRE_VERSION` for another wire version,
 *   `FENIX_ERR_PRESENCE_BAD_WIRE` for any other deviation from the shape.
 */
export function decodeWire(value: unknown): DecodedWire {
  if (!isRecord(value)) bad(`expected an object, received ${describe(value)}`);
  if (value.v !== PRESENCE_WIRE_VERSION) {
    if (typeof value.v === "number") {
      throw new PresenceError(
        PresenceErrorCode.WIRE_VERSION,
        `presence data has wire version ${value.v}; this build reads version ${PRESENCE_WIRE_VERSION} only. Run the same Fenix version on every node.`,
      );
    }
    bad(`"v" must be the number ${PRESENCE_WIRE_VERSION}, received ${describe(value.v)}`);
  }
  const { kind, from, parts } = value;
  if (kind !== "state" && kind !== "delta") bad(`"kind" must be "state" or "delta", received ${describe(kind)}`);
  if (!isReplicaId(from)) bad(`"from" must be a replica id, received ${describe(from)}`);
  if (!Array.isArray(parts)) bad(`"parts" must be an array, received ${describe(parts)}`);
  const fragment: Fragment = new Map();
  for (let i = 0; i < parts.length; i++) {
    const [replica, part] = decodePart(parts[i], `parts[${i}]`);
    if (fragment.has(replica)) bad(`parts[${i}]: replica ${describe(replica)} appears twice`);
    fragment.set(replica, part);
  }
  return { kind, from, fragment };
}

function decodePart(value: unknown, where: string): [ReplicaId, Part] {
  if (!isRecord(value)) bad(`${where} must be an object, received ${describe(value)}`);
  const { replica, seen: ranges, entries } = value;
  if (!isReplicaId(replica)) bad(`${where}.replica must be a replica id, received ${describe(replica)}`);
  if (!Array.isArray(ranges)) bad(`${where}.seen must be an array of [lo, hi] ranges, received ${describe(ranges)}`);
  if (!Array.isArray(entries)) bad(`${where}.entries must be an array, received ${describe(entries)}`);
  const seen = new CounterSet();
  for (const range of ranges as unknown[]) {
    const [lo, hi] = Array.isArray(range) && range.length === 2 ? (range as unknown[]) : [];
    if (!isCounter(lo, 0) || !isCounter(hi, 1) || hi <= lo) {
      bad(`${where}.seen must hold [lo, hi] pairs of integers with 0 <= lo < hi, received ${describe(range)}`);
    }
    seen.addRange(lo, hi);
  }
  const live = new Map<number, PresenceEntry>();
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    const at = `${where}.entries[${i}]`;
    if (!Array.isArray(entry) || entry.length !== 5) bad(`${at} must be [counter, topic, pid, key, meta]`);
    const [counter, topic, pid, key, meta] = entry as unknown[];
    if (!isCounter(counter, 1)) bad(`${at}: counter must be an integer >= 1, received ${describe(counter)}`);
    if (!seen.has(counter)) bad(`${at}: counter ${counter} is outside the part's observed counters`);
    if (live.has(counter)) bad(`${at}: counter ${counter} appears twice`);
    if (typeof topic !== "string" || topic === "") bad(`${at}: topic must be a non-empty string, received ${describe(topic)}`);
    if (typeof pid !== "string" || pid === "") bad(`${at}: pid must be a non-empty string, received ${describe(pid)}`);
    if (typeof key !== "string") bad(`${at}: key must be a string, received ${describe(key)}`);
    if (!isMeta(meta)) bad(`${at}: meta must be an object, received ${describe(meta)}`);
    live.set(counter, makeEntry(replica, counter, topic, pid, key, meta));
  }
  return [replica, { seen, entries: live }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCounter(value: unknown, min: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min;
}

function bad(detail: string): never {
  throw new PresenceError(PresenceErrorCode.BAD_WIRE, `malformed presence data: ${detail}.`);
}
