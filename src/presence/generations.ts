/**
 * Delta generations: a few accumulated recent deltas of growing size caps, kept so that a replica that
 * missed some heartbeats can catch up with a small transfer instead of the full state. Each new delta is
 * joined into every generation; a generation that would outgrow its cap restarts from the next smaller
 * generation's new content. To answer a requester, the smallest generation that continues every replica
 * the requester lacks from exactly where the requester's clock stops is picked.
 */
import { clockOf, type VersionVector } from "./clock.js";
import { cloneFragment, fragmentSize, joinInto, type Fragment } from "./fragment.js";
import type { ReplicaId } from "./replica.js";

/** Default caps of the generations (entries plus observed ranges), smallest first. */
export const DEFAULT_MAX_DELTA_SIZES: readonly number[] = [100, 1000, 10_000];

/** The accumulated deltas of one replica. */
export class DeltaGenerations {
  readonly #caps: readonly number[];
  readonly #generations: Fragment[] = [];

  /** @param caps - Size caps, one per generation, ascending. An empty list keeps no generations. */
  constructor(caps: readonly number[]) {
    this.#caps = caps;
  }

  /** Records a delta (it is copied, never kept by reference). */
  push(delta: Fragment): void {
    let previous: Fragment | undefined;
    for (let i = 0; i < this.#caps.length; i++) {
      const generation = this.#generations[i];
      if (generation !== undefined) {
        joinInto(generation, delta);
        if (fragmentSize(generation) <= this.#caps[i]!) {
          previous = generation;
          continue;
        }
      }
      // New, or grown past its cap: restart from the smaller generation's content (or the delta itself).
      const restarted = cloneFragment(previous ?? delta);
      this.#generations[i] = restarted;
      previous = restarted;
    }
  }

  /** Forgets everything about `replica` (it is permanently gone). */
  drop(replica: ReplicaId): void {
    for (const generation of this.#generations) generation.delete(replica);
  }

  /** Forgets all generations. */
  clear(): void {
    this.#generations.length = 0;
  }

  /**
   * The smallest generation that holds, for every replica in `lacking`, the counter right after the
   * requester's clock (so merging it advances the requester without a gap), or `undefined`.
   */
  select(requester: VersionVector, lacking: readonly ReplicaId[]): Fragment | undefined {
    return this.#generations.find((generation) =>
      lacking.every((replica) => generation.get(replica)?.seen.continues(clockOf(requester, replica)) === true),
    );
  }

  /** The size of each generation, smallest first (for introspection and tests). */
  sizes(): number[] {
    return this.#generations.map(fragmentSize);
  }
}
