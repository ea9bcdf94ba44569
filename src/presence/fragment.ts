/**
 * Fragments: a piece of presence state described per replica — which counters it has observed (a
 * {@link CounterSet}) and which of those dots are still live entries. A delta, a delta generation and a
 * decoded full state are all fragments; merging fragments is the join of an observed-remove set with
 * causal context: an entry survives when both sides hold it or when the other side has not observed its
 * dot, and the observed sets are united. This module holds the pure helpers shared by the state and the
 * delta generations.
 */
import { CounterSet } from "./counter-set.js";
import type { PresenceEntry } from "./entry.js";
import type { ReplicaId } from "./replica.js";

/** What a fragment knows about one replica. */
export interface Part {
  /** The counters of that replica this fragment has observed. */
  readonly seen: CounterSet;
  /** The live entries of that replica, by counter; every counter here is in `seen`. */
  readonly entries: Map<number, PresenceEntry>;
}

/** A fragment: one {@link Part} per replica it knows about. */
export type Fragment = Map<ReplicaId, Part>;

/** A new part that has observed nothing. */
export function emptyPart(): Part {
  return { seen: new CounterSet(), entries: new Map() };
}

/** A copy of a part (the entry objects are shared: they are immutable). */
export function clonePart(part: Part): Part {
  return { seen: part.seen.clone(), entries: new Map(part.entries) };
}

/** A copy of a fragment. */
export function cloneFragment(fragment: Fragment): Fragment {
  const copy: Fragment = new Map();
  for (const [replica, part] of fragment) copy.set(replica, clonePart(part));
  return copy;
}

/** Entries plus observed ranges: the size a delta generation is capped by. */
export function fragmentSize(fragment: Fragment): number {
  let size = 0;
  for (const part of fragment.values()) size += part.entries.size + part.seen.rangeCount;
  return size;
}

/**
 * The entries of `local` whose dot `remote` has observed but does not hold: `remote` saw them and knows they
 * are gone. Costs O(min(counters observed by remote, size of local)), so merging a small delta into a
 * large part does not scan the part.
 */
export function removedBy(local: ReadonlyMap<number, PresenceEntry>, remote: Part): PresenceEntry[] {
  const out: PresenceEntry[] = [];
  if (local.size === 0) return out;
  const { seen, entries } = remote;
  if (seen.count <= local.size) {
    seen.forEachRange((lo, hi) => {
      for (let counter = lo + 1; counter <= hi; counter++) {
        const entry = local.get(counter);
        if (entry !== undefined && !entries.has(counter)) out.push(entry);
      }
    });
  } else {
    for (const [counter, entry] of local) if (!entries.has(counter) && seen.has(counter)) out.push(entry);
  }
  return out;
}

/**
 * The entries of `remote` that `local` has not observed yet (the ones a merge adds).
 */
export function addedBy(local: Part, remote: Part): PresenceEntry[] {
  const out: PresenceEntry[] = [];
  for (const [counter, entry] of remote.entries) if (!local.seen.has(counter)) out.push(entry);
  return out;
}

/**
 * Joins `from` into `into`, in place (`into` becomes `into ⊔ from`). Costs about O(size of `from`): the
 * parts of `into` are not scanned. `from` is not changed and shares no mutable structure with `into` afterwards.
 */
export function joinInto(into: Fragment, from: Fragment): void {
  for (const [replica, remote] of from) {
    const local = into.get(replica);
    if (local === undefined) {
      into.set(replica, clonePart(remote));
      continue;
    }
    for (const entry of removedBy(local.entries, remote)) local.entries.delete(entry.tag.counter);
    for (const entry of addedBy(local, remote)) local.entries.set(entry.tag.counter, entry);
    local.seen.addAll(remote.seen);
  }
}
