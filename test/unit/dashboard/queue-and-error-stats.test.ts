// Q(t) and P(e) arithmetic: the p99 by nearest rank, the summaries of queue lengths, how several nodes'
// summaries combine (exact counts, totals and maxima; a p99 that bounds the true one from above), and
// the error ratios of one interval and of a cluster (sum the counts, then divide).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_DISTRIBUTION, mergeDistributions, quantile, summarize } from "../../../src/dashboard/distribution.js";
import { NO_ERRORS, addErrorCounts, errorRatio, errorRatios, type ErrorCounts } from "../../../src/dashboard/error-rates.js";

const range = (n: number, f: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

describe("quantile", () => {
  it.each([
    ["no values", [], 0.99, 0],
    ["one value", [7], 0.99, 7],
    ["the median of three", [5, 1, 3], 0.5, 3],
    ["p99 of 1..100 is 99", range(100, (i) => i + 1), 0.99, 99],
    ["p99 of 1..1000 is 990", range(1000, (i) => i + 1), 0.99, 990],
    ["p99 of 99 zeros and one spike is 0… of 100 values", [...range(99, () => 0), 1000], 0.99, 0],
    ["p99 of 98 zeros and two spikes is the spike", [...range(98, () => 0), 1000, 1000], 0.99, 1000],
    ["p100 is the max", [3, 9, 4], 1, 9],
  ])("%s", (_name, values, q, expected) => {
    expect(quantile(values, q)).toBe(expected);
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    quantile(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("summarize", () => {
  it("gives zeros for no values", () => {
    expect(summarize([])).toEqual(EMPTY_DISTRIBUTION);
  });

  it("gives the count, total, max and p99 of mailbox lengths", () => {
    expect(summarize([0, 0, 4, 10])).toEqual({ count: 4, total: 14, max: 10, p99: 10 });
    const mailboxes = [...range(990, () => 1), ...range(10, () => 50)];
    expect(summarize(mailboxes)).toEqual({ count: 1000, total: 990 + 500, max: 50, p99: 1 });
  });
});

describe("mergeDistributions", () => {
  it("adds counts and totals, and keeps the largest max and p99", () => {
    expect(
      mergeDistributions([
        { count: 2, total: 3, max: 2, p99: 2 },
        { count: 1, total: 7, max: 7, p99: 7 },
      ]),
    ).toEqual({ count: 3, total: 10, max: 7, p99: 7 });
    expect(mergeDistributions([])).toEqual(EMPTY_DISTRIBUTION);
  });

  const nodes = fc.array(fc.array(fc.nat({ max: 10_000 }), { maxLength: 300 }), { minLength: 1, maxLength: 5 });

  it("is exact for count, total and max, and bounds the cluster's p99 from above", () => {
    fc.assert(
      fc.property(nodes, (values) => {
        const merged = mergeDistributions(values.map((v) => summarize(v)));
        const all = values.flat();
        const exact = summarize(all);
        expect(merged.count).toBe(exact.count);
        expect(merged.total).toBe(exact.total);
        expect(merged.max).toBe(exact.max);
        expect(merged.p99).toBeGreaterThanOrEqual(exact.p99);
        expect(merged.p99).toBeLessThanOrEqual(exact.max);
      }),
    );
  });

  it("is exact on one node", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 200 }), (values) => {
        expect(mergeDistributions([summarize(values)])).toEqual(summarize(values));
      }),
    );
  });
});

const counts = (partial: Partial<ErrorCounts>): ErrorCounts => ({ ...NO_ERRORS, ...partial });

describe("errorRatio", () => {
  it.each([
    ["no traffic, no errors", 0, 0, 0],
    ["one crash in 200 messages", 1, 200, 0.005],
    ["every join refused", 4, 4, 1],
    ["errors without counted traffic are capped at 1", 3, 0, 1],
    ["more errors than traffic are capped at 1", 3, 1, 1],
  ])("%s", (_name, errors, traffic, expected) => {
    expect(errorRatio(errors, traffic)).toBe(expected);
  });
});

describe("errorRatios", () => {
  it("divides each error count by its unit of traffic", () => {
    expect(errorRatios(counts({ crashes: 2, handled: 400, refusedJoins: 1, joins: 10, slowConsumers: 1, transportErrors: 3, connections: 100 }))).toEqual({
      crashPerMessage: 0.005,
      refusedJoinPerJoin: 0.1,
      slowConsumerPerConnection: 0.01,
      transportErrorPerConnection: 0.03,
    });
  });

  it("weighs nodes by their traffic: the cluster's ratio is the sum of errors over the sum of traffic", () => {
    const busy = counts({ crashes: 1, handled: 1000 });
    const quiet = counts({ crashes: 1, handled: 10 });
    const cluster = addErrorCounts([busy, quiet]);
    expect(cluster).toEqual(counts({ crashes: 2, handled: 1010 }));
    expect(errorRatios(cluster).crashPerMessage).toBeCloseTo(2 / 1010, 12);
    // Not the mean of the nodes' ratios, which would let a quiet node dominate.
    expect(errorRatios(cluster).crashPerMessage).not.toBeCloseTo((0.001 + 0.1) / 2, 3);
  });

  it("stays between 0 and 1 for any counts", () => {
    const n = fc.nat({ max: 1e6 });
    fc.assert(
      fc.property(fc.record({ crashes: n, handled: n, refusedJoins: n, joins: n, slowConsumers: n, transportErrors: n, connections: n }), (c) => {
        for (const ratio of Object.values(errorRatios(c))) {
          expect(ratio).toBeGreaterThanOrEqual(0);
          expect(ratio).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});
