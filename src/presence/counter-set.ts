/**
 * The causal context of one replica inside a state or a delta: the set of that replica's counters that
 * have been observed, kept as sorted, disjoint ranges `(lo, hi]`. In a state the first range normally
 * starts at 0 and its end is the version-vector entry (everything up to it has been seen contiguously);
 * further ranges are the "cloud" of dots seen out of order. A delta's ranges are the window of counters
 * it describes completely plus older dots it removed. Ranges that touch are merged at once, so the cloud
 * is always folded into the contiguous part as soon as the gap closes.
 */

/** A set of counters of one replica, as sorted disjoint ranges. */
export class CounterSet {
  /** Flat `[lo0, hi0, lo1, hi1, …]`: counters `lo+1 … hi` of each range; `hi_i < lo_{i+1}` (never touching). */
  #spans: number[] = [];

  /** A set holding the ranges `[[lo, hi], …]` (in any order, overlapping or not). */
  static of(ranges: Iterable<readonly [number, number]>): CounterSet {
    const set = new CounterSet();
    for (const [lo, hi] of ranges) set.addRange(lo, hi);
    return set;
  }

  /** True when `counter` has been observed. */
  has(counter: number): boolean {
    const spans = this.#spans;
    const n = spans.length;
    if (n === 0) return false;
    if (n === 2) return counter > spans[0]! && counter <= spans[1]!;
    const i = this.#firstEndingAtOrAfter(counter);
    return i < n && counter > spans[i]!;
  }

  /** Adds one counter. */
  add(counter: number): void {
    this.addRange(counter - 1, counter);
  }

  /** Adds the counters `(lo, hi]`; O(log ranges) plus the ranges it merges. */
  addRange(lo: number, hi: number): void {
    if (hi <= lo) return;
    const spans = this.#spans;
    const n = spans.length;
    if (n === 0 || lo > spans[n - 1]!) {
      spans.push(lo, hi);
      return;
    }
    if (lo >= spans[n - 2]!) {
      if (hi > spans[n - 1]!) spans[n - 1] = hi;
      return;
    }
    // First range that ends at or after `lo` (it may touch), then every range that starts at or before `hi`.
    const first = this.#firstEndingAtOrAfter(lo);
    let last = first;
    while (last < n && spans[last]! <= hi) last += 2;
    if (last === first) {
      spans.splice(first, 0, lo, hi);
      return;
    }
    const mergedLo = Math.min(lo, spans[first]!);
    const mergedHi = Math.max(hi, spans[last - 1]!);
    spans.splice(first, last - first, mergedLo, mergedHi);
  }

  /** Adds every counter of `other`. */
  addAll(other: CounterSet): void {
    const spans = other.#spans;
    for (let i = 0; i < spans.length; i += 2) this.addRange(spans[i]!, spans[i + 1]!);
  }

  /** The end of the range starting at 0: every counter up to it has been seen (0 when counter 1 has not). */
  get contiguousEnd(): number {
    return this.#spans[0] === 0 ? this.#spans[1]! : 0;
  }

  /** The largest observed counter (0 when empty). */
  get max(): number {
    return this.#spans.length === 0 ? 0 : this.#spans[this.#spans.length - 1]!;
  }

  /** Number of disjoint ranges. */
  get rangeCount(): number {
    return this.#spans.length / 2;
  }

  /** Number of observed counters. */
  get count(): number {
    let total = 0;
    for (let i = 0; i < this.#spans.length; i += 2) total += this.#spans[i + 1]! - this.#spans[i]!;
    return total;
  }

  /** True when some range contains counter `after + 1`, i.e. holds something a replica that has seen exactly `(0, after]` lacks and continues from there. */
  continues(after: number): boolean {
    return this.has(after + 1);
  }

  /** Calls `fn(lo, hi)` for each range, ascending. */
  forEachRange(fn: (lo: number, hi: number) => void): void {
    const spans = this.#spans;
    for (let i = 0; i < spans.length; i += 2) fn(spans[i]!, spans[i + 1]!);
  }

  /** The ranges as `[[lo, hi], …]`, ascending. */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.forEachRange((lo, hi) => out.push([lo, hi]));
    return out;
  }

  /** A copy. */
  clone(): CounterSet {
    const copy = new CounterSet();
    copy.#spans = this.#spans.slice();
    return copy;
  }

  /**
   * Re-establishes the invariant (sorted, disjoint, touching ranges merged). Every mutation already keeps
   * it, so this only matters for a set that was built by hand; returns the number of ranges merged away.
   */
  compact(): number {
    const before = this.#spans.length / 2;
    const spans = this.#spans;
    this.#spans = [];
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < spans.length; i += 2) pairs.push([spans[i]!, spans[i + 1]!]);
    pairs.sort((a, b) => a[0] - b[0]);
    for (const [lo, hi] of pairs) this.addRange(lo, hi);
    return before - this.#spans.length / 2;
  }

  /** Index (even) of the first range whose `hi` is ≥ `counter`, or the length when none. */
  #firstEndingAtOrAfter(counter: number): number {
    const spans = this.#spans;
    let low = 0;
    let high = spans.length / 2;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (spans[mid * 2 + 1]! < counter) low = mid + 1;
      else high = mid;
    }
    return low * 2;
  }
}
