/**
 * Version vectors ("clocks"): for each replica, the highest counter up to which every dot of that replica
 * has been seen. Replicas exchange them on heartbeats to find out who knows something the other lacks.
 * Plain objects, so they can travel as JSON; a replica missing from a vector counts as 0.
 */
import type { ReplicaId } from "./replica.js";

/** Replica → highest contiguous counter seen. A missing replica counts as 0. */
export interface VersionVector {
  readonly [replica: ReplicaId]: number;
}

/** How two version vectors relate; see {@link compareClocks}. */
export type ClockOrder = "equal" | "before" | "after" | "concurrent";

/**
 * The counter of `replica` in `clock` (0 when absent).
 *
 * @example
 * ```ts
 * clockOf({ "a#1": 3 }, "b#1"); // 0
 * ```
 */
export function clockOf(clock: VersionVector, replica: ReplicaId): number {
  return Object.hasOwn(clock, replica) ? (clock[replica] ?? 0) : 0;
}

/**
 * True when `a` has seen everything `b` has: `a[r] >= b[r]` for every replica.
 *
 * @example
 * ```ts
 * dominates({ "a#1": 3, "b#1": 1 }, { "a#1": 2 }); // true
 * ```
 */
export function dominates(a: VersionVector, b: VersionVector): boolean {
  for (const replica of Object.keys(b)) if (clockOf(a, replica) < clockOf(b, replica)) return false;
  return true;
}

/**
 * Compares two version vectors: `"before"` when `a` is strictly dominated by `b`, `"after"` when it strictly
 * dominates `b`, `"equal"`, or `"concurrent"` when each has seen something the other has not.
 *
 * @example
 * ```ts
 * compareClocks({ "a#1": 1 }, { "b#1": 1 }); // "concurrent"
 * ```
 */
export function compareClocks(a: VersionVector, b: VersionVector): ClockOrder {
  const aCoversB = dominates(a, b);
  const bCoversA = dominates(b, a);
  if (aCoversB && bCoversA) return "equal";
  if (aCoversB) return "after";
  if (bCoversA) return "before";
  return "concurrent";
}

/**
 * The replicas for which `remote` has seen more than `local`: what `local` lacks.
 *
 * @example
 * ```ts
 * lacking({ "a#1": 3 }, { "a#1": 5, "b#1": 1 }); // ["a#1", "b#1"]
 * ```
 */
export function lacking(local: VersionVector, remote: VersionVector): ReplicaId[] {
  return Object.keys(remote).filter((replica) => clockOf(remote, replica) > clockOf(local, replica));
}

/**
 * Pointwise maximum of two version vectors (a new object).
 *
 * @example
 * ```ts
 * mergeClocks({ "a#1": 3 }, { "a#1": 1, "b#1": 2 }); // { "a#1": 3, "b#1": 2 }
 * ```
 */
export function mergeClocks(a: VersionVector, b: VersionVector): VersionVector {
  const out: Record<ReplicaId, number> = { ...a };
  for (const replica of Object.keys(b)) out[replica] = Math.max(clockOf(a, replica), clockOf(b, replica));
  return out;
}

/**
 * The clocks of `clocks` that no other one strictly dominates, without duplicates, in their first order.
 * A tracker keeps the clocks heard since its last sample this way and asks the replicas whose clocks
 * survive (they may know something it does not) for a transfer.
 *
 * @example
 * ```ts
 * nonDominated([{ "a#1": 1 }, { "a#1": 2 }, { "b#1": 1 }]); // [{ "a#1": 2 }, { "b#1": 1 }]
 * ```
 */
export function nonDominated<C extends VersionVector>(clocks: readonly C[]): C[] {
  const kept: C[] = [];
  for (const candidate of clocks) {
    let beaten = false;
    for (let i = 0; i < kept.length && !beaten; i++) {
      const order = compareClocks(candidate, kept[i]!);
      if (order === "before" || order === "equal") beaten = true;
    }
    if (beaten) continue;
    for (let i = kept.length - 1; i >= 0; i--) if (compareClocks(kept[i]!, candidate) === "before") kept.splice(i, 1);
    kept.push(candidate);
  }
  return kept;
}
