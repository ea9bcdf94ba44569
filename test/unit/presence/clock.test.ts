/**
 * Version-vector helpers and the range set that holds each replica's observed counters (checked against
 * a plain Set of numbers as the model).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clockOf, compareClocks, dominates, lacking, mergeClocks, nonDominated } from "../../../src/presence/index.js";
import { CounterSet } from "../../../src/presence/counter-set.js";

describe("version vectors", () => {
  it("treat a missing replica as 0", () => {
    expect(clockOf({ "a#1": 3 }, "b#1")).toBe(0);
    expect(clockOf({}, "toString#1")).toBe(0);
    expect(dominates({ "a#1": 1 }, { "a#1": 1, "b#1": 0 })).toBe(true);
  });

  it("compare", () => {
    expect(compareClocks({ "a#1": 1 }, { "a#1": 1 })).toBe("equal");
    expect(compareClocks({ "a#1": 1 }, { "a#1": 2 })).toBe("before");
    expect(compareClocks({ "a#1": 2, "b#1": 1 }, { "a#1": 2 })).toBe("after");
    expect(compareClocks({ "a#1": 1 }, { "b#1": 1 })).toBe("concurrent");
  });

  it("lacking lists what the remote has seen beyond the local", () => {
    expect(lacking({ "a#1": 3, "b#1": 2 }, { "a#1": 5, "b#1": 1, "c#1": 1, "d#1": 0 })).toEqual(["a#1", "c#1"]);
  });

  it("merge is the pointwise maximum", () => {
    expect(mergeClocks({ "a#1": 3 }, { "a#1": 1, "b#1": 2 })).toEqual({ "a#1": 3, "b#1": 2 });
  });

  it("nonDominated keeps the maximal clocks once each", () => {
    const x = { "a#1": 2 };
    const y = { "b#1": 1 };
    expect(nonDominated([{ "a#1": 1 }, x, y, { "a#1": 2 }, { "a#1": 1, "b#1": 1 }])).toEqual([x, { "a#1": 1, "b#1": 1 }]);
    expect(nonDominated([{ "a#1": 1, "b#1": 1 }, x, y])).toEqual([{ "a#1": 1, "b#1": 1 }, x]);
  });

  it("nonDominated: no kept clock is dominated by an input clock, every input is covered by a kept one", () => {
    const clock = fc.dictionary(fc.constantFrom("a#1", "b#1", "c#1"), fc.nat({ max: 4 }));
    fc.assert(
      fc.property(fc.array(clock, { maxLength: 8 }), (clocks) => {
        const kept = nonDominated(clocks);
        for (const k of kept) for (const c of clocks) expect(compareClocks(k, c)).not.toBe("before");
        for (const c of clocks) expect(kept.some((k) => dominates(k, c))).toBe(true);
      }),
    );
  });
});

describe("CounterSet", () => {
  const op = fc.oneof(
    fc.record({ add: fc.integer({ min: 1, max: 60 }) }),
    fc.record({ lo: fc.integer({ min: 0, max: 60 }), len: fc.integer({ min: 0, max: 12 }) }),
  );

  it("behaves like a set of numbers and stays sorted, disjoint and merged", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(op, { maxLength: 20 }), (ops, others) => {
        const set = new CounterSet();
        const model = new Set<number>();
        const apply = (s: CounterSet, m: Set<number>, o: (typeof ops)[number]) => {
          if ("add" in o) {
            s.add(o.add);
            m.add(o.add);
          } else {
            s.addRange(o.lo, o.lo + o.len);
            for (let c = o.lo + 1; c <= o.lo + o.len; c++) m.add(c);
          }
        };
        for (const o of ops) apply(set, model, o);
        const other = new CounterSet();
        for (const o of others) apply(other, model, o);
        set.addAll(other);
        for (let c = 0; c <= 75; c++) expect(set.has(c)).toBe(model.has(c));
        const ranges = set.ranges();
        for (let i = 0; i < ranges.length; i++) {
          expect(ranges[i]![0]).toBeLessThan(ranges[i]![1]);
          if (i > 0) expect(ranges[i - 1]![1]).toBeLessThan(ranges[i]![0]);
        }
        expect(set.count).toBe(model.size);
        let end = 0;
        while (model.has(end + 1)) end++;
        expect(set.contiguousEnd).toBe(end);
        expect(set.max).toBe(model.size === 0 ? 0 : Math.max(...model));
        expect(set.compact()).toBe(0);
        expect(set.clone().ranges()).toEqual(ranges);
      }),
    );
  });

  it("folds the cloud into the contiguous part when the gap closes", () => {
    const set = CounterSet.of([[0, 2], [3, 6], [8, 9]]); // 1 2 · 4 5 6 · 9
    expect([set.contiguousEnd, set.rangeCount]).toEqual([2, 3]);
    set.add(3);
    expect([set.contiguousEnd, set.rangeCount]).toEqual([6, 2]);
    set.addRange(5, 8);
    expect(set.ranges()).toEqual([[0, 9]]);
  });
});
