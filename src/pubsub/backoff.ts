/**
 * Reconnect delays: exponential from a first delay to a cap, with jitter so that many nodes that lost
 * the same broker do not all knock on its door in the same millisecond.
 */

/** Bounds of a {@link Backoff}, in ms. */
export interface BackoffOptions {
  /** The first delay. @defaultValue 100 */
  readonly minMs?: number;
  /** The longest delay. @defaultValue 5000 */
  readonly maxMs?: number;
}

/**
 * The delay before attempt `attempt` (0 for the first retry): `minMs × 2^attempt`, capped at `maxMs`,
 * then drawn uniformly from its upper half.
 */
export function backoffDelay(attempt: number, { minMs = 100, maxMs = 5_000 }: BackoffOptions = {}, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
