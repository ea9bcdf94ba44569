/**
 * Delta generations: a few accumulated recent deltas of growing size caps, kept so that a replica that
 * missed some heartbeats can catch up with a small transfer instead of the full state. Each new delta is
 * joined into every generation; a generation that would outgrow its cap restarts from the next smaller
 * generation's new content. To answer a requester, the smallest generation that holds every delta of
 * each replica the requester lacks since where the requester's clock stops is picked.
 *
 * Where a generation starts is recorded, per replica, as the counter this replica had of it before the
 * generation's first delta: a delta's observed counters cannot tell it, since they also hold the older
 * counters it removes (a generation restarted at a delta that removes counter 2 observes 2, yet lacks the
 * delta that created 2 and removed 1, which a requester at 1 needs).
 */
import { clockOf, type VersionVector } from "./clock.js";
import { cloneFragment, fragmentSize, joinInto, type Fragment } from "./fragment.js";
import type { ReplicaId } from "./replica.js";

/** Default caps of the generations (entries plus observed ranges), smallest first. */
export const DEFAULT_MAX_DELTA_SIZES: readonly number[] = [100, 1000, 10_000];

/** For each replica of a delta, the highest counter of it known here before the delta. */
export type DeltaBases = ReadonlyMap<ReplicaId, number>;

/** One generation: the joined deltas, and where each replica's run of them starts. */
interface Generation {
  readonly fragment: Fragment;
  /** Per replica: the counter known before this generation's first delta of it. */
  readonly starts: Map<ReplicaId, number>;
}

/** The accumulated deltas of one replica. */
export class DeltaGenerations {
  readonly #caps: readonly number[];
  readonly #generations: Generation[] = [];

  /** @param caps - Size caps, one per generation, ascending. An empty list keeps no generations. */
  constructor(caps: readonly number[]) {
    this.#caps = caps;
  }

  /**
   * Records a delta (it is copied, never kept by reference).
   *
   * @param bases - per replica of the delta, the highest counter of it known before the delta.
   */
  push(delta: Fragment, bases: DeltaBases): void {
    let previous: Generation | undefined;
    for (let i = 0; i < this.#caps.length; i++) {
      const generation = this.#generations[i];
      if (generation !== undefined) {
        joinInto(generation.fragment, delta);
        for (const replica of delta.keys()) if (!generation.starts.has(replica)) generation.starts.set(replica, bases.get(replica) ?? 0);
        if (fragmentSize(generation.fragment) <= this.#caps[i]!) {
          previous = generation;
          continue;
        }
      }
      // New, or grown past its cap: restart from the smaller generation's content (or the delta itself).
      const restarted: Generation =
        previous === undefined
          ? { fragment: cloneFragment(delta), starts: new Map([...delta.keys()].map((replica) => [replica, bases.get(replica) ?? 0])) }
          : { fragment: cloneFragment(previous.fragment), starts: new Map(previous.starts) };
      this.#generations[i] = restarted;
      previous = restarted;
    }
  }

  /** Forgets everything about `replica` (it is permanently gone). */
  drop(replica: ReplicaId): void {
    for (const generation of this.#generations) {
      generation.fragment.delete(replica);
      generation.starts.delete(replica);
    }
  }

  /** Forgets all generations. */
  clear(): void {
    this.#generations.length = 0;
  }

  /**
   * The smallest generation that holds, for every replica in `lacking`, every delta since the requester's
   * clock (it starts at or before it, and continues past it), or `undefined`.
   */
  select(requester: VersionVector, lacking: readonly ReplicaId[]): Fragment | undefined {
    return this.#generations.find((generation) =>
      lacking.every((replica) => {
        const after = clockOf(requester, replica);
        const start = generation.starts.get(replica);
        return start !== undefined && start <= after && generation.fragment.get(replica)?.seen.continues(after) === true;
      }),
    )?.fragment;
  }

  /** The size of each generation, smallest first (for introspection and tests). */
  sizes(): number[] {
    return this.#generations.map((generation) => fragmentSize(generation.fragment));
  }
}
