/**
 * Q(t)'s arithmetic: a set of queue lengths (mailboxes, outbound bytes) summarised as total, max and
 * 99th percentile, and the rule that combines the summaries of several nodes. Pure functions, tested
 * without processes.
 */

/** The summary of one set of non-negative numbers. */
export interface Distribution {
  /** How many values (processes or connections) were measured. */
  readonly count: number;
  /** Their sum. */
  readonly total: number;
  /** The largest. */
  readonly max: number;
  /** The 99th percentile by nearest rank: the smallest value that at least 99% of the values do not exceed. */
  readonly p99: number;
}

/** The summary of no values. */
export const EMPTY_DISTRIBUTION: Distribution = Object.freeze({ count: 0, total: 0, max: 0, p99: 0 });

/**
 * The value at quantile `q` (0 < q ≤ 1) by nearest rank: the ⌈q·n⌉-th smallest value, 0 for no values.
 *
 * @example
 * ```ts
 * quantile([5, 1, 3], 0.5); // 3
 * quantile([], 0.99); // 0
 * ```
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1]!;
}

/**
 * Summarises `values`: count, total, max and p99.
 *
 * @example
 * ```ts
 * summarize([0, 0, 4, 10]); // { count: 4, total: 14, max: 10, p99: 10 }
 * ```
 */
export function summarize(values: ArrayLike<number>): Distribution {
  const n = values.length;
  if (n === 0) return EMPTY_DISTRIBUTION;
  let total = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    total += v;
    if (v > max) max = v;
  }
  return { count: n, total, max, p99: quantile(values, 0.99) };
}

/**
 * Combines the summaries of several nodes into the cluster's.
 *
 * @remarks
 * Counts, totals and maxima combine exactly. A percentile cannot be rebuilt from percentiles, so the
 * cluster's p99 is the largest of the nodes' p99s: an upper bound of the true one (at most 1% of each
 * node's values exceed its p99, so at most 1% of all values exceed the largest of them), exact on one
 * node.
 *
 * @example
 * ```ts
 * mergeDistributions([{ count: 2, total: 3, max: 2, p99: 2 }, { count: 1, total: 7, max: 7, p99: 7 }]);
 * // { count: 3, total: 10, max: 7, p99: 7 }
 * ```
 */
export function mergeDistributions(parts: Iterable<Distribution>): Distribution {
  let count = 0;
  let total = 0;
  let max = 0;
  let p99 = 0;
  for (const d of parts) {
    count += d.count;
    total += d.total;
    if (d.max > max) max = d.max;
    if (d.p99 > p99) p99 = d.p99;
  }
  return count === 0 ? EMPTY_DISTRIBUTION : { count, total, max, p99 };
}
